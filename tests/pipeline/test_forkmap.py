"""`fork_map`: the driver's batch-wide work in forked processes, in order, and the real
error when an item fails."""

from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from copyplate.errors import RenderError
from copyplate.pipeline.forkmap import fork_map

forked = pytest.mark.skipif(mp.get_start_method() != "fork", reason="fork is not the start method")


@forked
def test_items_run_in_children_and_come_back_in_order() -> None:
    here = os.getpid()
    table = {i: i * i for i in range(40)}  # a closure over driver memory, never pickled

    def work(i: int) -> tuple[int, int]:
        return table[i], os.getpid()

    got = fork_map(work, list(range(40)), 2)
    assert [v for v, _ in got] == [i * i for i in range(40)]
    assert all(pid != here for _, pid in got)


def test_one_worker_or_few_items_run_here() -> None:
    here = os.getpid()
    assert fork_map(lambda _: os.getpid(), [1, 2, 3], 1) == [here] * 3
    assert fork_map(lambda _: os.getpid(), [1], 2) == [here]


@forked
def test_a_failing_item_raises_its_own_error_here() -> None:
    def work(i: int) -> int:
        if i == 7:
            raise RenderError(f"item {i} broke")
        return i

    with pytest.raises(RenderError, match="item 7 broke"):
        fork_map(work, list(range(20)), 2)
