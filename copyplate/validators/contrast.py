"""`contrast`: WCAG 2.2 ratio and APCA Lc between the glyphs and what lies right around them.

Over a plate the background varies, so the mean lies: the background is the ring of pixels
2-6 px around the glyphs, and its *worst* tail (the 5% closest to the text's lightness)
is what the ratio is measured against.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from copyplate.color import apca_lc, apca_minimum, relative_luminance, wcag_large_text, wcag_ratio
from copyplate.findings import Finding
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators
from copyplate.validators.imaging import Mask, core, region_mask, ring, runs, text_rect

TAIL = 5.0


@validators.register("contrast")
class ContrastValidator:
    check: ClassVar[str] = "contrast"
    kinds: ClassVar[tuple[str, ...]] = COPY_KINDS

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        rect = text_rect(asset, region, pad=8)
        rgb = asset.crop(rect)
        mask = region_mask(asset, region, rect)
        if mask.sum() < 10:
            return [
                Finding(
                    "contrast.glyphs",
                    region.id,
                    False,
                    "no glyphs found in the region to measure",
                    bbox=rect.as_list(),
                    action="retypeset",
                )
            ]
        px = float(region.m.font_px or self._estimate_px(mask))
        bold = bool(region.m.bold)
        text_px = rgb[core(mask)].astype(np.float64)
        text_rgb = tuple(int(v) for v in np.median(text_px, axis=0))
        text_l = float(relative_luminance(text_rgb))
        bg = rgb[ring(mask, 2, max(4, round(px / 6)))]
        if len(bg) < 10:
            bg = rgb[~mask]
        if len(bg) < 10:
            # Nothing in the crop is far enough from the ink to be background: the copy
            # cannot be told apart from what is behind it.
            bg = rgb.reshape(-1, 3)
        lum = relative_luminance(bg)
        # The worst tail: background pixels closest in lightness to the text.
        dark_text = text_l < float(np.median(lum))
        worst_l = float(np.percentile(lum, TAIL if dark_text else 100 - TAIL))
        idx = int(np.argmin(np.abs(lum - worst_l)))
        worst_rgb = tuple(int(v) for v in bg[idx])
        ratio = wcag_ratio(text_l, worst_l)
        target = region.m.min_contrast
        if not isinstance(target, int | float):
            target = 3.0 if wcag_large_text(px, bold) else 4.5
        ok = ratio >= target - 1e-9
        out = [
            Finding(
                "contrast.wcag",
                region.id,
                ok,
                f"{ratio:.2f}:1 against the worst {TAIL:.0f}% of the background"
                + ("" if ok else f", below {target}:1"),
                measured=round(ratio, 2),
                expected=target,
                bbox=rect.as_list(),
                action="none" if ok else "retypeset",
                extra={"text_rgb": text_rgb, "background_rgb": worst_rgb, "font_px": round(px, 1)},
            )
        ]
        lc = apca_lc(text_rgb, worst_rgb)
        min_apca = region.m.min_apca
        gate = min_apca is not None
        need = min_apca if min_apca is not None else apca_minimum(px, bold)
        apca_ok = abs(lc) >= need
        out.append(
            Finding(
                "contrast.apca",
                region.id,
                apca_ok or not gate,
                f"APCA Lc {lc:.1f} (guideline {need:.0f} for {px:.0f} px"
                + ("" if gate else "; advisory, gated only when min_apca is set")
                + ")",
                measured=round(lc, 1),
                expected=need,
                bbox=rect.as_list(),
                action="none" if apca_ok or not gate else "retypeset",
            )
        )
        return out

    @staticmethod
    def _estimate_px(mask: Mask) -> float:
        """Font size from ink: the tallest line of ink is about 0.75 em for most scripts."""
        lines = runs(np.asarray(mask.any(axis=1), dtype=bool))
        longest = max((b - a for a, b in lines), default=0)
        return max(8.0, longest / 0.75)
