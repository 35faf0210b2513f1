"""Run a batch: plan, make each plate once per size and variant, render, write, report.

A `Batch` owns the plan, the ledger and the reports; an `Executor` (executors.py,
ray_executor.py) decides where the jobs run."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copyplate.errors import InputError
from copyplate.fileio import is_temp_name
from copyplate.fonts import FontIndex, files_identity
from copyplate.layouts.derive import derive_sizes
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.executors import BatchSpec, Executor, ProcessExecutor
from copyplate.pipeline.harmony import HarmonyPlan, plan_harmony
from copyplate.pipeline.job import AssetResult, PlateSource, RunOptions
from copyplate.pipeline.ledger import Ledger, job_hash, plan_hash
from copyplate.pipeline.plan import Job, plan_jobs
from copyplate.renderers.copy.base import backend_of, backend_problem, renderer_for
from copyplate.renderers.openai_images import Budget, HostedSettings, activate
from copyplate.renderers.plates.base import plate_generator
from copyplate.renderers.plates.cache import PlateCache
from copyplate.reports.assemble import THUMBS, build_report, write_reports

__all__ = ["AssetResult", "Batch", "RunOptions", "run_batch"]


def check_backends(lc: LoadedCampaign, copy_backend: str | None) -> None:
    """Every region's copy backend exists, can draw its kind and is ready (a hosted one
    has its SDK and key), before the first asset is made."""
    if copy_backend is not None and (msg := backend_problem(copy_backend, "text")):
        raise InputError(f"--copy-backend: {msg}")
    for region in lc.campaign.regions:
        name = backend_of(region, lc.campaign.copy_backend, copy_backend)
        if msg := backend_problem(name, region.kind):
            raise InputError(f"{lc.display}: region {region.id!r}: {msg}")
        preflight = getattr(renderer_for(region.kind, name), "preflight", None)
        if preflight is not None:
            preflight(lc)


def clean_stale_temp_files(folders: Sequence[Path]) -> int:
    """Remove half-written temp files a killed run left behind: only write_atomic's own
    names, and only in the folders a run writes to (not below them), so a user's files
    that merely look temporary are never touched."""
    n = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for tmp in folder.iterdir():
            if is_temp_name(tmp.name) and tmp.is_file() and not tmp.is_symlink():
                tmp.unlink(missing_ok=True)
                n += 1
    return n


def _written_folders(lc: LoadedCampaign, out: Path, cache: PlateCache) -> list[Path]:
    """The folders a run of this campaign writes files into."""
    folders = [out, out / THUMBS, *(out / s.name for s in lc.campaign.sizes)]
    if cache.root.is_dir():
        folders += [d for d in cache.root.iterdir() if d.is_dir() and len(d.name) == 2]
        folders.append(cache.plans_folder())
    return folders


class OutputLock:
    """An exclusive lock on the output folder for the whole run: a second run on the same
    folder gets a clear error instead of redoing and racing the first. flock is released
    by the kernel when the process dies, so a run killed with -9 leaves no stale lock."""

    NAME = ".copyplate.lock"

    def __init__(self, out: Path) -> None:
        self.path = out / self.NAME
        self.fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            msg = (
                f"--out {self.path.parent}: another copyplate run (pid {holder}) is writing "
                "to this folder; wait for it to finish or choose another --out"
            )
            raise InputError(msg) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None


def prepare_out(out: Path) -> None:
    """The output folder exists and is writable, or one InputError saying why not."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, expected a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InputError(f"--out {out}: the folder is not writable")


