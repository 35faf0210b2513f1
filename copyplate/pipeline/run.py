"""Run a batch: plan, make each plate once per size and variant, render, write, report.

A `Batch` owns the plan, the ledger and the reports; an `Executor` (executors.py,
ray_executor.py) decides where the jobs run."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from copyplate.errors import InputError
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.executors import BatchSpec, Executor, ProcessExecutor
from copyplate.pipeline.job import AssetResult, PlateSource, RunOptions
from copyplate.pipeline.ledger import Ledger, job_hash
from copyplate.pipeline.plan import Job, plan_jobs
from copyplate.renderers.copy.base import backend_of, backend_problem, renderer_for
from copyplate.renderers.openai_images import Budget, HostedSettings, activate
from copyplate.renderers.plates.base import plate_generator
from copyplate.renderers.plates.cache import PlateCache
from copyplate.reports.assemble import build_report, write_reports

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


def clean_stale_temp_files(out: Path) -> int:
    """Remove half-written temp files a killed run left behind (write_atomic's names)."""
    n = 0
    for tmp in out.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        n += 1
    return n


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
        lc, out = self.lc, self.out
        started = time.time()
        check_backends(lc, self.options.copy_backend)
        jobs = plan_jobs(lc, locales, sizes, variants)
        backend = self.plate_backend or lc.campaign.plate.model
        out.mkdir(parents=True, exist_ok=True)
        clean_stale_temp_files(out)
        cache = self.plate_cache or PlateCache(out / ".plates")
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
        spec = BatchSpec(lc.path, lc.display, backend, cache.root, out, options)
        ledger = Ledger(out / "ledger.sqlite")
        model_id = plates.generator.model_id
        results: dict[str, AssetResult] = {}
        todo: list[Job] = []
        hashes = {}
        for job in jobs:
            digest = hashes[job.name] = job_hash(lc, job, model_id, options.identity())
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
            head = {
                "campaign": lc.campaign.id,
                "campaign_file": lc.display,
                "plate_backend": backend,
                "plate_model": model_id,
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
        from copyplate.pipeline.ray_executor import RayExecutor

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
