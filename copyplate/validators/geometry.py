"""`geometry`: inside the canvas and safe area, not clipped, not covered, big enough."""

from __future__ import annotations

from typing import ClassVar

from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators
from copyplate.validators.imaging import region_mask


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
                action="none" if inside else "fail",
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
                action="none" if not covering else "fail",
            )
        )
        if ink is not None and region.kind == "text":
            # Ink on the box's outermost pixels means glyphs run past the box: clipped.
            touches = (
                ink.x <= box.x
                or ink.y <= box.y
                or ink.right >= box.right
                or ink.bottom >= box.bottom
            )
            out.append(
                Finding(
                    "geometry.clipping",
                    region.id,
                    not touches,
                    "copy clear of the box edges"
                    if not touches
                    else "glyphs touch the edge of the box: copy is clipped or overflows",
                    measured=ink.as_list(),
                    expected=box.as_list(),
                    bbox=box.as_list(),
                    action="none" if not touches else "retypeset",
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
