"""Run a batch: plan, make each plate once per size and variant, render, write, report."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.errors import CopyplateError, InputError
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.asset import RenderedAsset, plate_request, render_copy, write_asset
from copyplate.pipeline.ledger import Ledger, job_hash
from copyplate.pipeline.plan import Job, plan_jobs
from copyplate.pipeline.produce import produce
from copyplate.pipeline.provenance import Signing
from copyplate.renderers.openai_images import BUDGET_ENV
from copyplate.renderers.plates.base import PlateGenerator, PlateRequest, plate_generator
from copyplate.renderers.plates.cache import PlateCache
from copyplate.reports.costs import hosted_summary, region_cost
from copyplate.reports.files import write_atomic
from copyplate.reports.html import render_html
from copyplate.reports.junit import junit_xml


@dataclass
class AssetResult:
    job: Job
    image: str
    manifest: str
    passed: bool
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    retries: int = 0
    error: str | None = None  # the job broke (copyplate error), no asset was written
    reused: bool = False  # done by an earlier run with the same inputs

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.job.as_dict(),
            "image": self.image,
            "manifest": self.manifest,
            "passed": self.passed,
            "findings": self.findings,
            "seconds": round(self.seconds, 4),
            "retries": self.retries,
            "error": self.error,
            "reused": self.reused,
        }


class PlateSource:
    """Plates by request, made once: every locale of a size shares one plate, in memory
    for this run and on disk (by content hash) for the next."""

    def __init__(self, generator: PlateGenerator, cache: PlateCache | None = None) -> None:
        self.generator = generator
        self.cache = cache
        self._plates: dict[str, Image.Image] = {}
        self._meta: dict[str, dict[str, Any]] = {}

    def preload(self, key: str, plate: Image.Image, meta: dict[str, Any] | None = None) -> None:
        """A plate made elsewhere (a Ray actor): used instead of making it here."""
        self._plates[key] = plate
        self._meta[key] = meta or {}

    def get(self, lc: LoadedCampaign, job: Job) -> tuple[Image.Image, dict[str, Any]]:
        req = plate_request(lc, lc.size(job.size), job.variant)
        key = req.key(self.generator.model_id)
        if key not in self._plates:
            plate = self.cache.get(key) if self.cache else None
            if plate is None:
                plate = self.generator.generate(req)
                meta = {"calls": c} if (c := take_calls(self.generator)) else {}
                if self.cache:
                    self.cache.put(key, plate, meta)
            else:
                meta = self.cache.meta(key) if self.cache else {}
            self._plates[key] = plate
            self._meta[key] = meta
        info = {
            "model": self.generator.model_id,
            "generator": self.generator.name,
            "seed": req.seed,
            "mood": req.mood,
            "key": key,
            # A hosted plate's calls (each with its id, so a report counts it once).
            **self._meta.get(key, {}),
        }
        return self._plates[key], info


def check_backends(lc: LoadedCampaign, copy_backend: str | None) -> None:
    """Every region's copy backend exists, can draw its kind and is ready (a hosted one
    has its SDK and key), before the first asset is made."""
    from copyplate.layouts.checks import backend_problem
    from copyplate.renderers.copy.base import backend_of, renderer_for

    if copy_backend is not None and (msg := backend_problem(copy_backend, "text")):
        raise InputError(f"--copy-backend: {msg}")
    for region in lc.campaign.regions:
        name = backend_of(region, lc.campaign.copy_backend, copy_backend)
        if msg := backend_problem(name, region.kind):
            raise InputError(f"{lc.display}: region {region.id!r}: {msg}")
        preflight = getattr(renderer_for(region.kind, name), "preflight", None)
        if preflight is not None:
            preflight(lc)


def take_calls(generator: Any) -> list[dict[str, Any]]:
    """The calls a hosted generator made since last asked (none for local ones)."""
    take = getattr(generator, "take_calls", None)
    return list(take()) if take else []


@dataclass(frozen=True)
class RunOptions:
    """How a run makes its assets beyond the campaign file; travels to worker processes
    and Ray tasks, and into each job's ledger hash."""

    validate: bool = True
    copy_backend: str | None = None  # --copy-backend: default for regions naming none
    signing: Signing | None = None  # --sign-cert/--sign-key: C2PA-sign every asset
    max_cost: float | None = None  # --max-cost: USD this run may spend on hosted models

    def identity(self) -> dict[str, Any]:
        """What of these options changes an asset's bytes (the ledger hashes it)."""
        return {
            "validate": self.validate,
            "copy_backend": self.copy_backend,
            "signer": self.signing.fingerprint() if self.signing else None,
        }


