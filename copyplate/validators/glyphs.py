"""`glyphs`: every character of the copy was drawn with a font that has it; no tofu boxes."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from copyplate.findings import Finding
from copyplate.fonts import IGNORABLE, coverage, describe_chars
from copyplate.textlayout import BIDI_CONTROLS
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators
from copyplate.validators.contract import Run
from copyplate.validators.imaging import region_mask


def _font_spec(spec: str) -> tuple[Path, int]:
    path, _, index = spec.rpartition("#")
    return Path(path), int(index or 0)


@validators.register("glyphs")
class GlyphsValidator:
    check: ClassVar[str] = "glyphs"
    kinds: ClassVar[tuple[str, ...]] = COPY_KINDS

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        runs = region.m.runs
        fonts = region.m.font_files
        named = [r.font for line in runs or [] for r in line] + list(fonts or [])
        # Font hints are checked by cmap only where they name font files on this machine: a
        # manifest from another machine or tool (stale paths) is judged by the pixels alone.
        if named and all(_font_spec(f)[0].is_file() for f in named):
            return [self._by_cmap(region, runs, fonts)]
        return [self._by_shape(asset, region)]

    def _by_cmap(
        self,
        region: RegionSpec,
        runs: list[list[Run]] | None,
        fonts: list[str] | None,
    ) -> Finding:
        """The manifest names the fonts: every drawn character must be in its font's cmap,
        and every character of the copy must have been drawn."""
        missing: list[str] = []
        drawn = ""
        try:
            for line in runs or []:
                for run in line:
                    cmap = coverage(*_font_spec(run.font))
                    drawn += run.text
                    missing += [
                        c for c in run.text if ord(c) not in cmap and ord(c) not in IGNORABLE
                    ]
            if not runs and fonts:
                faces = [coverage(*_font_spec(f)) for f in fonts]
                missing += [
                    c
                    for c in region.text
                    if not c.isspace()
                    and ord(c) not in IGNORABLE
                    and not any(ord(c) in f for f in faces)
                ]
        except (OSError, ValueError, KeyError, TypeError) as e:
            return Finding(
                "glyphs.fonts",
                region.id,
                False,
                f"the manifest's fonts cannot be read: {e}",
                action="fail",
            )
        if runs:
            want = [c for c in region.text if not c.isspace() and c not in BIDI_CONTROLS]
            have = [c for c in drawn if not c.isspace()]
            lost = [c for c in want if c not in have and c != "-"]
            missing += lost
        missing = list(dict.fromkeys(missing))
        ok = not missing
        return Finding(
            "glyphs.missing",
            region.id,
            ok,
            "every character has a glyph in its font"
            if ok
            else f"no glyph for {describe_chars(missing)}",
            measured=[f"U+{ord(c):04X}" for c in missing],
            bbox=region.box.as_list(),
            action="none" if ok else "retypeset",
        )

    def _by_shape(self, asset: AssetView, region: RegionSpec) -> Finding:
        """No font named: look for .notdef boxes, hollow rectangles the size of a letter."""
        mask = region_mask(asset, region).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        heights = stats[1:, cv2.CC_STAT_HEIGHT]
        typical = float(np.median(heights)) if len(heights) else 0.0
        # A .notdef box is as tall as a whole glyph; Hangul ㅁ inside a syllable (만, 름)
        # is a hollow square too, but half a syllable tall.
        full = float(np.percentile(heights, 90)) if len(heights) else 0.0
        boxes = []
        for i in range(1, n):
            x, y, w, h, _ = stats[i]
            if h < max(6, typical * 0.6, full * 0.7) or w < 4 or not 0.25 <= w / h <= 1.0:
                continue
            comp = labels[y : y + h, x : x + w] == i
            t = max(1, round(min(w, h) * 0.18))
            edge = comp.copy()
            edge[t:-t, t:-t] = False
            inner = comp[t:-t, t:-t]
            # A box: the outline is nearly complete and the inside is empty.
            sides = [
                comp[:t].any(axis=0).mean(),
                comp[-t:].any(axis=0).mean(),
                comp[:, :t].any(axis=1).mean(),
                comp[:, -t:].any(axis=1).mean(),
            ]
            if min(sides) > 0.9 and inner.size and inner.mean() < 0.05:
                boxes.append([region.box.x + int(x), region.box.y + int(y), int(w), int(h)])
        ok = not boxes
        return Finding(
            "glyphs.notdef",
            region.id,
            ok,
            "no .notdef boxes" if ok else f"{len(boxes)} .notdef box(es): a font lacks glyphs",
            measured=boxes,
            bbox=region.box.as_list(),
            action="none" if ok else "retypeset",
        )
