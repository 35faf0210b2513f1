"""`geometry`: inside the canvas and safe area, not clipped, not covered, big enough."""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators
from copyplate.validators.imaging import region_mask, without_holder


@validators.register("geometry")
class GeometryValidator:
    check: ClassVar[str] = "geometry"
    kinds: ClassVar[tuple[str, ...]] = ("text", "price", "cta", "qr", "barcode", "logo", "image")

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        out: list[Finding] = []
        box = region.box
        W, H = asset.image.size
        canvas = Rect(0, 0, W, H)
        inside = box.inside(canvas) and box.w > 0 and box.h > 0
        out.append(
            Finding(
                "geometry.canvas",
                region.id,
                inside,
                "inside the image" if inside else f"box {box.as_list()} leaves the {W}x{H} image",
                measured=box.as_list(),
                expected=[0, 0, W, H],
                bbox=box.as_list(),
                action="none" if inside else "retypeset",
            )
        )
        if not inside:
            return out
        safe = asset.manifest.safe_area
        if safe and region.kind in (*COPY_KINDS, "qr", "barcode"):
            sa = Rect(*[int(v) for v in safe])
            ok = box.inside(sa)
            out.append(
                Finding(
                    "geometry.safe_area",
                    region.id,
                    ok,
                    "inside the safe area"
                    if ok
                    else f"box {box.as_list()} leaves the safe area {sa.as_list()}",
                    measured=box.as_list(),
                    expected=sa.as_list(),
                    bbox=box.as_list(),
                    action="none" if ok else "retypeset",
                )
            )
        if region.kind in COPY_KINDS:
            out += self._copy_checks(asset, region)
        return out

    def _copy_checks(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        out: list[Finding] = []
        box = region.box
        ink = self._ink_rect(asset, region)
        z = region.m.z
        covering = [
            r.id
            for r in asset.regions
            if r.id != region.id and r.m.z > z and ink is not None and r.box.intersects(ink)
        ]
        out.append(
            Finding(
                "geometry.overlap",
                region.id,
                not covering,
                "no higher region covers the copy"
                if not covering
                else f"covered by higher region(s) {', '.join(covering)}",
                measured=covering,
                bbox=box.as_list(),
                action="none" if not covering else "retypeset",
            )
        )
        if ink is not None:
            cut = self._cut_sides(asset, region)
            out.append(
                Finding(
                    "geometry.clipping",
                    region.id,
                    not cut,
                    "glyphs complete: no ink runs past the box or the image edge"
                    if not cut
                    else "glyphs are cut: "
                    + "; ".join(f"{side}: {why}" for side, why in cut.items()),
                    measured=ink.as_list(),
                    expected=box.as_list(),
                    bbox=box.as_list(),
                    action="none" if not cut else "retypeset",
                )
            )
        px, min_px = region.m.font_px, region.m.min_font_px
        if isinstance(px, int) and isinstance(min_px, int):
            ok = px >= min_px
            out.append(
                Finding(
                    "geometry.min_font",
                    region.id,
                    ok,
                    f"set at {px} px (minimum {min_px})",
                    measured=px,
                    expected=min_px,
                    bbox=box.as_list(),
                    action="none" if ok else "retypeset",
                )
            )
        return out

    @staticmethod
    def _ink_rect(asset: AssetView, region: RegionSpec) -> Rect | None:
        if region.m.text_bbox and region.kind != "text":
            return Rect(*[int(v) for v in region.m.text_bbox])
        box = region.box
        if region.kind != "text":
            return box
        mask = region_mask(asset, region)
        ys, xs = mask.nonzero()
        if len(xs) == 0:
            return None
        return Rect(
            box.x + int(xs.min()),
            box.y + int(ys.min()),
            int(xs.max() - xs.min()) + 1,
            int(ys.max() - ys.min()) + 1,
        )

    @staticmethod
    def _cut_sides(asset: AssetView, region: RegionSpec) -> dict[str, str]:
        """The box sides where glyphs are cut, and how.

        Ink touching the box edge is not clipping by itself: copy set tight to its box, or a
        card that fills it, touch the edge with complete glyphs. Glyphs are cut where the
        ink they touch the edge with goes on past it (copy overflowing its box: the same
        ink colour just outside, at the same places), or where the edge is the image's
        own (nothing beyond it to finish the glyph). Copy cut off at the box with nothing
        outside no longer says the expected copy: that is for `ocr` to fail."""
        box = region.box
        W, H = asset.image.size
        mask = _glyph_sized(without_holder(region_mask(asset, region)))
        if not (mask[:, 0].any() or mask[:, -1].any() or mask[0].any() or mask[-1].any()):
            return {}  # no ink on any edge (`_solid` below only takes ink away)
        crop = asset.crop(box).astype(np.float32)
        rgb = crop.reshape(-1, 3)
        flat = mask.reshape(-1)
        ink_rgb = np.median(rgb[flat], axis=0)
        bg_rgb = np.median(rgb[~flat], axis=0) if (~flat).any() else 255.0 - ink_rgb
        gap = float(np.linalg.norm(ink_rgb - bg_rgb))
        mask = _solid(mask, np.sqrt(((crop - ink_rgb) ** 2).sum(axis=2)) < 0.25 * gap)

        def ink_like(px: NDArray[np.uint8]) -> NDArray[np.bool_]:
            p = px.reshape(-1, 3).astype(np.float32)
            d_ink = ((p - ink_rgb) ** 2).sum(axis=1)
            d_bg = ((p - bg_rgb) ** 2).sum(axis=1)
            return np.asarray((d_ink < d_bg) & (d_ink < max(30.0, gap * 0.5) ** 2), dtype=bool)

        # name: (ink along that edge, the row or column just outside it, its axis)
        sides = {
            "left": (mask[:, 0], box.x - 1, "x"),
            "right": (mask[:, -1], box.right, "x"),
            "top": (mask[0, :], box.y - 1, "y"),
            "bottom": (mask[-1, :], box.bottom, "y"),
        }
        cut: dict[str, str] = {}
        for name, (edge, outside, axis) in sides.items():
            if not edge.any():
                continue
            limit = W if axis == "x" else H
            if outside < 0 or outside >= limit:
                cut[name] = "ink reaches the image edge"
                continue
            idx = np.nonzero(edge)[0]
            if axis == "x":
                px = asset.pixels[box.y + idx, outside]
            else:
                px = asset.pixels[outside, box.x + idx]
            share = float(ink_like(px).mean())
            if share >= 0.4:
                cut[name] = f"the copy's ink goes on past the box ({share:.0%} of where it touches)"
        return cut


def _glyph_sized(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The mask less specks far smaller than its largest piece: grain of a plate the colour
    split took for ink, which would otherwise "continue" past every edge."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, dtype=bool)
    keep[1:] = areas >= 0.05 * areas.max()
    return np.asarray(keep[labels], dtype=bool)


def _solid(mask: NDArray[np.bool_], core: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The pieces of the mask that hold pixels of the ink colour itself: glyphs have a solid
    core even when soft or re-compressed; a patch of plate between the ink and background
    colours, taken for ink at the margin, has none."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    cores = np.bincount(labels[core & mask], minlength=n)
    keep = cores >= 3
    keep[0] = False
    return np.asarray(keep[labels], dtype=bool)
