"""One asset from plate to verdict: render every region, validate, retry failing regions
alone (see replan.py), and keep every attempt for the manifest and the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.findings import Finding
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.asset import RenderedAsset, manifest, render_copy
from copyplate.pipeline.plan import Job
from copyplate.pipeline.replan import (
    MAX_ATTEMPTS,
    RegionState,
    next_directive,
    put_layer,
    rerender,
    terminal,
)
from copyplate.renderers.copy.base import TYPESET
from copyplate.validators.base import validate_asset
from copyplate.validators.manifest import view_of

Inpaint = Callable[[Image.Image, Image.Image], Image.Image]


def validate(
    lc: LoadedCampaign, asset: RenderedAsset, regions: set[str] | None = None
) -> dict[str, list[Finding]]:
    """Validator findings for `asset` as it stands in memory, exactly as `verify` would see
    the written files."""
    man = manifest(lc, asset, f"{asset.job.name}.png")
    return validate_asset(view_of(Path(f"<{asset.job.name}>"), man, asset.image), regions=regions)


def _failed(asset: RenderedAsset, findings: dict[str, list[Finding]], rid: str) -> list[Finding]:
    layer = next(x for x in asset.layers if x.region == rid)
    return [f for f in [*layer.findings, *findings.get(rid, [])] if not f.passed]


def produce(
    lc: LoadedCampaign,
    job: Job,
    plate: Image.Image,
    plate_info: dict[str, Any],
    inpaint: Inpaint | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    copy_backend: str | None = None,
) -> RenderedAsset:
    image, layers = render_copy(lc, job, plate, copy_backend=copy_backend)
    asset = RenderedAsset(job, image, layers, plate_info)
    asset.validation = validate(lc, asset)
    regions = {r.id: r for r in lc.campaign.regions}
    relaxed = lc.campaign.gpt_image.relaxed_retries
    states: dict[str, RegionState] = {}
    # Every call a hosted backend made for a region, over all its attempts: what it cost.
    calls: dict[str, list[dict[str, Any]]] = {}
    for layer in asset.layers:
        calls[layer.region] = list(layer.meta.get("calls", []))
    hosted = {
        layer.region: str(layer.meta["backend"])
        for layer in asset.layers
        if layer.meta.get("backend") not in (None, TYPESET)
    }

    def budget(rid: str) -> int:
        # A hosted region may also spend its re-asks and the fallback before typeset's ladder.
        return max_attempts + (relaxed + 1 if rid in hosted else 0)

    progressed = True
    while progressed:
        progressed = False
        failing = [r.region for r in asset.layers if _failed(asset, asset.validation, r.region)]
        for rid in failing:
            failed = _failed(asset, asset.validation, rid)
            state = states.setdefault(rid, RegionState())
            if terminal(failed) or len(state.attempts) >= budget(rid):
                continue
            new = next_directive(regions[rid], state, failed, hosted.get(rid), relaxed)
            if new is None:
                continue
            changed = new.changed_from(state.directive)
            if new.repaint_plate and not state.directive.repaint_plate:
                if inpaint is None:
                    continue
                box = next(x for x in asset.layers if x.region == rid).rect
                mask = Image.new("L", plate.size, 0)
                mask.paste(255, (box.x, box.y, box.right, box.bottom))
                # Paste through the mask: pixels outside the box stay bit-identical whatever
                # the generator returns there.
                repainted = plate.copy()
                repainted.paste(inpaint(plate, mask), (0, 0), mask)
                plate = repainted
                asset.plate = {
                    **asset.plate,
                    "inpainted": [*asset.plate.get("inpainted", []), box.as_list()],
                }
            state.directive = new
            layer = rerender(lc, job, regions[rid], plate, asset.layers, new, copy_backend)
            calls[rid] += layer.meta.get("calls", [])
            put_layer(asset, plate, layer)
            asset.validation.update(validate(lc, asset, regions={rid}))
            still = _failed(asset, asset.validation, rid)
            attempt: dict[str, Any] = {
                "attempt": len(state.attempts) + 1,
                "backend": layer.meta.get("backend"),
                "because": [f.check for f in failed],
                "changed": changed,
                "passed": not still,
                "failed_checks": [f.check for f in still],
            }
            if layer.meta.get("calls"):
                attempt["calls"] = [c["id"] for c in layer.meta["calls"]]
            state.attempts.append(attempt)
            progressed = True
    for layer in asset.layers:
        state = states.get(layer.region, RegionState())
        if state.fallback is not None:
            layer.meta["fallback"] = state.fallback
        if calls.get(layer.region):
            layer.meta["calls"] = calls[layer.region]
    asset.attempts = {rid: st.attempts for rid, st in states.items() if st.attempts}
    asset.plate_image = plate
    return asset
