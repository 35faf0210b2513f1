"""The retry ladder: a failing region is re-rendered alone, a little more relaxed each time,
and checked again, a bounded number of times.

Whether a region is retried at all follows its failed findings' `action`: one that says
"fail" stops it (the copy or payload itself is wrong), "fallback" sends a hosted region
to `typeset` at once. Which relaxation comes next depends on the check that failed:

- contrast: swap to a brand colour that meets the target -> scrim behind the copy ->
  repaint a calmer patch of plate under the box (the plate generator's inpaint);
- fit, OCR, clipping, glyphs: allow one more line -> cap the size lower (85% of the
  maximum, never below the minimum) -> start the font chain at the next face;
- QR: raise the error-correction level -> widen the quiet zone by two modules;
- logo clear space: draw the logo smaller in its box (x0.8, not below 0.4 of it), which
  moves its ink away from its neighbours and shrinks the clear space with it; `logo.size`
  then fails the region when that makes it smaller than its `min_px`;
- EAN/UPC: nothing can be relaxed that keeps the symbol valid (module size and quiet
  zones follow from the box), so those fail at once, with their findings;
- a region a hosted model draws (`gpt-image`): re-ask with a relaxed prompt (typeface,
  then colour let go) -> fall back to `typeset`, then that ladder.

Each rung returns a typed `Directive` (directives.py): the renderer draws the Region
updated with it. Only that region's layer (or the plate under that box) changes; layers
are confined to their boxes, so every pixel outside the box stays as it was. Each attempt
is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image

from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import Region, RegionBase
from copyplate.pipeline.asset import RenderedAsset, draw_region
from copyplate.pipeline.directives import Directive, Ecc
from copyplate.pipeline.plan import Job
from copyplate.renderers.copy.base import TYPESET, Layer

MAX_ATTEMPTS = 3
ECC_UP: dict[str, Ecc] = {"L": "M", "M": "Q", "Q": "H"}


# How the ladder reads a failed finding's `action`: "fail" stops the region (no relaxation
# can fix it: the copy or payload itself is wrong), "fallback" leaves a hosted backend at
# once, anything else climbs the ladder of the check's family.
def terminal(failed: list[Finding]) -> bool:
    """Whether no relaxation can fix these findings."""
    return any(f.action == "fail" for f in failed)


Step = Callable[[RegionBase, Directive], Directive | None]


def _now(region: RegionBase, d: Directive, name: str, default: Any) -> Any:
    """A setting as the last attempt drew it: relaxed, else the region's, else `default`."""
    value = getattr(d.relax, name)
    return value if value is not None else getattr(region, name, default)


def _more_lines(region: RegionBase, d: Directive) -> Directive | None:
    lines = int(_now(region, d, "max_lines", 1))
    return d.relaxed(replace(d.relax, max_lines=lines + 1))


def _smaller(region: RegionBase, d: Directive) -> Directive | None:
    lo = int(getattr(region, "min_font_px", 0))
    hi = int(_now(region, d, "max_font_px", 0))
    cap = max(lo, round(hi * 0.85))
    return d.relaxed(replace(d.relax, max_font_px=cap)) if cap < hi else None


def _next_font(region: RegionBase, d: Directive) -> Directive | None:
    return d.relaxed(replace(d.relax, font_shift=d.relax.font_shift + 1))


def _swap(region: RegionBase, d: Directive) -> Directive | None:
    if not hasattr(region, "contrast_aid"):
        return None
    return d.relaxed(replace(d.relax, contrast_aid="swap"))


def _scrim(region: RegionBase, d: Directive) -> Directive | None:
    if not hasattr(region, "contrast_aid"):
        return None
    return d.relaxed(replace(d.relax, contrast_aid="scrim"))


def _inpaint(region: RegionBase, d: Directive) -> Directive | None:
    return replace(d, repaint_plate=True)


def _ecc_up(region: RegionBase, d: Directive) -> Directive | None:
    ecc = str(_now(region, d, "ecc", "M"))
    return d.relaxed(replace(d.relax, ecc=ECC_UP[ecc])) if ecc in ECC_UP else None


def _quiet_zone(region: RegionBase, d: Directive) -> Directive | None:
    q = int(_now(region, d, "quiet_zone_modules", 4))
    return d.relaxed(replace(d.relax, quiet_zone_modules=q + 2)) if q < 8 else None


def _logo_smaller(region: RegionBase, d: Directive) -> Directive | None:
    scale = float(_now(region, d, "scale", 1.0))
    new = round(scale * 0.8, 3)
    return d.relaxed(replace(d.relax, scale=new)) if new >= 0.4 else None


