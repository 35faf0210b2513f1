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
from copyplate.layouts.checks import stack_room_problem
from copyplate.layouts.geometry import resolve_box
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import (
    CtaRegion,
    OutputSize,
    PriceRegion,
    SafeArea,
    StackDirection,
    TextRegion,
)
from copyplate.layouts.typescale import TextLike, font_limits

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
                # Type shrinks with the canvas's tighter side (never grows: a larger size
                # keeps the limits the campaign wrote), so a banner keeps the hierarchy.
                "type_scale": round(master.type_scale * min(1.0, sx, sy), 4),
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
            box = r.boxes.get(master.name, r.box)
            if box is not None:  # None: a stacked region, placed by its stack
                boxes[name] = box
        regions.append(r.model_copy(update={"boxes": boxes}))
    stacks = []
    for st in lc.campaign.stacks:
        sboxes, dirs = dict(st.boxes), dict(st.directions)
        for size in added:
            master = masters[size.name]
            sboxes[size.name] = st.boxes.get(master.name, st.box)
            dirs[size.name] = _direction_for(
                st.directions.get(master.name, st.direction), master, size
            )
        stacks.append(st.model_copy(update={"boxes": sboxes, "directions": dirs}))
    campaign = lc.campaign.model_copy(
        update={"sizes": [*lc.campaign.sizes, *added], "regions": regions, "stacks": stacks}
    )
    out = dataclasses.replace(lc, campaign=campaign)
    for size in added:
        _check_fits(out, size, masters[size.name])
    return out, [s.name for s in added]


# A stack turns (column to row, or back) when the derived canvas is at least this much
# wider (or taller) than its master: a column written for 1200x628 has no height left in
# 728x90 (aspect 4.2x wider), while 1920x1080 (0.9x) keeps it.
FLIP_ASPECT = 2.0


def _direction_for(
    direction: StackDirection, master: OutputSize, size: OutputSize
) -> StackDirection:
    change = (size.width / size.height) / (master.width / master.height)
    if direction == "column" and change >= FLIP_ASPECT:
        return "row"
    if direction == "row" and change <= 1 / FLIP_ASPECT:
        return "column"
    return direction


def _check_fits(lc: LoadedCampaign, size: OutputSize, master: OutputSize) -> None:
    """Each copy region's derived box (or stack) holds at least one line of its smallest
    type, after the size's type scale."""
    where = f"--sizes {size.name}: derived from {master.name!r} ({master.width}x{master.height})"
    advice = "add a size of that shape to the campaign or give the region a box for it"
    by_id = {r.id: r for r in lc.campaign.regions}
    for r in lc.campaign.regions:
        if not isinstance(r, TextRegion | PriceRegion | CtaRegion) or lc.stack_of(r.id):
            continue
        rect = lc.region_rect(r, size)
        lo, _ = font_limits(r, size)
        if rect.h < lo * r.line_height or rect.w < lo:
            scaled = f" (scaled to {size.type_scale:g})" if size.type_scale < 1 else ""
            msg = (
                f"{where}, region {r.id!r} gets a {rect.w}x{rect.h} px box, too small for one "
                f"line at its min_font_px {lo}{scaled}; {advice}"
            )
            raise InputError(msg)
    for st in lc.campaign.stacks:
        members = [m for rid in st.regions if isinstance(m := by_id.get(rid), TextLike)]
        rect = resolve_box(st.boxes.get(size.name, st.box), size)
        if problem := stack_room_problem(st, members, size, rect):
            raise InputError(f"{where}: {problem}; {advice}")
