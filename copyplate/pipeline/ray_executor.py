"""`--executor ray`: the same batch on a Ray cluster (or a local Ray).

Plates come from an actor that keeps the plate model loaded (given a GPU when the cluster
has one); each plate is made once and travels through Ray's object store as PNG bytes.
Copy, validation and retries run as one-CPU tasks that write the asset into the output
folder (on a multi-node cluster that folder must be shared storage). Results come back to
the driver, which alone writes the ledger.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.errors import MissingCapability
from copyplate.pipeline.plan import Job

_CAMPAIGNS: dict[str, Any] = {}


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingCapability("--executor ray needs Ray (pip install 'copyplate[ray]')") from None
    return ray


class PlateMaker:
    """Ray actor body: one plate generator, loaded once, making plates as PNG bytes."""

    def __init__(self, backend: str, hosted: Any = None) -> None:
        from copyplate.renderers.plates.base import plate_generator

        self.generator = plate_generator(backend, hosted)

    def make(self, req: Any) -> tuple[bytes, dict[str, Any]]:
        """The plate as PNG bytes, and what making it took (a hosted model's calls)."""
        from copyplate.pipeline.run import take_calls

        buf = io.BytesIO()
        self.generator.generate(req).save(buf, "PNG", compress_level=1)
        calls = take_calls(self.generator)
        return buf.getvalue(), ({"calls": calls} if calls else {})


def copy_task(
    campaign: str,
    display: str,
    backend: str,
    job: Job,
    plate: tuple[bytes, dict[str, Any]],
    out: str,
    options: Any,
) -> Any:
    """Ray task body: render, validate, retry and write one asset over a given plate."""
    from copyplate.layouts.loader import load_campaign
    from copyplate.pipeline.asset import plate_request
    from copyplate.pipeline.run import PlateSource, run_job
    from copyplate.renderers.plates.base import plate_generator

    if campaign not in _CAMPAIGNS:  # once per worker process
        _CAMPAIGNS[campaign] = load_campaign(Path(campaign), display, per_job_coverage=True)
    lc = _CAMPAIGNS[campaign]
    plates = PlateSource(plate_generator(backend, lc.campaign.gpt_image))
    req = plate_request(lc, lc.size(job.size), job.variant)
    png, meta = plate
    plates.preload(
        req.key(plates.generator.model_id), Image.open(io.BytesIO(png)).convert("RGB"), meta
    )
    return run_job(lc, job, plates, Path(out), options)


def _result(ray: Any, ref: Any, job: Job) -> Any:
    """A task's result; copyplate's own errors come back as themselves: a fatal one stops
    the batch as it would locally, any other fails that job (a plate that could not be
    made fails the tasks that needed it)."""
    from copyplate.errors import CopyplateError
    from copyplate.pipeline.run import AssetResult

    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if not isinstance(cause, CopyplateError):
            raise
        if cause.fatal:
            raise cause from None
        return AssetResult(job, "", "", False, error=str(cause))


def run_on_ray(
    lc: Any,
    todo: list[Job],
    backend: str,
    model_id: str,
    out: Path,
    options: Any,
    address: str | None,
    finish: Callable[[Any], None],
) -> None:
    ray = _ray()
    from copyplate.pipeline.asset import plate_request

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(
            address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True
        )
    try:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        maker = ray.remote(num_gpus=gpus)(PlateMaker).remote(backend, lc.campaign.gpt_image)
        task = ray.remote(num_cpus=1)(copy_task)
        plates: dict[str, Any] = {}
        pending = []
        jobs = {}
        for job in todo:
            req = plate_request(lc, lc.size(job.size), job.variant)
            key = req.key(model_id)
            if key not in plates:
                plates[key] = maker.make.remote(req)
            ref = task.remote(
                str(lc.path), lc.display, backend, job, plates[key], str(out), options
            )
            pending.append(ref)
            jobs[ref] = job
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            finish(_result(ray, done[0], jobs[done[0]]))
    finally:
        if started_here:
            ray.shutdown()