def _harmony(
    lc: LoadedCampaign,
    jobs: list[Job],
    ledger: Ledger,
    cache: PlateCache,
    resume: bool,
    workers: int,
) -> HarmonyPlan:
    """Harmony is planned here, before any asset, over every locale of the sizes run. It
    sets every locale's copy once per size (seconds), and the ledger hashes need it before
    they can say a job is done: the ledger keeps the plan by its inputs' hash, so a rerun
    with nothing to do sets no copy at all. It is kept beside the plates too, under the
    fonts' identity as well, so a run of the same inputs into another folder sets none."""
    sizes, variants = sorted({j.size for j in jobs}), sorted({j.variant for j in jobs})
    key = f"harmony[{HarmonyPlan.shape()}]:{plan_hash(lc, sizes, variants)}"
    if resume and (known := ledger.memo(key)) is not None:
        return HarmonyPlan.from_json(known)
    shared = f"{key}:{files_identity([*FontIndex.system().files, *_font_files(lc)])}"
    harmony = _kept_plan(cache.plan(shared)) if resume else None
    if harmony is None:
        harmony = plan_harmony(lc, sizes, variants, workers)
        cache.keep_plan(shared, harmony.as_json())
    ledger.remember(key, harmony.as_json())
    return harmony


def _font_files(lc: LoadedCampaign) -> list[Path]:
    """The font files inside the campaign folder that its font chains name."""
    return [
        lc.root / ref.file
        for chains in lc.campaign.brand.fonts.values()
        for chain in chains.values()
        for ref in chain
        if ref.file is not None
    ]


def _kept_plan(data: Any) -> HarmonyPlan | None:
    """A plan kept beside the plates, or None when it is not one (a damaged file is
    planned again, as a damaged plate is made again)."""
    if not isinstance(data, dict):
        return None
    try:
        plan = HarmonyPlan.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None
    # exactly a plan's fields, nothing dropped or added
    return plan if json.loads(json.dumps(plan.as_json())) == data else None


