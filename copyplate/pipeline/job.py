"""One job of a batch, start to finish, and what every executor shares to run it: the
options of the run, the plates, the result that comes back to the driver."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.errors import CopyplateError
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.typescale import scaled_type
from copyplate.pipeline.asset import RenderedAsset, plate_request, render_copy, write_asset
from copyplate.pipeline.harmony import HarmonyPlan, harmonised
from copyplate.pipeline.plan import Job
from copyplate.pipeline.produce import produce
from copyplate.pipeline.provenance import Signing
from copyplate.pipeline.stacks import resolve_stacks
from copyplate.renderers.openai_images import HostedSettings, activate
from copyplate.renderers.plates.base import PlateGenerator, PlateRequest, calm_under
from copyplate.renderers.plates.cache import PlateCache
from copyplate.reports.assemble import THUMBS
from copyplate.reports.html import keep_thumb


@dataclass(frozen=True)
class RunOptions:
    """How a run makes its assets beyond the campaign file; travels to worker processes
    and Ray tasks, and into each job's ledger hash."""

    validate: bool = True
    copy_backend: str | None = None  # --copy-backend: default for regions naming none
    signing: Signing | None = None  # --sign-cert/--sign-key: C2PA-sign every asset
    max_cost: float | None = None  # --max-cost: USD this run may spend on hosted models
    prices: Path | None = None  # --prices: the hosted models' price table
    # Set by the batch from the two above: the tally file lives in the output folder.
    hosted: HostedSettings = field(default_factory=HostedSettings)
    # Set by the batch: the type-size caps it planned over all locales (harmony.py).
    harmony: HarmonyPlan = field(default_factory=HarmonyPlan)
    # Set by the batch: sizes derived from `--sizes WxH` or presets, re-derived by workers.
    derived: tuple[str, ...] = ()

    def identity(self) -> dict[str, Any]:
        """What of these options changes an asset's bytes (the ledger hashes it)."""
        return {
            "validate": self.validate,
            "copy_backend": self.copy_backend,
            "signer": self.signing.fingerprint() if self.signing else None,
        }


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


def take_calls(generator: Any) -> list[dict[str, Any]]:
    """The calls a hosted generator made since last asked (none for local ones)."""
    take = getattr(generator, "take_calls", None)
    return list(take()) if take else []


# Decoded plates a process keeps: jobs come size by size (`plan_jobs`), so the few most
# recent serve every locale of a size, and memory stays flat however many sizes a batch has
# (each plate is megabytes: the 2,000-asset bench grew a worker by a gigabyte unbounded).
PLATES_KEPT = 8


class PlateSource:
    """Plates by request, made once: every locale of a size shares one plate, in memory
    (the `PLATES_KEPT` most recent) and on disk (by content hash) for the next run."""

    def __init__(self, generator: PlateGenerator, cache: PlateCache | None = None) -> None:
        self.generator = generator
        self.cache = cache
        self._plates: OrderedDict[str, Image.Image] = OrderedDict()
        self._meta: dict[str, dict[str, Any]] = {}
        self._requests: dict[tuple[str, str], PlateRequest] = {}

    def request(self, lc: LoadedCampaign, job: Job) -> PlateRequest:
        """The plate request of a job's size and variant, worked out once."""
        k = (job.size, job.variant)
        if k not in self._requests:
            self._requests[k] = plate_request(lc, lc.size(job.size), job.variant)
        return self._requests[k]

    def key(self, lc: LoadedCampaign, job: Job) -> str:
        return self.request(lc, job).key(self.generator.model_id)

    def preload(self, key: str, plate: Image.Image, meta: dict[str, Any] | None = None) -> None:
        """A plate made elsewhere (a Ray actor): used instead of making it here."""
        self._keep(key, plate, meta or {})

    def _keep(self, key: str, plate: Image.Image, meta: dict[str, Any]) -> None:
        self._plates[key] = plate
        self._meta[key] = meta
        # Only what the disk cache holds may be dropped: a plate is never made twice.
        while len(self._plates) > PLATES_KEPT and self.cache and not self.cache.unwritable:
            old, _ = self._plates.popitem(last=False)
            del self._meta[old]

    def get(self, lc: LoadedCampaign, job: Job) -> tuple[Image.Image, dict[str, Any]]:
        req = self.request(lc, job)
        key = req.key(self.generator.model_id)
        if key not in self._plates:
            plate = self.cache.get(key) if self.cache else None
            if plate is None:
                # Layout-aware plates: calmer areas under the copy, for every backend.
                plate = calm_under(self.generator.generate(req), req)
                meta = {"calls": c} if (c := take_calls(self.generator)) else {}
                if self.cache:
                    self.cache.put(key, plate, meta)
            else:
                meta = self.cache.meta(key) if self.cache else {}
            self._keep(key, plate, meta)
        self._plates.move_to_end(key)
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


def worker_threads() -> None:
    """A worker process runs OpenCV on one thread. The batch runs a worker per core; in a
    process of its own OpenCV's pool (a thread per core) spent 15-25% more CPU on the
    validators' crops for at most a quarter less wall time, CPU the other workers lack. A
    worker forked after the driver had used OpenCV was single-threaded by accident (the
    pool does not survive a fork); one forked before, spawned, or on Ray was not. Called
    in a fresh worker, or in the driver before it forks: called in forked children (whose
    inherited pool has no threads), it left both workers of a pytest run hung once."""
    import cv2  # loaded by the validators anyway; imported here, not by the driver's no-op

    cv2.setNumThreads(1)


def run_job(
    lc: LoadedCampaign, job: Job, plates: PlateSource, out: Path, options: RunOptions
) -> AssetResult:
    """One asset, start to finish. Errors of copyplate's own kind fail this job only,
    unless they are fatal (a hosted service refusing every call): those stop the batch."""
    t = time.perf_counter()
    activate(options.hosted)  # in whichever process runs the job
    # The size's type scale, then the caps the batch planned: applied here, in whichever
    # process runs the job, so every executor's answer is equal.
    lc = scaled_type(lc, job.size)
    lc = harmonised(lc, options.harmony.caps_for(job.size, job.variant, job.locale))
    try:
        # The plate is shared by every locale of the size: it is asked for with the stacks'
        # group boxes, before this locale's copy places the stacked regions.
        plate, info = plates.get(lc, job)
        req = plates.request(lc, job)
        lc = resolve_stacks(lc, job.size, job.variant, job.locale)
        if options.validate:

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
        keep_thumb(img_path, asset.image, out / THUMBS)
    except CopyplateError as e:
        if e.fatal:
            raise
        return AssetResult(job, "", "", False, seconds=time.perf_counter() - t, error=str(e))
    except OSError as e:
        # A full disk or a read-only folder fails this asset; the batch goes on and its
        # report says why (the report itself may then fail, which the CLI reports).
        where = f" {e.filename}" if e.filename else ""
        msg = f"cannot write{where}: {e.strerror or e}"
        return AssetResult(job, "", "", False, seconds=time.perf_counter() - t, error=msg)
    except Exception as e:
        # One job's bug must not stop the batch and lose every other asset's report: the
        # job fails with the bug named, the rest run.
        msg = f"internal error: {type(e).__name__}: {e} (a bug; please report it)"
        return AssetResult(job, "", "", False, seconds=time.perf_counter() - t, error=msg)
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
