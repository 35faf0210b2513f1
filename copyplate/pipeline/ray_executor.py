"""`--executor ray`: the same batch on a Ray cluster (or a local Ray).

Plates come from an actor that keeps the plate model loaded (given a GPU when the cluster
has one); each plate is made once and travels through Ray's object store as PNG bytes.
Copy, validation and retries run as one-CPU tasks that write the asset into the output
folder (on a multi-node cluster that folder must be shared storage). Results come back to
the driver, which alone writes the ledger.
"""

from __future__ import annotations

import contextlib
import io
import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from copyplate.capabilities import require
from copyplate.errors import CopyplateError, InputError
from copyplate.layouts.derive import derive_sizes
from copyplate.layouts.loader import LoadedCampaign, load_campaign
from copyplate.limits import RAY_CONNECT_TIMEOUT_S
from copyplate.pipeline.executors import BatchSpec, Finish
from copyplate.pipeline.job import AssetResult, PlateSource, run_job, take_calls, worker_threads
from copyplate.pipeline.plan import Job
from copyplate.pngfile import encode_png
from copyplate.renderers.plates.base import PlateRequest, calm_under, plate_generator

_CAMPAIGNS: dict[str, LoadedCampaign] = {}


def _ray() -> Any:
    return require("ray")


class PlateMaker:
    """Ray actor body: one plate generator, loaded once, making plates as PNG bytes."""

    def __init__(self, backend: str, hosted: Any = None) -> None:
        self.generator = plate_generator(backend, hosted)

    def make(self, req: PlateRequest) -> tuple[bytes, dict[str, Any]]:
        """The plate as PNG bytes, and what making it took (a hosted model's calls)."""
        png = encode_png(calm_under(self.generator.generate(req), req).convert("RGB"))
        calls = take_calls(self.generator)
        return png, ({"calls": calls} if calls else {})


def copy_task(spec: BatchSpec, job: Job, plate: tuple[bytes, dict[str, Any]]) -> AssetResult:
    """Ray task body: render, validate, retry and write one asset over a given plate."""
    key = str(spec.campaign)
    if key not in _CAMPAIGNS:  # once per worker process
        worker_threads()
        loaded = load_campaign(spec.campaign, spec.display, per_job_coverage=True)
        # The driver's derived sizes (--sizes 728x90) are not in the file: derive them alike.
        _CAMPAIGNS[key] = derive_sizes(loaded, spec.options.derived)[0]
    lc = _CAMPAIGNS[key]
    plates = PlateSource(plate_generator(spec.plate_backend, lc.campaign.gpt_image))
    png, meta = plate
    plates.preload(plates.key(lc, job), Image.open(io.BytesIO(png)).convert("RGB"), meta)
    return run_job(lc, job, plates, spec.out, spec.options)


def _result(ray: Any, ref: Any, job: Job) -> AssetResult:
    """A task's result; copyplate's own errors come back as themselves: a fatal one stops
    the batch as it would locally, any other fails that job (a plate that could not be
    made fails the tasks that needed it)."""
    try:
        res: AssetResult = ray.get(ref)
        return res
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if not isinstance(cause, CopyplateError):
            raise
        if cause.fatal:
            raise cause from None
        return AssetResult(job, "", "", False, error=str(cause))


def reachable(address: str, timeout: float = RAY_CONNECT_TIMEOUT_S) -> None:
    """`--ray-address` accepts a TCP connection within `timeout`, or one InputError. Ray's
    own connect waits on an address where nothing listens (`127.0.0.1:1`) for minutes."""
    if address in ("auto", "local"):
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not port.isdigit() or not 1 <= int(port) <= 65535 or not host:
        raise InputError(f"--ray-address {address!r}: expected HOST:PORT (or ray://HOST:PORT)")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as e:
        msg = (
            f"--ray-address {address!r}: no Ray cluster answers there within {timeout:g} s "
            f"({e.strerror or type(e).__name__})"
        )
        raise InputError(msg) from None


@dataclass
class RayExecutor:
    """`--executor ray [--ray-address ADDR]`: a local Ray, or the cluster at ADDR."""

    address: str | None = None
    name: ClassVar[str] = "ray"

    def run(
        self,
        spec: BatchSpec,
        lc: LoadedCampaign,
        plates: PlateSource,
        todo: list[Job],
        finish: Finish,
    ) -> None:
        if not todo:
            return
        ray = _ray()
        started_here = not ray.is_initialized()
        if started_here and self.address:
            reachable(self.address)
        if started_here:
            ray.init(
                address=self.address,
                include_dashboard=False,
                log_to_driver=False,
                ignore_reinit_error=True,
            )
        try:
            maker: Any = None
            task = ray.remote(num_cpus=1)(copy_task)
            made: dict[str, Any] = {}
            new: dict[str, Any] = {}  # plates the actor makes: cached once made
            jobs = {}
            cache = plates.cache
            for job in todo:
                key = plates.key(lc, job)
                if key not in made:
                    png = cache.get_png(key) if cache else None
                    if png is not None:
                        # A cached plate needs no actor, so no plate model is loaded.
                        made[key] = ray.put((png, cache.meta(key) if cache else {}))
                    else:
                        if maker is None:
                            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
                            maker = ray.remote(num_gpus=gpus)(PlateMaker).remote(
                                spec.plate_backend, lc.campaign.gpt_image
                            )
                        made[key] = new[key] = maker.make.remote(plates.request(lc, job))
                jobs[task.remote(spec, job, made[key])] = job
            pending = list(jobs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                finish(_result(ray, done[0], jobs[done[0]]))
            if cache is not None:
                for key, ref in new.items():
                    with contextlib.suppress(Exception):  # one that failed failed its jobs
                        png, meta = ray.get(ref)
                        cache.put_png(key, png, meta)
        finally:
            if started_here:
                ray.shutdown()
