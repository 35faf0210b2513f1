"""`logo`: brand rules for a logo region: clear space, minimum size, contrast with the plate.

What the validator reads is the manifest's `ink_box` (the logo as drawn; the box when
absent), `clear_space` (logo heights) and `min_px`; other regions' ink is their
`text_bbox`, a cut-out's visible alpha, else their box. A photo (an image region without
alpha) is a background, not ink."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from copyplate.color import relative_luminance, wcag_ratio
from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.validators.base import AssetView, RegionSpec, validators
from copyplate.validators.covers import alpha_rect


def ink_rect(region: RegionSpec) -> Rect | None:
    """The rectangle another region's ink occupies, or None when it has no ink to keep out."""
    m = region.m
    if m.kind == "image":
        return alpha_rect(region)
    if m.kind == "logo" and m.ink_box is not None:
        return Rect(*m.ink_box)
    if m.text_bbox is not None:
        return Rect(*m.text_bbox)
    return region.box


@validators.register("logo")
class LogoValidator:
    check: ClassVar[str] = "logo"
    kinds: ClassVar[tuple[str, ...]] = ("logo",)

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        m = region.m
        ink = Rect(*m.ink_box) if m.ink_box is not None else region.box
        return [
            self._clearspace(asset, region, ink),
            self._size(region, ink),
            self._contrast(asset, region, ink),
        ]

    def _clearspace(self, asset: AssetView, region: RegionSpec, ink: Rect) -> Finding:
        pad = round((region.m.clear_space or 0.0) * ink.h)
        zone = Rect(ink.x - pad, ink.y - pad, ink.w + 2 * pad, ink.h + 2 * pad)
        inside: list[str] = []
        for other in asset.regions:
            if other.id == region.id:
                continue
            r = ink_rect(other)
            if r is not None and r.intersects(zone):
                inside.append(other.id)
        ok = not inside
        return Finding(
            "logo.clearspace",
            region.id,
            ok,
            "clear space kept"
            if ok
            else f"{', '.join(inside)} inside the logo's clear space of {pad} px "
            f"({region.m.clear_space} logo heights)",
            measured=inside,
            expected=zone.as_list(),
            bbox=zone.as_list(),
            # The ladder draws the logo smaller in its box (clear space shrinks with it).
            action="none" if ok else "retypeset",
        )

    def _size(self, region: RegionSpec, ink: Rect) -> Finding:
        need = region.m.min_px or 1
        ok = ink.h >= need
        return Finding(
            "logo.size",
            region.id,
            ok,
            f"logo is {ink.h} px high" if ok else f"logo is {ink.h} px high; min_px is {need}",
            measured=ink.h,
            expected=need,
            bbox=ink.as_list(),
            action="none" if ok else "fail",
        )

    def _contrast(self, asset: AssetView, region: RegionSpec, ink: Rect) -> Finding:
        """The logo's strongest ink against the plate just around it (WCAG ratio; 3:1 is
        the bar for graphics, SC 1.4.11)."""
        need = region.m.min_contrast or 3.0
        H, W = asset.pixels.shape[:2]
        band = max(2, ink.h // 10)
        outer = Rect(ink.x - band, ink.y - band, ink.w + 2 * band, ink.h + 2 * band)
        x0, y0 = max(0, outer.x), max(0, outer.y)
        x1, y1 = min(W, outer.right), min(H, outer.bottom)
        lum = relative_luminance(asset.pixels[y0:y1, x0:x1])
        inner = np.zeros(lum.shape, bool)
        inner[max(0, ink.y - y0) : ink.bottom - y0, max(0, ink.x - x0) : ink.right - x0] = True
        ring = lum[~inner]
        logo = lum[inner]
        if ring.size == 0 or logo.size == 0:
            bg = float(np.median(lum)) if lum.size else 0.0
        else:
            bg = float(np.median(ring))
        # The 90th percentile of distance from the background: the logo's ink, not the
        # plate showing through its counters.
        far = logo[np.argsort(np.abs(logo - bg))][int(0.9 * (logo.size - 1))] if logo.size else bg
        ratio = round(wcag_ratio(float(far), bg), 2)
        ok = ratio >= need
        return Finding(
            "logo.contrast",
            region.id,
            ok,
            f"contrast {ratio}:1"
            if ok
            else f"contrast {ratio}:1 against the plate; needs {need}:1",
            measured=ratio,
            expected=need,
            bbox=ink.as_list(),
            action="none" if ok else "inpaint_plate",
        )
