"""Flowing regions: a stack's regions placed one after another inside its group box.

Resolution happens per job (one locale, size and variant), after the type limits of the
size and the harmony caps are applied and before anything is drawn: each region is set by
the copy stage's own typesetter in the group box, takes the extent its copy needs along
the stack (a two-line headline pushes the sub-line down), and the type shrinks, within
each region's limits, only when the whole stack does not fit. The result is ordinary
per-size boxes (and a font cap at the size that was measured), so rendering, the retry
ladder, the validators and the manifest all see the final boxes.

It is a pure function of the campaign, its copy and the fonts: every worker process or
Ray task resolves a job to the same boxes, and the job's ledger hash (which takes the
campaign, stacks included, and the copy) covers it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from copyplate.errors import StackFitError
from copyplate.layouts.geometry import Rect, resolve_box
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import (
    CtaRegion,
    OutputSize,
    PriceRegion,
    RelBox,
    Stack,
    TextRegion,
)
from copyplate.renderers.copy.base import RenderContext, renderer_for
from copyplate.renderers.copy.shapes import text_area

TextLike = TextRegion | PriceRegion | CtaRegion


@dataclass(frozen=True)
class Item:
    """One region as measured: its font px and the box size it needs (w x h)."""

    region: TextLike
    px: int
    w: int
    h: int


def _shape(region: TextLike) -> str:
    """The background shape a region draws its copy inside ("none" for bare text)."""
    return region.shape if isinstance(region, CtaRegion | PriceRegion) else "none"


def rel_box(rect: Rect, size: OutputSize) -> RelBox:
    """`rect` as fractions of the canvas that `resolve_box` turns back into exactly `rect`
    (built without validation: the fractions are ours, and a right edge on the canvas's
    edge may sum to 1 plus a rounding error)."""
    return RelBox.model_construct(
        x=rect.x / size.width, y=rect.y / size.height, w=rect.w / size.width, h=rect.h / size.height
    )


def _placed(region: TextLike, rect: Rect, size: OutputSize, cap: int) -> TextLike:
    return region.model_copy(
        update={
            "boxes": {**region.boxes, size.name: rel_box(rect, size)},
            "max_font_px": max(region.min_font_px, cap),
        }
    )


def _padded(shape: str, block_w: int, block_h: int, slack: int) -> tuple[int, int]:
    """The smallest box (w, h) whose text area, inside `shape`, holds the block with one
    clear pixel each side (the typesetter's own margin) plus `slack`."""
    w, h = block_w + 2 + slack, block_h + 2 + slack
    for _ in range(32):  # the pads grow with the box; a few rounds settle it
        left, top, right, bottom = text_area(shape, (w, h))
        need_w, need_h = block_w + left + right + 2 + slack, block_h + top + bottom + 2 + slack
        if w >= need_w and h >= need_h:
            break
        w, h = max(w, need_w), max(h, need_h)
    return w, h


def _measure(
    ctx: RenderContext, region: TextLike, cap: int, box: Rect, vertical: bool
) -> Item | None:
    """The region set by the typesetter in `box` with its type capped at `cap`, and the
    box it needs; None when its copy does not fit there even at min_font_px."""
    shape = _shape(region)
    boxes = [box]
    if shape != "none":
        # A badge or button is as tall as its type needs: measured first in a box of about
        # that height (its padding grows with its height), not in the whole group. Two em
        # a line leaves room for scripts whose line box is taller than the em (Arabic).
        lines = region.max_lines * cap * max(region.line_height, 2.0)
        _, tall = _padded(shape, 1, int(lines) + 1, 0)
        if tall < box.h:
            boxes.insert(0, Rect(box.x, box.y, box.w, tall))
    for area in boxes:
        layer = renderer_for(region.kind, "typeset").render(
            _placed(region, area, ctx.size, cap), ctx
        )
        px = layer.meta.get("font_px")
        block = layer.meta.get("text_bbox")
        if isinstance(px, int) and block:
            break
    else:
        return None
    bx, by, bw, bh = (int(v) for v in block)
    # The block's advance box, widened to the ink where marks or bearings overhang it.
    x0, y0, x1, y1 = bx, by, bx + bw, by + bh
    if shape == "none" and (ink := layer.image.getchannel("A").getbbox()) is not None:
        x0, y0 = min(x0, area.x + ink[0]), min(y0, area.y + ink[1])
        x1, y1 = max(x1, area.x + ink[2]), max(y1, area.y + ink[3])
    # A little room beyond the measured block: the final box must not make the
    # typesetter's one-pixel ink margin cost the region a size.
    slack = max(2, px // 8)
    w, h = _padded(shape, x1 - x0, y1 - y0, slack)
    if shape != "none":  # a badge hugs its copy both ways
        return Item(region, px, min(w, box.w), min(h, box.h))
    # Bare copy spans the group across the stack (its own align and valign place it).
    return Item(region, px, box.w, h) if vertical else Item(region, px, w, box.h)


def _caps(members: Sequence[TextLike], percent: int) -> list[int]:
    """Each region's type cap at `percent` of its max_font_px, never below its min."""
    return [max(r.min_font_px, min(r.max_font_px, r.max_font_px * percent // 100)) for r in members]


def _arrange(
    st: Stack,
    ctx: RenderContext,
    members: Sequence[TextLike],
    group: Rect,
    vertical: bool,
    rtl: bool,
) -> dict[str, tuple[Rect, int]]:
    main = group.h if vertical else group.w
    gap = round(st.gap * main)
    avail = main - gap * (len(members) - 1)
    # Measured in the whole group (a row: the width its gaps leave), so a region's extent
    # is what its copy needs, not what a hand-written box allowed.
    area = group if vertical else Rect(group.x, group.y, max(1, avail), group.h)

    def measure(caps: list[int]) -> list[Item] | str:
        out: list[Item] = []
        for r, cap in zip(members, caps, strict=True):
            item = _measure(ctx, r, cap, area, vertical)
            if item is None:
                return r.id
            out.append(item)
        return out

    def extent(items: list[Item]) -> int:
        return sum(i.h if vertical else i.w for i in items)

    where = f"stack {st.id!r} on size {ctx.size.name!r} ({ctx.locale}, {group.w}x{group.h} px box)"

    def unfit(region: str) -> StackFitError:
        return StackFitError(
            f"{where}: region {region!r} does not fit the stack's box even at its "
            "min_font_px; expected a larger box or shorter copy"
        )

    items = measure(_caps(members, 100))
    if isinstance(items, str):
        raise unfit(items)
    if extent(items) > avail:
        # Shrink only now: the largest share of every max_font_px (each kept at or above
        # its min) at which the whole stack fits. Smaller caps never need more room.
        smallest = measure(_caps(members, 0))
        if isinstance(smallest, str):
            raise unfit(smallest)
        if extent(smallest) > avail:
            need = extent(smallest) + gap * (len(members) - 1)
            raise StackFitError(
                f"{where}: {', '.join(r.id for r in members)} need {need} px along the stack "
                f"with every region at its min_font_px, the box has {main} px; expected a "
                "larger box, a smaller gap or shorter copy"
            )
        lo, hi, best = 0, 99, smallest
        while lo <= hi:
            mid = (lo + hi) // 2
            got = measure(_caps(members, mid))
            if not isinstance(got, str) and extent(got) <= avail:
                best, lo = got, mid + 1
            else:
                hi = mid - 1
        items = best

    free = avail - extent(items)
    n = len(items)
    if st.align == "space-between" and n > 1:
        lead, spread = 0, free
    else:
        lead, spread = {"start": 0, "center": free // 2, "end": free}.get(st.align, 0), 0
    out: dict[str, tuple[Rect, int]] = {}
    cursor = lead
    for k, it in enumerate(items):
        if vertical:
            x = group.x
            if it.w < group.w:  # a badge or button: placed by its own alignment
                x += {"start": 0, "center": (group.w - it.w) // 2, "end": group.w - it.w}[
                    it.region.align
                ]
            rect = Rect(x, group.y + cursor, it.w, it.h)
            step = it.h
        else:
            y = group.y
            if it.h < group.h:  # a badge or button: placed by its own vertical alignment
                y += {"top": 0, "middle": (group.h - it.h) // 2, "bottom": group.h - it.h}[
                    it.region.valign
                ]
            rect = Rect(group.x + cursor, y, it.w, it.h)
            step = it.w
        if rtl:
            # Mirrored in the group: a row reads right to left, a badge's start is the right.
            rect = Rect(2 * group.x + group.w - rect.x - rect.w, rect.y, rect.w, rect.h)
        out[it.region.id] = (rect, it.px)
        # Spare room of a space-between stack, shared out so the last region ends flush.
        extra = (spread * (k + 1)) // (n - 1) - (spread * k) // (n - 1) if spread else 0
        cursor += step + gap + extra
    return out


def resolve_stacks(lc: LoadedCampaign, size_name: str, variant: str, locale: str) -> LoadedCampaign:
    """`lc` with every stacked region given its final box on `size_name` for this locale
    and variant (and its type capped at the size measured for it). Raises StackFitError
    when a stack cannot hold its copy even at the regions' min_font_px."""
    if not lc.campaign.stacks:
        return lc
    size = lc.size(size_name)
    ctx = RenderContext(lc, locale, size, variant)
    rtl = lc.direction(locale) == "rtl"
    by_id = {r.id: r for r in lc.campaign.regions}
    final: dict[str, tuple[Rect, int]] = {}
    for st in lc.campaign.stacks:
        members = [m for rid in st.regions if isinstance(m := by_id.get(rid), TextLike)]
        if not members:
            continue
        group = resolve_box(st.boxes.get(size.name, st.box), size)
        vertical = st.directions.get(size.name, st.direction) == "column"
        final.update(_arrange(st, ctx, members, group, vertical, rtl))
    regions = []
    for r in lc.campaign.regions:
        if r.id in final and isinstance(r, TextLike):
            rect, px = final[r.id]
            r = _placed(r, rect, size, min(px, r.max_font_px))
        regions.append(r)
    return dataclasses.replace(lc, campaign=lc.campaign.model_copy(update={"regions": regions}))
