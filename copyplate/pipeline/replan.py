"""The retry ladder: a failing region is re-rendered alone, a little more relaxed each time,
and checked again, a bounded number of times.

Which relaxation comes next depends on the check that failed:

- contrast: swap to a brand colour that meets the target -> scrim behind the copy ->
  repaint a calmer patch of plate under the box (the plate generator's inpaint);
- fit, OCR, clipping, glyphs: allow one more line -> cap the size lower (85% of the
  maximum, never below the minimum) -> start the font chain at the next face;
- QR: raise the error-correction level -> widen the quiet zone by two modules;
- EAN/UPC: nothing can be relaxed that keeps the symbol valid (module size and quiet
  zones follow from the box), so those fail at once, with their findings;
- a region a hosted model draws (`gpt-image`): re-ask with a relaxed prompt (typeface,
  then colour let go) -> fall back to `typeset`, then that ladder.

Only that region's layer (or the plate under that box) changes; layers are confined to
their boxes, so every pixel outside the box stays as it was. Each attempt is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from copyplate.findings import Finding
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import Region, RegionBase
from copyplate.pipeline.asset import draw_region
from copyplate.pipeline.plan import Job
from copyplate.renderers.copy.base import TYPESET, Layer

MAX_ATTEMPTS = 3
ECC_UP = {"L": "M", "M": "Q", "Q": "H"}

Step = Callable[[RegionBase, dict[str, Any]], dict[str, Any] | None]


def _more_lines(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    lines = int(o.get("max_lines", getattr(region, "max_lines", 1)))
    return {**o, "max_lines": lines + 1}


def _smaller(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    lo = int(getattr(region, "min_font_px", 0))
    hi = int(o.get("max_font_px", getattr(region, "max_font_px", 0)))
    cap = max(lo, round(hi * 0.85))
    return {**o, "max_font_px": cap} if cap < hi else None


def _next_font(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    return {**o, "font_shift": int(o.get("font_shift", 0)) + 1}


def _swap(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    return {**o, "contrast_aid": "swap"} if hasattr(region, "contrast_aid") else None


def _scrim(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    return {**o, "contrast_aid": "scrim"} if hasattr(region, "contrast_aid") else None


def _inpaint(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    return {**o, "inpaint_plate": True}


def _ecc_up(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    ecc = str(o.get("ecc", getattr(region, "ecc", "M")))
    return {**o, "ecc": ECC_UP[ecc]} if ecc in ECC_UP else None


def _quiet_zone(region: RegionBase, o: dict[str, Any]) -> dict[str, Any] | None:
    q = int(o.get("quiet_zone_modules", getattr(region, "quiet_zone_modules", 4)))
    return {**o, "quiet_zone_modules": q + 2} if q < 8 else None


LADDERS: dict[str, list[Step]] = {
    "contrast": [_swap, _scrim, _inpaint],
    "text": [_more_lines, _smaller, _next_font],
    "qr": [_ecc_up, _quiet_zone],
    "barcode": [],
}


def ladder_for(finding: Finding) -> str:
    family = finding.check.split(".")[0]
    if family in ("contrast",):
        return "contrast"
    if family in ("qr", "barcode"):
        return family
    return "text"


@dataclass
class RegionState:
    overrides: dict[str, Any] = field(default_factory=dict)
    ladder: str | None = None
    step: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    # Set when a hosted backend's region fell back to `typeset`: from where, and why.
    fallback: dict[str, Any] | None = None


def next_overrides(
    region: RegionBase,
    state: RegionState,
    failed: list[Finding],
    hosted: str | None = None,
    relaxed_retries: int = 0,
) -> dict[str, Any] | None:
    """The next relaxation for the first failed check, or None when the ladder is spent.

    A region a hosted model draws (`hosted` names the backend) has its own ladder first:
    re-ask with a more relaxed prompt up to `relaxed_retries` times, then fall back to
    `typeset`, whose own ladder then applies. A service that could not answer at all is
    not asked again: that region falls back at once.
    """
    if hosted is not None and state.fallback is None:
        relax = int(state.overrides.get("prompt_relax", 0))
        broke = any(f.check.startswith("backend.") for f in failed)
        if relax < relaxed_retries and not broke:
            return {**state.overrides, "prompt_relax": relax + 1}
        state.fallback = {
            "from": hosted,
            "because": [f.check for f in failed],
            "message": failed[0].message,
        }
        state.ladder, state.step = None, 0
        return {"backend": TYPESET}
    name = ladder_for(failed[0])
    if state.ladder != name:
        state.ladder, state.step = name, 0
    steps = LADDERS[name]
    while state.step < len(steps):
        step = steps[state.step]
        state.step += 1
        new = step(region, state.overrides)
        if new is not None and new != state.overrides:
            return new
    return None


def rerender(
    lc: LoadedCampaign,
    job: Job,
    region: Region,
    plate: Image.Image,
    layers: list[Layer],
    overrides: dict[str, Any],
    copy_backend: str | None = None,
) -> Layer:
    """The region's layer again, drawn over what lies beneath it (plate + lower layers)."""
    below = plate.convert("RGBA")
    for layer in layers:
        if layer.region == region.id:
            break
        below.alpha_composite(layer.image, (layer.rect.x, layer.rect.y))
    return draw_region(lc, job, region, below, overrides, copy_backend)


def composite(plate: Image.Image, layers: list[Layer]) -> Image.Image:
    canvas = plate.convert("RGBA")
    for layer in layers:
        canvas.alpha_composite(layer.image, (layer.rect.x, layer.rect.y))
    return canvas.convert("RGB")