def run_job(
    lc: LoadedCampaign, job: Job, plates: PlateSource, out: Path, options: RunOptions
) -> AssetResult:
    """One asset, start to finish. Errors of copyplate's own kind fail this job only,
    unless they are fatal (a hosted service refusing every call): those stop the batch."""
    t = time.perf_counter()
    try:
        plate, info = plates.get(lc, job)
        if options.validate:
            req = plate_request(lc, lc.size(job.size), job.variant)

            def inpaint(p: Image.Image, m: Image.Image, req: PlateRequest = req) -> Image.Image:
                return plates.generator.inpaint(p, m, req)

            asset = produce(
                lc, job, plate, info, inpaint=inpaint, copy_backend=options.copy_backend
            )
            if repaint := take_calls(plates.generator):
                asset.plate = {**asset.plate, "inpaint_calls": repaint}
        else:
            image, layers = render_copy(lc, job, plate, copy_backend=options.copy_backend)
            asset = RenderedAsset(job, image, layers, info, plate_image=plate)
        img_path, man_path = write_asset(lc, asset, out, options.signing)
    except CopyplateError as e:
        if e.fatal:
            raise
        return AssetResult(job, "", "", False, seconds=time.perf_counter() - t, error=str(e))
    failed = [f.as_dict() for layer in asset.layers for f in layer.findings if not f.passed]
    failed += [f.as_dict() for fs in asset.validation.values() for f in fs if not f.passed]
    return AssetResult(
        job,
        str(img_path.relative_to(out)),
        str(man_path.relative_to(out)),
        asset.ok,
        failed,
        time.perf_counter() - t,
        sum(len(a) for a in asset.attempts.values()),
    )


# --- worker processes ---------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(
    campaign: str, display: str, backend: str, cache: str, out: str, options: RunOptions
) -> None:
    from copyplate.layouts.loader import load_campaign

    lc = load_campaign(Path(campaign), display, per_job_coverage=True)
    _WORKER.update(
        lc=lc,
        out=Path(out),
        options=options,
        plates=PlateSource(
            plate_generator(backend, lc.campaign.gpt_image), PlateCache(Path(cache))
        ),
    )


def _work(job: Job) -> AssetResult:
    w = _WORKER
    return run_job(w["lc"], job, w["plates"], w["out"], w["options"])


def clean_stale_temp_files(out: Path) -> int:
    """Remove half-written temp files a killed run left behind (write_atomic's names)."""
    n = 0
    for tmp in out.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        n += 1
    return n


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
    """Every job of the plan, each written once; a ledger makes the batch resumable."""
    options = options or RunOptions()
    started = time.time()
    check_backends(lc, options.copy_backend)
    jobs = plan_jobs(lc, locales, sizes)
    backend = plate_backend or lc.campaign.plate.model
    out.mkdir(parents=True, exist_ok=True)
    clean_stale_temp_files(out)
    cache = plate_cache or PlateCache(out / ".plates")
    plates = PlateSource(plate_generator(backend, lc.campaign.gpt_image), cache)
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

    budget_env = os.environ.get(BUDGET_ENV)
    if options.max_cost is not None:
        # Worker processes and a local Ray inherit it; the tally starts at zero each run.
        tally = out / ".spend"
        tally.write_text("0")
        os.environ[BUDGET_ENV] = f"{options.max_cost}:{tally.resolve()}"
    try:
        if executor == "ray" and todo:
            from copyplate.pipeline.ray_executor import run_on_ray

            run_on_ray(lc, todo, backend, model_id, out, options, ray_address, finish)
        elif workers > 1 and len(todo) > 1:
            # Plates first, in this process: every worker then reads them from the cache.
            for job in todo:
                plates.get(lc, job)
            with ProcessPoolExecutor(
                workers,
                initializer=_init_worker,
                initargs=(str(lc.path), lc.display, backend, str(cache.root), str(out), options),
            ) as pool:
                for res in pool.map(_work, todo):
                    finish(res)
        else:
            for job in todo:
                finish(run_job(lc, job, plates, out, options))
    finally:
        ledger.close()
        if options.max_cost is not None:
            if budget_env is None:
                os.environ.pop(BUDGET_ENV, None)
            else:
                os.environ[BUDGET_ENV] = budget_env
    ordered = [results[j.name] for j in jobs]
    report: dict[str, Any] = {
        "campaign": lc.campaign.id,
        "campaign_file": lc.display,
        "plate_backend": backend,
        "plate_model": model_id,
        "assets": [r.as_dict() for r in ordered],
        "passed": sum(r.passed for r in ordered),
        "failed": sum(not r.passed for r in ordered),
        "reused": sum(r.reused for r in ordered),
    }
    for entry in report["assets"]:
        entry.update(manifest_summary(out, entry.get("manifest") or ""))
        entry["cost_usd"] = region_cost(entry)
    report["hosted"] = hosted_summary(report["assets"], started)
    report["hosted"]["max_cost_usd"] = options.max_cost
    path = out / "report.json"
    write_atomic(path, (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode())
    write_atomic(out / "junit.xml", junit_xml(report).encode("utf-8"))
    html = out / "report.html"
    write_atomic(html, render_html(report, out).encode("utf-8"))
    return html, ordered


def manifest_summary(out: Path, manifest: str) -> dict[str, Any]:
    """What the reports show of an asset: size, plate, and per region its box, verdict,
    failed findings and retry attempts (read back from the manifest written)."""
    path = out / manifest
    if not manifest or not path.is_file():
        return {}
    m = json.loads(path.read_text(encoding="utf-8"))
    regions = []
    for r in m.get("regions", []):
        findings = r.get("findings", [])
        regions.append(
            {
                "id": r["id"],
                "kind": r["kind"],
                "box": r["box"],
                "passed": all(f.get("passed") for f in findings),
                "failed": [f for f in findings if not f.get("passed")],
                "attempts": r.get("attempts", []),
                "backend": r.get("backend", "typeset"),
                "generated": bool(r.get("generated")),
                "fallback": r.get("fallback"),
                "calls": r.get("calls", []),
            }
        )
    return {
        "width": m.get("width"),
        "height": m.get("height"),
        "plate": m.get("plate", {}),
        "regions": regions,
    }
