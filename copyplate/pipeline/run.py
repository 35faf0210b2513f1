"""Run a batch: plan, make each plate once per size and variant, render, write, report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.asset import RenderedAsset, plate_request, render_copy, write_asset
from copyplate.pipeline.plan import Job, plan_jobs
from copyplate.pipeline.produce import produce
from copyplate.renderers.plates.base import PlateGenerator, PlateRequest, plate_generator
from copyplate.renderers.plates.cache import PlateCache
from copyplate.reports.files import write_atomic


@dataclass
class AssetResult:
    job: Job
    image: str
    manifest: str
    passed: bool
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    retries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.job.as_dict(),
            "image": self.image,
            "manifest": self.manifest,
            "passed": self.passed,
            "findings": self.findings,
            "seconds": round(self.seconds, 4),
            "retries": self.retries,
        }


class PlateSource:
    """Plates by request, made once: every locale of a size shares one plate, in memory
    for this run and on disk (by content hash) for the next."""

    def __init__(self, generator: PlateGenerator, cache: PlateCache | None = None) -> None:
        self.generator = generator
        self.cache = cache
        self._plates: dict[str, Image.Image] = {}

    def get(self, lc: LoadedCampaign, job: Job) -> tuple[Image.Image, dict[str, Any]]:
        req = plate_request(lc, lc.size(job.size), job.variant)
        key = req.key(self.generator.model_id)
        if key not in self._plates:
            plate = self.cache.get(key) if self.cache else None
            if plate is None:
                plate = self.generator.generate(req)
                if self.cache:
                    self.cache.put(key, plate)
            self._plates[key] = plate
        info = {
            "model": self.generator.model_id,
            "generator": self.generator.name,
            "seed": req.seed,
            "mood": req.mood,
            "key": key,
        }
        return self._plates[key], info


def run_batch(
    lc: LoadedCampaign,
    out: Path,
    locales: Sequence[str] | None = None,
    sizes: Sequence[str] | None = None,
    plate_backend: str | None = None,
    progress: Callable[[AssetResult], None] | None = None,
    validate: bool = True,
    plate_cache: PlateCache | None = None,
) -> tuple[Path, list[AssetResult]]:
    jobs = plan_jobs(lc, locales, sizes)
    backend = plate_backend or lc.campaign.plate.model
    plates = PlateSource(plate_generator(backend), plate_cache)
    results: list[AssetResult] = []
    for job in jobs:
        t = time.perf_counter()
        plate, info = plates.get(lc, job)
        if validate:
            req = plate_request(lc, lc.size(job.size), job.variant)

            def inpaint(p: Image.Image, m: Image.Image, req: PlateRequest = req) -> Image.Image:
                return plates.generator.inpaint(p, m, req)

            asset = produce(lc, job, plate, info, inpaint=inpaint)
        else:
            image, layers = render_copy(lc, job, plate)
            asset = RenderedAsset(job, image, layers, info)
        img_path, man_path = write_asset(lc, asset, out)
        failed = [f.as_dict() for layer in asset.layers for f in layer.findings if not f.passed]
        failed += [f.as_dict() for fs in asset.validation.values() for f in fs if not f.passed]
        res = AssetResult(
            job,
            str(img_path.relative_to(out)),
            str(man_path.relative_to(out)),
            asset.ok,
            failed,
            time.perf_counter() - t,
            sum(len(a) for a in asset.attempts.values()),
        )
        results.append(res)
        if progress:
            progress(res)
    report = {
        "campaign": lc.campaign.id,
        "campaign_file": lc.display,
        "plate_backend": backend,
        "assets": [r.as_dict() for r in results],
        "passed": sum(r.passed for r in results),
        "failed": sum(not r.passed for r in results),
    }
    path = out / "report.json"
    write_atomic(path, (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode())
    return path, results
