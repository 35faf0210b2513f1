"""Where a batch's jobs run: in this process, in worker processes, or on Ray
(ray_executor.py). Each is an `Executor`; the batch hands it the jobs still to do and a
`finish` callback that records each result (the driver alone writes the ledger)."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from copyplate.layouts.derive import derive_sizes
from copyplate.layouts.loader import LoadedCampaign, load_campaign
from copyplate.pipeline.job import AssetResult, PlateSource, RunOptions, run_job, worker_threads
from copyplate.pipeline.plan import Job
from copyplate.renderers.plates.base import plate_generator
from copyplate.renderers.plates.cache import PlateCache

Finish = Callable[[AssetResult], None]


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, which a container or
    `taskset` narrows), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity masks (macOS)
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class BatchSpec:
    """What a job needs besides itself, in a form that crosses process boundaries: a
    spawned worker (Ray, or a platform without fork) loads the campaign again from its
    path instead of unpickling a loaded one."""

    campaign: Path
    display: str
    plate_backend: str
    plate_cache: Path | None
    out: Path
    options: RunOptions


class Executor(Protocol):
    name: ClassVar[str]

    def run(
        self,
        spec: BatchSpec,
        lc: LoadedCampaign,
        plates: PlateSource,
        todo: list[Job],
        finish: Finish,
    ) -> None: ...


class SerialExecutor:
    """Every job in this process, one after another."""

    name: ClassVar[str] = "serial"

    def run(
        self,
        spec: BatchSpec,
        lc: LoadedCampaign,
        plates: PlateSource,
        todo: list[Job],
        finish: Finish,
    ) -> None:
        for job in todo:
            finish(run_job(lc, job, plates, spec.out, spec.options))


@dataclass
class _WorkerState:
    lc: LoadedCampaign
    plates: PlateSource
    spec: BatchSpec


_STATE: list[_WorkerState] = []  # one per worker process, set by its initializer


def _init_worker(spec: BatchSpec, loaded: LoadedCampaign | None) -> None:
    # Ctrl-C reaches every process of the terminal's group; only the driver handles it
    # (it stops the pool). A worker that took it would print its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if loaded is None:  # spawned: a fresh OpenCV (a forked one is set by the driver)
        worker_threads()
    lc = loaded
    if lc is None:
        lc = load_campaign(spec.campaign, spec.display, per_job_coverage=True)
        # The driver's derived sizes (--sizes 728x90) are not in the file: derive them alike.
        lc = derive_sizes(lc, spec.options.derived)[0]
    cache = PlateCache(spec.plate_cache) if spec.plate_cache else None
    plates = PlateSource(plate_generator(spec.plate_backend, lc.campaign.gpt_image), cache)
    _STATE[:] = [_WorkerState(lc, plates, spec)]


def _work(job: Job) -> AssetResult:
    w = _STATE[0]
    return run_job(w.lc, job, w.plates, w.spec.out, w.spec.options)


@dataclass
class ProcessExecutor:
    """`--workers N`: a pool of processes, each loading the campaign and its fonts and
    OCR engines once. The driver makes every plate first, so workers read them from the
    plate cache instead of each making its own."""

    workers: int
    name: ClassVar[str] = "processes"

    def run(
        self,
        spec: BatchSpec,
        lc: LoadedCampaign,
        plates: PlateSource,
        todo: list[Job],
        finish: Finish,
    ) -> None:
        if self.workers <= 1 or len(todo) <= 1:
            SerialExecutor().run(spec, lc, plates, todo, finish)
            return
        for job in todo:
            # Plates made here are shared through the cache; one that fails here fails
            # again, with its reason, in the job that needs it (not the whole batch).
            with contextlib.suppress(Exception):
                plates.get(lc, job)
        # A forked worker starts with the driver's loaded campaign (its fonts, coverage and
        # shaped lines included) in memory, so it is not checked again in every worker;
        # where processes are spawned, each loads it from the file.
        forked = mp.get_start_method() == "fork"
        if forked:
            # Before the fork: OpenCV reconfigured in forked children (whose inherited
            # thread pool has no threads) hung a test run's workers once.
            worker_threads()
        pool = ProcessPoolExecutor(
            self.workers, initializer=_init_worker, initargs=(spec, lc if forked else None)
        )
        try:
            # Workers are forked while map() submits; with SIGINT ignored during the fork
            # they are born ignoring it, so a Ctrl-C before their initializer runs cannot
            # print a traceback from them either. The driver's handler is back at once.
            main = threading.current_thread() is threading.main_thread()
            old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                results = pool.map(_work, todo)
            finally:
                if main:
                    signal.signal(signal.SIGINT, old)
            for res in results:
                finish(res)
        except BaseException:
            # Interrupted (or a worker died): drop the queued jobs instead of waiting for
            # them; finished ones are already in the ledger.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
