"""A function over many small items in forked worker processes, for the driver's own
batch-wide work (the type-harmony plan) before the asset workers start.

Forked children start with the driver's memory (the loaded campaign, fonts, the function
itself), so neither the function nor the items are pickled: a child gets an index and
sends back a plain result. Where fork is not the start method, or one worker is asked for,
the items are done here, one after another; so they are when a child fails, which raises
the real error in this process instead of a child's unpicklable one.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# The work of the map in progress, inherited by its forked children.
_WORK: list[tuple[Callable[[Any], Any], Sequence[Any]]] = []


def _one(i: int) -> Any:
    fn, items = _WORK[0]
    return fn(items[i])


def _quiet() -> None:
    # Ctrl-C reaches the whole process group; the driver alone handles it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def fork_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`[fn(x) for x in items]`, in `workers` forked processes when that can help."""
    if workers <= 1 or len(items) < 2 * workers or mp.get_start_method() != "fork":
        return [fn(x) for x in items]
    _WORK[:] = [(fn, items)]
    main = threading.current_thread() is threading.main_thread()
    pool = ProcessPoolExecutor(workers, initializer=_quiet)
    try:
        # Children are forked while map() submits: born ignoring SIGINT, as in
        # executors.ProcessExecutor, so a Ctrl-C prints no traceback from them.
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            chunk = max(1, len(items) // (4 * workers))
            results = pool.map(_one, range(len(items)), chunksize=chunk)
        finally:
            if main:
                signal.signal(signal.SIGINT, old)
        return list(results)
    except Exception:
        # A child's error may not survive pickling: meet it here, as the serial map would.
        pool.shutdown(wait=False, cancel_futures=True)
        return [fn(x) for x in items]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown()
        _WORK.clear()
