"""Derived sizes: any `WxH` (or a named preset) made from the campaign's own sizes, with no
hand-written boxes.

The master is the campaign size nearest in aspect ratio (log scale, so 2:1 and 1:2 are
equally far from 1:1); every region keeps the master's box in fractions of the canvas (a
grid box keeps its cells, the master's grid comes along), and the safe area is scaled per
side. A derived size whose boxes cannot hold a region's smallest type fails here, with the
region named, before any asset is made: never a silent clip.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

from copyplate.errors import InputError
from copyplate.layouts.geometry import resolve_box
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import CtaRegion, OutputSize, PriceRegion, SafeArea, TextRegion

# Common social and IAB display sizes, by the names ad and social tools use.
PRESETS: dict[str, tuple[int, int]] = {
    "ig-square": (1080, 1080),
    "ig-portrait": (1080, 1350),
    "ig-story": (1080, 1920),
    "fb-link": (1200, 628),
    "full-hd": (1920, 1080),
    "iab-mrec": (300, 250),
    "iab-leaderboard": (728, 90),
    "iab-skyscraper": (160, 600),
    "iab-half-page": (300, 600),
    "iab-billboard": (970, 250),
}
_WXH = re.compile(r"^([1-9][0-9]{1,3})x([1-9][0-9]{1,3})$")


def size_spec(text: str) -> tuple[int, int] | None:
    """(width, height) of a `WxH` or preset name; None when `text` is neither."""
    if text in PRESETS:
        return PRESETS[text]
    m = _WXH.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def nearest_master(sizes: Sequence[OutputSize], width: int, height: int) -> OutputSize:
    """The size closest in aspect ratio (the first of equals, as the campaign lists them)."""
    want = math.log(width / height)
    return min(sizes, key=lambda s: abs(math.log(s.width / s.height) - want))


def derive_sizes(
    lc: LoadedCampaign, wanted: Sequence[str] | None
) -> tuple[LoadedCampaign, list[str]]:
    """`lc` with every name of `wanted` that is not one of its sizes but a `WxH` or preset
    added as a derived size; the names added. Other unknown names are left for the planner
    to refuse."""
    known = {s.name for s in lc.campaign.sizes}
    added: list[OutputSize] = []
    for name in wanted or []:
        if name in known or (spec := size_spec(name)) is None:
            continue
        width, height = spec
        if not (16 <= width <= 8192 and 16 <= height <= 8192):
            msg = f"--sizes {name}: {width}x{height} is outside 16..8192 px"
            raise InputError(msg)
        master = nearest_master(lc.campaign.sizes, width, height)
        sx, sy = width / master.width, height / master.height
        sa = master.safe_area
        size = master.model_copy(
            update={
                "name": name,
                "width": width,
                "height": height,
                "safe_area": SafeArea(
                    top=round(sa.top * sy),
                    right=round(sa.right * sx),
                    bottom=round(sa.bottom * sy),
                    left=round(sa.left * sx),
                ),
                "delivery_width": None,
            }
        )
        added.append(size)
        known.add(name)
    if not added:
        return lc, []
    masters = {s.name: nearest_master(lc.campaign.sizes, s.width, s.height) for s in added}
    regions = []
    for r in lc.campaign.regions:
        boxes = dict(r.boxes)
        for name, master in masters.items():
            boxes[name] = r.boxes.get(master.name, r.box)
        regions.append(r.model_copy(update={"boxes": boxes}))
    campaign = lc.campaign.model_copy(
        update={"sizes": [*lc.campaign.sizes, *added], "regions": regions}
    )
    out = dataclasses.replace(lc, campaign=campaign)
    for size in added:
        _check_fits(out, size, masters[size.name])
    return out, [s.name for s in added]


def _check_fits(lc: LoadedCampaign, size: OutputSize, master: OutputSize) -> None:
    """Each copy region's derived box holds at least one line of its smallest type."""
    for r in lc.campaign.regions:
        if not isinstance(r, TextRegion | PriceRegion | CtaRegion):
            continue
        rect = resolve_box(r.boxes[size.name], size)
        if rect.h < r.min_font_px * r.line_height or rect.w < r.min_font_px:
            msg = (
                f"--sizes {size.name}: derived from {master.name!r} "
                f"({master.width}x{master.height}), region {r.id!r} gets a {rect.w}x{rect.h} px "
                f"box, too small for one line at its min_font_px {r.min_font_px}; add a size "
                f"of that shape to the campaign or give the region a box for it"
            )
            raise InputError(msg)
