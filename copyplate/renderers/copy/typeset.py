"""`typeset`: the built-in text renderer, and the text-setting step price and CTA share."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from PIL import Image

from copyplate.color import luminance_tails, parse_hex, wcag_large_text, worst_ratio
from copyplate.findings import Finding
from copyplate.fonts import describe_chars
from copyplate.layouts.geometry import Rect
from copyplate.layouts.models import CtaRegion, PriceRegion, RegionBase, TextRegion
from copyplate.renderers.copy.base import Layer, LayerMeta, RenderContext, copy_of, copy_renderers
from copyplate.renderers.copy.shapes import shape_image, text_area
from copyplate.textlayout import Direction, Layout, TextSetter

TextLike = TextRegion | PriceRegion | CtaRegion
SCRIM_ALPHA = 224


def _bold(layout: Layout) -> bool:
    return any("bold" in f.style.lower() or "black" in f.style.lower() for f in layout.faces)


def contrast_target(region: TextLike, ctx: RenderContext, px: int, bold: bool) -> float:
    explicit = region.checks.min_contrast
    if explicit is not None:
        return explicit
    brand = ctx.campaign.campaign.brand.min_contrast
    return min(brand, 3.0) if wcag_large_text(px, bold) else brand


def choose_aid(
    region: TextLike,
    ctx: RenderContext,
    rect: Rect,
    fill: tuple[int, int, int, int],
    target: float,
) -> tuple[str, tuple[int, int, int, int], tuple[int, int, int, int] | None]:
    """(aid, text colour, aid colour): what brings the copy to `target` over the backdrop."""
    aid: str = region.contrast_aid
    if aid == "none" or ctx.backdrop is None:
        return "none", fill, None
    crop = np.asarray(ctx.backdrop.crop((rect.x, rect.y, rect.right, rect.bottom)).convert("RGB"))
    tails = luminance_tails(crop)
    if aid == "auto" and worst_ratio(fill, tails) >= target:
        return "none", fill, None
    tokens = {k: parse_hex(v) for k, v in ctx.campaign.campaign.brand.colors.items()}
    # The token farthest from the text colour backs a scrim or halo.
    opposite = max(tokens.values(), key=lambda c: worst_ratio(c, (_lum(fill), _lum(fill))))
    if aid in ("auto", "swap"):
        best_name, best = max(tokens.items(), key=lambda kv: worst_ratio(kv[1], tails))
        if worst_ratio(best, tails) >= target:
            return f"swap:{best_name}", best, None
        if aid == "swap":
            return "swap-failed", fill, None
    if aid == "halo":
        return "halo", fill, opposite
    return "scrim", fill, opposite


def _lum(c: tuple[int, ...]) -> float:
    from copyplate.color import relative_luminance

    return float(relative_luminance(c))


def set_copy(
    region: TextLike,
    ctx: RenderContext,
    text: str,
    shape: str = "none",
    shape_fill: tuple[int, int, int, int] | None = None,
    radius: float = 0.5,
) -> Layer:
    """Fit and draw `text` in the region's box (inside `shape`, if any) as one layer."""
    lc = ctx.campaign
    rect = lc.region_rect(region, ctx.size)
    info = lc.locale(ctx.locale)
    direction: Direction = region.direction or lc.direction(ctx.locale)  # type: ignore[assignment]
    chain = lc.font_chain(region.font_role, info.script)
    # "alternate font": the retry ladder may start the chain at a later face.
    first = ctx.font_shift % max(len(chain), 1)
    chain = chain[first:] + chain[:first]
    setter = TextSetter(chain, ctx.locale, direction, lc.campaign.brand.hyphenation)
    findings: list[Finding] = []
    bbox = rect.as_list()

    _, missing = setter.assign(text)
    if missing:
        findings.append(
            Finding(
                "glyphs.missing",
                region.id,
                False,
                f"no font of the chain ({', '.join(f.label for f in chain)}) has "
                f"{describe_chars(missing)}; those characters were not drawn",
                measured=[f"U+{ord(c):04X}" for c in missing],
                expected="every glyph",
                bbox=bbox,
                action="retypeset",
            )
        )

    image = Image.new("RGBA", (rect.w, rect.h), (0, 0, 0, 0))
    if shape != "none" and shape_fill is not None:
        image.alpha_composite(shape_image(shape, (rect.w, rect.h), shape_fill, radius))
    pad = text_area(shape, (rect.w, rect.h))
    # One pixel stays clear on every side (see the ink check below).
    inner_w, inner_h = rect.w - pad[0] - pad[2] - 2, rect.h - pad[1] - pad[3] - 2

    min_px = region.min_font_px
    max_px = region.max_font_px
    max_lines = region.max_lines
    line_height = region.line_height
    meta: LayerMeta = {
        "text": text,
        "direction": direction,
        "renderer": "typeset",
        "hyphenation": setter.hyphenator is not None,
    }

    layout = setter.fit(text, inner_w, inner_h, min_px, max_px, max_lines, line_height)
    text_img: Image.Image | None = None
    while layout is not None:
        fill = parse_hex(lc.color(region.color))
        target = contrast_target(region, ctx, layout.size, _bold(layout))
        aid, fill, aid_color = (
            choose_aid(region, ctx, rect, fill, target) if shape == "none" else ("none", fill, None)
        )
        # Draw on a canvas with a margin so ink that would leave the box is seen, not cut.
        m = layout.size
        scratch = Image.new("RGBA", (rect.w + 2 * m, rect.h + 2 * m), (0, 0, 0, 0))
        stroke = None
        if aid == "halo" and aid_color is not None:
            stroke = (max(2, layout.size // 12), aid_color)
        align, valign = region.align, region.valign
        origin = (m + pad[0] + 1, m + pad[1] + 1)
        block = setter.draw(
            scratch, layout, origin, (inner_w, inner_h), align, valign, fill, stroke
        )
        ink = scratch.getchannel("A").getbbox()
        shift = _nudge(ink, m, rect.w, rect.h)
        if shift is not None and shift != (0, 0):
            # Side bearings and marks overhang the advance box by a pixel or two; move the
            # block back inside when the other side has room, rather than shrink the type.
            scratch = Image.new("RGBA", scratch.size, (0, 0, 0, 0))
            origin = (origin[0] + shift[0], origin[1] + shift[1])
            block = setter.draw(
                scratch, layout, origin, (inner_w, inner_h), align, valign, fill, stroke
            )
            ink = scratch.getchannel("A").getbbox()
        # Ink keeps one pixel clear of every edge: ink on a box's outermost pixels is what
        # the geometry validator reads as clipped.
        if ink is None or (
            ink[0] >= m + 1
            and ink[1] >= m + 1
            and ink[2] <= m + rect.w - 1
            and ink[3] <= m + rect.h - 1
        ):
            text_img = scratch.crop((m, m, m + rect.w, m + rect.h))
            if aid == "scrim" and aid_color is not None and ink is not None:
                image.alpha_composite(_scrim(rect, ink, m, layout.size, aid_color))
            meta.update(
                {
                    "font": [f.label for f in layout.faces],
                    "font_files": [f"{f.path}#{f.index}" for f in layout.faces],
                    # The chain in fallback order: a re-rendering must assign neutral
                    # characters (spaces, digits, dashes) to the same faces.
                    "font_chain": [f"{f.path}#{f.index}" for f in chain],
                    "font_px": layout.size,
                    "bold": _bold(layout),
                    "lines": [ln.text for ln in layout.lines],
                    # Which face drew which run, left to right: provenance and the glyph test.
                    "runs": [
                        [
                            {"text": p.text, "font": f"{p.face.path}#{p.face.index}", "rtl": p.rtl}
                            for p in ln.pieces
                        ]
                        for ln in layout.lines
                    ],
                    "color": "#{:02X}{:02X}{:02X}".format(*fill[:3]),
                    "contrast_aid": aid,
                    "contrast_target": target,
                    "text_bbox": [rect.x + block[0] - m, rect.y + block[1] - m, block[2], block[3]],
                }
            )
            break
        # Ink outside the box (tall stacked diacritics, a swash): one pixel smaller.
        smaller = layout.size - 1
        layout = None
        if smaller >= min_px:
            layout = setter.fit(text, inner_w, inner_h, min_px, smaller, max_lines, line_height)

    if text_img is None:
        findings.append(
            Finding(
                "geometry.fit",
                region.id,
                False,
                f"copy does not fit {inner_w}x{inner_h} px at {min_px} px or more "
                f"in {max_lines} line(s)",
                measured=None,
                expected={"min_font_px": min_px, "max_lines": max_lines},
                bbox=bbox,
                action="retypeset",
            )
        )
    else:
        image.alpha_composite(text_img)
    return Layer(region.id, rect, image, region.z, meta, findings)


def _nudge(ink: tuple[int, int, int, int] | None, m: int, w: int, h: int) -> tuple[int, int] | None:
    """The smallest move that brings `ink` (scratch coordinates, box at m..m+w) inside the
    box, or None when the ink is larger than the box."""
    if ink is None:
        return (0, 0)
    moves = []
    for lo, hi, size in ((ink[0] - m, ink[2] - m, w), (ink[1] - m, ink[3] - m, h)):
        if hi - lo > size - 2:
            return None
        moves.append(1 - lo if lo < 1 else (size - 1 - hi if hi > size - 1 else 0))
    return moves[0], moves[1]


def _scrim(
    rect: Rect,
    ink: tuple[int, int, int, int],
    margin: int,
    px: int,
    color: tuple[int, int, int, int],
) -> Image.Image:
    """A rounded panel behind the ink, padded by a fraction of the font size, inside the box."""
    pad = max(4, px // 3)
    x0 = max(0, ink[0] - margin - pad)
    y0 = max(0, ink[1] - margin - pad)
    x1 = min(rect.w, ink[2] - margin + pad)
    y1 = min(rect.h, ink[3] - margin + pad)
    out = Image.new("RGBA", (rect.w, rect.h), (0, 0, 0, 0))
    panel = shape_image("rect", (x1 - x0, y1 - y0), (*color[:3], SCRIM_ALPHA), radius=0.15)
    out.alpha_composite(panel, (x0, y0))
    return out


@copy_renderers.register("typeset")
class TypesetRenderer:
    name: ClassVar[str] = "typeset"
    kinds: ClassVar[tuple[str, ...]] = ("text",)

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, TextRegion)
        return set_copy(region, ctx, copy_of(region, ctx)[0])