@dataclass
class Batch:
    """One campaign's jobs into one output folder; resumable through its ledger."""

    lc: LoadedCampaign
    out: Path
    executor: Executor = dataclasses.field(default_factory=lambda: ProcessExecutor(1))
    options: RunOptions = dataclasses.field(default_factory=RunOptions)
    plate_backend: str | None = None
    plate_cache: PlateCache | None = None

    def run(
        self,
        locales: Sequence[str] | None = None,
        sizes: Sequence[str] | None = None,
        progress: Callable[[AssetResult], None] | None = None,
        resume: bool = True,
        variants: Sequence[str] | None = None,
    ) -> tuple[Path, list[AssetResult]]:
        """Every job of the plan, each written once."""
        # `--sizes 1080x1350` or a preset: derived from the nearest campaign size. Workers
        # load the file again, so the names travel in the options and are derived there too.
        self.lc, added = derive_sizes(self.lc, sizes)
        if added:
            self.options = dataclasses.replace(
                self.options, derived=tuple(dict.fromkeys((*self.options.derived, *added)))
            )
        lc, out = self.lc, self.out
        started = time.time()
        check_backends(lc, self.options.copy_backend)
        jobs = plan_jobs(lc, locales, sizes, variants)
        backend = self.plate_backend or lc.campaign.plate.model
        prepare_out(out)
        lock = OutputLock(out)
        lock.acquire()
        try:
            return self._run_locked(jobs, backend, started, progress, resume)
        finally:
            lock.release()

    def _run_locked(
        self,
        jobs: list[Job],
        backend: str,
        started: float,
        progress: Callable[[AssetResult], None] | None,
        resume: bool,
    ) -> tuple[Path, list[AssetResult]]:
        lc, out = self.lc, self.out
        cache = self.plate_cache or PlateCache(out / ".plates")
        clean_stale_temp_files(_written_folders(lc, out, cache))
        plates = PlateSource(plate_generator(backend, lc.campaign.gpt_image), cache)
        options = self.options
        if options.max_cost is not None or options.prices is not None:
            budget = None
            if options.max_cost is not None:
                # The tally starts at zero each run; worker processes share the file.
                tally = out / ".spend"
                tally.write_text("0")
                budget = Budget(options.max_cost, tally.resolve())
            options = dataclasses.replace(options, hosted=HostedSettings(options.prices, budget))
        ledger = Ledger(out / "ledger.sqlite")
        try:
            # The plan is measured in as many processes as the batch's own workers.
            workers = self.executor.workers if isinstance(self.executor, ProcessExecutor) else 1
            harmony = _harmony(lc, jobs, ledger, cache, resume, workers)
        except BaseException:
            ledger.close()
            raise
        options = dataclasses.replace(options, harmony=harmony)
        spec = BatchSpec(lc.path, lc.display, backend, cache.root, out, options)
        model_id = plates.generator.model_id
        results: dict[str, AssetResult] = {}
        todo: list[Job] = []
        hashes = {}
        for job in jobs:
            identity = options.identity()
            if caps := harmony.identity(job.size, job.variant, job.locale):
                # Another locale's copy can move this one's band: the caps join the hash.
                identity["harmony"] = caps
            digest = hashes[job.name] = job_hash(lc, job, model_id, identity)
            prev = ledger.done(job, digest, out) if resume else None
            if prev is not None:
                results[job.name] = AssetResult(
                    job,
                    prev["image"],
                    prev["manifest"],
                    prev["passed"],
                    prev["findings"],
                    prev["seconds"],
                    prev["retries"],
                    reused=True,
                )
            else:
                todo.append(job)
        if progress:
            for res in results.values():
                progress(res)

        def finish(res: AssetResult) -> None:
            status = "error" if res.error else ("done" if res.passed else "failed")
            ledger.record(
                res.job,
                hashes[res.job.name],
                status,
                res.passed,
                res.image or None,
                res.manifest or None,
                res.seconds,
                res.retries,
                res.findings,
                res.error,
            )
            results[res.job.name] = res
            if progress:
                progress(res)

        previous = activate(options.hosted)
        try:
            self.executor.run(spec, lc, plates, todo, finish)
            ordered = [results[j.name] for j in jobs]
            head: dict[str, Any] = {
                "campaign": lc.campaign.id,
                "campaign_file": lc.display,
                "plate_backend": backend,
                "plate_model": model_id,
            }
            if harmony.bands or harmony.notes:
                head["harmony"] = {
                    "bands": [
                        {"size": k[0], "variant": k[1], "region": k[2], "px": list(b)}
                        for k, b in harmony.bands
                    ],
                    "left_out": [n.as_dict() for n in harmony.notes],
                }
            report = build_report(
                head, [r.as_dict() for r in ordered], out, started, options.max_cost
            )
        finally:
            ledger.close()
            activate(previous)
        return write_reports(out, report), ordered


def executor_for(name: str, workers: int = 1, ray_address: str | None = None) -> Executor:
    """The executor `--executor NAME` (local: serial or `workers` processes; ray)."""
    if name == "ray":
        from copyplate.pipeline.ray_executor import RayExecutor, reachable

        if ray_address:
            reachable(ray_address)  # before any work, not after the plates

        return RayExecutor(ray_address)
    if name != "local":
        raise InputError(f"--executor: unknown executor {name!r} (known: local, ray)")
    return ProcessExecutor(workers)


def run_batch(
    lc: LoadedCampaign,
    out: Path,
    locales: Sequence[str] | None = None,
    sizes: Sequence[str] | None = None,
    plate_backend: str | None = None,
    progress: Callable[[AssetResult], None] | None = None,
    options: RunOptions | None = None,
    plate_cache: PlateCache | None = None,
    workers: int = 1,
    resume: bool = True,
    executor: str = "local",
    ray_address: str | None = None,
) -> tuple[Path, list[AssetResult]]:
    """A `Batch` in one call: what the CLI, the demo and the tests use."""
    batch = Batch(
        lc,
        out,
        executor_for(executor, workers, ray_address),
        options or RunOptions(),
        plate_backend,
        plate_cache,
    )
    return batch.run(locales, sizes, progress, resume)
