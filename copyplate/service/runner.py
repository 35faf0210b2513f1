"""Where a queued run executes: `RunPool` (threads in the server) starts one process per run,
`copyplate service worker RUN_ID`, which calls `execute_run`.

A process per run keeps a crash or a leak in one run out of the server and lets the kernel
end a run with the server: the run process leaves as soon as its parent is gone, and holds
an exclusive lock on its output folder, so a restarted service never has two processes on
one run. The run itself is a `pipeline.run.Batch` with its ledger in the run's folder:
a run started again after a kill reuses every asset finished before it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copyplate.errors import CopyplateError
from copyplate.service.store import Store


@dataclass(frozen=True)
class RunnerConfig:
    data: Path
    db: str
    executor: str = "local"  # or "ray"
    ray_address: str | None = None
    processes: int = 1  # worker processes inside one run (the batch's --workers)
    env: dict[str, str] = field(default_factory=dict)


def _watch_parent(parent: int) -> None:
    def loop() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)  # the service is gone: stop now, the ledger keeps what is finished

    threading.Thread(target=loop, daemon=True, name="parent-watch").start()


def execute_run(cfg: RunnerConfig, rid: str, parent: int | None = None) -> str:
    """Run `rid` to its end and record it; returns its final status. Errors of the run
    become its `failed` status and message, never an exception."""
    from copyplate.layouts.loader import load_campaign
    from copyplate.pipeline.job import AssetResult, RunOptions
    from copyplate.pipeline.run import Batch, executor_for
    from copyplate.renderers.plates.cache import PlateCache

    if parent is not None:
        _watch_parent(parent)
    store = Store(cfg.db)
    run = store.run(rid)
    if run is None:
        return "failed"
    out = cfg.data / "runs" / rid
    out.mkdir(parents=True, exist_ok=True)
    lock = (out / ".lock").open("w")
    # A run process of a service that was killed may still be finishing its last step.
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        camp = store.campaign(run["campaign"])
        assert camp is not None
        req: dict[str, Any] = run["request"]
        path = cfg.data / "campaigns" / camp["id"] / camp["file"]
        lc = load_campaign(path, camp["file"], per_job_coverage=True)

        def progress(res: AssetResult) -> None:
            # Reused results were recorded before the interruption; one finished after
            # the ledger's write and before ours is recorded now, so each shows once.
            if res.reused and store.has_asset(rid, res.job.name):
                return
            store.record_asset(
                rid,
                {
                    "name": res.job.name,
                    "passed": res.passed,
                    "reused": res.reused,
                    "retries": res.retries,
                    "seconds": res.seconds,
                    "error": res.error,
                    "image": res.image or None,
                    "manifest": res.manifest or None,
                    "findings": res.findings,
                },
            )

        batch = Batch(
            lc,
            out,
            executor_for(cfg.executor, cfg.processes, cfg.ray_address),
            RunOptions(validate=req.get("validate", True), copy_backend=req.get("copy_backend")),
            req.get("plate_backend"),
            PlateCache(cfg.data / "plates"),
        )
        batch.run(req.get("locales"), req.get("sizes"), progress, True, req.get("variants"))
    except CopyplateError as e:
        store.finish_run(rid, "failed", str(e))
        return "failed"
    except Exception as e:  # a bug: the run fails with its name, the service goes on
        store.finish_run(rid, "failed", f"internal error: {type(e).__name__}: {e}")
        return "failed"
    finally:
        lock.close()
    store.finish_run(rid, "done")
    return "done"


class RunPool:
    """`workers` threads, each running one queued run at a time in its own process."""

    def __init__(self, cfg: RunnerConfig, store: Store, workers: int = 1) -> None:
        self.cfg, self.store, self.workers = cfg, store, workers
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.threads = [
            threading.Thread(target=self._loop, daemon=True, name=f"run-worker-{i}")
            for i in range(workers)
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        """Stop taking runs and end the running ones (they resume at the next start)."""
        self.stopping.set()
        self.wake.set()
        for p in list(self.procs.values()):
            p.terminate()
        for t in self.threads:
            t.join(10)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            for rid in self.store.runs_in("queued"):
                if self.stopping.is_set():
                    return
                if self.store.claim(rid):
                    self._execute(rid)
                    break
            else:
                self.wake.wait(1.0)
                self.wake.clear()

    def _execute(self, rid: str) -> None:
        cfg = self.cfg
        cmd = [
            sys.executable, "-m", "copyplate.cli", "service", "worker", rid,
            "--data", str(cfg.data), "--db", cfg.db, "--executor", cfg.executor,
            "--processes", str(cfg.processes), "--parent", str(os.getpid()),
        ]  # fmt: skip
        if cfg.ray_address:
            cmd += ["--ray-address", cfg.ray_address]
        log = (cfg.data / "runs" / rid).with_suffix(".log")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as err:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env={**os.environ, **cfg.env}
            )
            self.procs[rid] = proc
            proc.wait()
            self.procs.pop(rid, None)
        if self.stopping.is_set():
            return
        run = self.store.run(rid)
        if run is not None and run["status"] == "running":
            tail = log.read_text(encoding="utf-8", errors="replace")[-500:].strip()
            self.store.finish_run(rid, "failed", f"run process exited {proc.returncode}: {tail}")