LADDERS: dict[str, list[Step]] = {
    "contrast": [_swap, _scrim, _inpaint],
    "text": [_more_lines, _smaller, _next_font],
    "qr": [_ecc_up, _quiet_zone],
    "barcode": [],
    "logo": [_logo_smaller, _logo_smaller, _logo_smaller],
}


def ladder_for(finding: Finding) -> str:
    family = finding.check.split(".")[0]
    if family in ("contrast",) or finding.check == "logo.contrast":
        return "contrast"
    if family in ("qr", "barcode", "logo"):
        return family
    return "text"


@dataclass
class RegionState:
    directive: Directive = field(default_factory=Directive)
    ladder: str | None = None
    step: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    # Set when a hosted backend's region fell back to `typeset`: from where, and why.
    fallback: dict[str, Any] | None = None


def next_directive(
    region: RegionBase,
    state: RegionState,
    failed: list[Finding],
    hosted: str | None = None,
    relaxed_retries: int = 0,
) -> Directive | None:
    """The next relaxation for the first failed check, or None when the ladder is spent.

    A region a hosted model draws (`hosted` names the backend) has its own ladder first:
    re-ask with a more relaxed prompt up to `relaxed_retries` times, then fall back to
    `typeset`, whose own ladder then applies. A service that could not answer at all (a
    finding whose action is "fallback") is not asked again: that region falls back at once.
    """
    if hosted is not None and state.fallback is None:
        now = state.directive.relax
        broke = any(f.action == "fallback" for f in failed)
        if now.prompt_relax < relaxed_retries and not broke:
            return state.directive.relaxed(replace(now, prompt_relax=now.prompt_relax + 1))
        state.fallback = {
            "from": hosted,
            "because": [f.check for f in failed],
            "message": failed[0].message,
        }
        state.ladder, state.step = None, 0
        return Directive(backend=TYPESET)
    name = ladder_for(failed[0])
    if state.ladder != name:
        state.ladder, state.step = name, 0
    steps = LADDERS[name]
    while state.step < len(steps):
        step = steps[state.step]
        state.step += 1
        new = step(region, state.directive)
        if new is not None and new != state.directive:
            return new
    return None


def rerender(
    lc: LoadedCampaign,
    job: Job,
    region: Region,
    plate: Image.Image,
    layers: list[Layer],
    directive: Directive,
    copy_backend: str | None = None,
) -> Layer:
    """The region's layer again, drawn over what lies beneath it (plate + lower layers)."""
    below = plate.convert("RGBA")
    for layer in layers:
        if layer.region == region.id:
            break
        below.alpha_composite(layer.image, (layer.rect.x, layer.rect.y))
    return draw_region(lc, job, region, below, directive, copy_backend)


def composite(plate: Image.Image, layers: list[Layer]) -> Image.Image:
    canvas = plate.convert("RGBA")
    for layer in layers:
        canvas.alpha_composite(layer.image, (layer.rect.x, layer.rect.y))
    return canvas.convert("RGB")


def recomposite(
    image: Image.Image, plate: Image.Image, layers: list[Layer], area: Rect
) -> Image.Image:
    """`image` (the composite of `plate` and `layers` but for `area`, where a region was
    drawn again) with `area` composited anew: compositing is per pixel, so these are
    `composite`'s pixels for the cost of the area alone (a retry's, not the canvas's)."""
    x0, y0 = max(0, area.x), max(0, area.y)
    x1, y1 = min(image.width, area.right), min(image.height, area.bottom)
    if x1 <= x0 or y1 <= y0:
        return image
    part = plate.crop((x0, y0, x1, y1)).convert("RGBA")
    for layer in layers:
        r = layer.rect
        lx0, ly0 = max(x0, r.x), max(y0, r.y)
        lx1, ly1 = min(x1, r.x + layer.image.width), min(y1, r.y + layer.image.height)
        if lx1 > lx0 and ly1 > ly0:
            part.alpha_composite(
                layer.image, (lx0 - x0, ly0 - y0), (lx0 - r.x, ly0 - r.y, lx1 - r.x, ly1 - r.y)
            )
    out = image.copy()
    out.paste(part.convert("RGB"), (x0, y0))
    return out


def put_layer(asset: RenderedAsset, plate: Image.Image, layer: Layer) -> None:
    """`layer` in place of its region's layer in `asset`, and the image composited anew
    where that region was or is now (`recomposite`): a retry changes that box alone, in
    its layer and in a repainted plate."""
    before = next(x for x in asset.layers if x.region == layer.region).rect
    asset.layers = [layer if x.region == layer.region else x for x in asset.layers]
    asset.image = recomposite(asset.image, plate, asset.layers, before.union(layer.rect))
