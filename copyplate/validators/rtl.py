"""`rtl`: right-to-left copy is in visual order, joined where the script joins, and aligned
to the right side when its alignment is `start`.

The image is compared with renderings of the expected copy as a broken pipeline would
draw it: correct (bidi + shaping), reversed (shaped but laid out left to right), and
unjoined (isolated letter forms, as drawn without a shaper). The correct rendering must
match best, by a margin.
"""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from copyplate.findings import Finding
from copyplate.fonts import FontFace
from copyplate.textlayout import BIDI_CONTROLS, TextSetter
from copyplate.validators.align import visual
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators
from copyplate.validators.imaging import region_coverage, region_mask, text_rect
from copyplate.validators.ocr import holder_free_mask
from copyplate.validators.reference import (
    bare,
    faces_for,
    hinted_lines,
    match_line,
    render_line,
)

JOINING_SCRIPTS = ("ar", "fa", "ur")
MARGIN = 0.04
# Pieces of ink per joined piece of copy above which letters are taken as unjoined: clean
# Arabic in 29 faces the foreign corpus draws stays under 1.35 (1.67 on a 3-piece button),
# unjoined copy is over 1.6.
UNJOINED_RATIO = 1.45
STALE = 0.3  # best match of any rendering below which the font hints describe another face
# Below this match the correct rendering is not what the image draws either: a lead too
# small for MARGIN tells nothing.
LIKE = 0.6
_JOIN_CAUSING, _DUAL, _RIGHT, _TRANSPARENT = 1, 2, 4, 5  # ICU UJoiningType


def joined_pieces(text: str) -> int:
    """How many separate pieces the copy's letters make when joined as the script joins:
    a joining letter starts a new piece after a letter that does not join to the left
    (alef, dal, ra, waw ...); every other letter or digit is a piece of its own."""
    import icu

    prop = icu.UProperty.JOINING_TYPE
    n, joins_left = 0, False
    for c in text:
        jt = icu.Char.getIntPropertyValue(c, prop)
        if jt == _TRANSPARENT or c in BIDI_CONTROLS:
            continue
        if jt in (_DUAL, _RIGHT, _JOIN_CAUSING):
            n += 0 if joins_left else 1
            joins_left = jt in (_DUAL, _JOIN_CAUSING)
        else:
            n += 0 if c.isspace() else 1
            joins_left = False
    return n


def letter_bodies(mask: NDArray[np.bool_]) -> int:
    """Pieces of ink at least a third as tall as the tallest ones: letters and joined
    groups, not dots and marks."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return 0
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    return int((heights >= 0.35 * np.percentile(heights, 90)).sum())


def _unjoined(face: FontFace, text: str, px: int) -> NDArray[np.float32]:
    """The line drawn without a shaper: isolated forms, characters reversed for display."""
    font = ImageFont.truetype(
        str(face.path), px, index=face.index, layout_engine=ImageFont.Layout.BASIC
    )
    visual = "".join(reversed([c for c in text if c not in BIDI_CONTROLS]))
    left, top, right, bottom = font.getbbox(visual)
    size = (max(1, int(right - left) + 8), max(1, int(bottom - top) + 8))
    img = Image.new("L", size, 0)
    ImageDraw.Draw(img).text((4 - left, 4 - top), visual, font=font, fill=255)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    ys, xs = (arr >= 0.5).nonzero()
    return arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(xs) else arr[:0, :0]


@validators.register("rtl")
class RtlValidator:
    check: ClassVar[str] = "rtl"
    kinds: ClassVar[tuple[str, ...]] = COPY_KINDS

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        if region.direction != "rtl":
            return []
        out = [self._alignment(asset, region)] if region.m.align == "start" else []
        px = region.m.font_px
        faces = faces_for(region)
        if not isinstance(px, int) or not faces:
            # No font to render the variants in (copy drawn elsewhere): joining at least
            # can be told from the ink itself.
            if region.locale.split("-")[0] in JOINING_SCRIPTS:
                out.append(self._joining(asset, region))
            return out
        rect = text_rect(asset, region, pad=max(4, px // 2))
        actual = region_coverage(asset, region, rect)
        lines = hinted_lines(region)
        right = TextSetter(faces, region.locale, "rtl")
        reversed_setter = TextSetter(faces, region.locale, "ltr")
        scores: dict[str, list[float]] = {}
        for text in lines:
            plain = "".join(c for c in text if c not in BIDI_CONTROLS)
            variants = {"correct": render_line(right, text, px, 4)}
            # Logical order drawn left to right: every letter in mirrored position.
            if plain[::-1] != plain:
                variants["reversed"] = render_line(right, plain[::-1], px, 4)
            # Shaped words, but the paragraph laid out left to right.
            words = " ".join(reversed(plain.split()))
            if words != plain and bare(words) != bare(visual(text, True)):
                variants["reversed_words"] = render_line(reversed_setter, words, px, 4)
            if region.locale.split("-")[0] in JOINING_SCRIPTS:
                variants["unjoined"] = _unjoined(faces[0], text, px)
            base = variants["correct"]
            # A variant that draws exactly like the correct copy is no defect to look for.
            variants = {
                k: m
                for k, m in variants.items()
                if k == "correct"
                or m.shape != base.shape
                or m.size == 0
                or float((np.abs(m - base) > 0.5).mean()) > 0.01
            }
            for name, mask in variants.items():
                scores.setdefault(name, []).append(match_line(actual, mask, px).score)
        mean = {k: float(np.mean(v)) for k, v in scores.items() if v}
        if len(mean) == 1:
            return out
        best = max(mean, key=lambda k: mean[k])
        ok = best == "correct" and all(
            mean["correct"] >= v + MARGIN for k, v in mean.items() if k != "correct"
        )
        # Nothing rendered from the hints looks like the image: they are stale (copy drawn
        # elsewhere, in another face); or the correct order matches best but still looks
        # little like it (another face or size), so a lead under the margin is noise.
        # Either way, judge what the ink alone can tell.
        if max(mean.values()) < STALE or (not ok and best == "correct" and mean["correct"] < LIKE):
            if region.locale.split("-")[0] in JOINING_SCRIPTS:
                out.append(self._joining(asset, region))
            return out
        what = {
            "reversed": "letters are in logical order drawn left to right",
            "reversed_words": "words are in reversed (left-to-right) order",
            "unjoined": "letters are not joined (drawn without shaping)",
            "correct": "order and joining are ambiguous",
        }
        out.append(
            Finding(
                "rtl.order",
                region.id,
                ok,
                "right-to-left order and joining match the expected copy"
                if ok
                else f"right-to-left copy is wrong: {what[best]}",
                measured={k: round(v, 3) for k, v in mean.items()},
                expected="correct",
                bbox=rect.as_list(),
                action="none" if ok else "retypeset",
            )
        )
        return out

    @staticmethod
    def _joining(asset: AssetView, region: RegionSpec) -> Finding:
        """Unjoined Arabic (isolated forms, drawn without a shaper) breaks every word into
        its letters: far more pieces of ink than the copy has joined pieces."""
        want = joined_pieces(region.text)
        have = letter_bodies(holder_free_mask(asset, region))
        ok = not (have >= UNJOINED_RATIO * want and have - want >= 4)
        return Finding(
            "rtl.order",
            region.id,
            ok,
            f"letters joined as the script joins ({have} pieces of ink, {want} expected)"
            if ok
            else f"right-to-left copy is wrong: letters are not joined ({have} pieces of "
            f"ink where the joined copy has {want})",
            measured={"pieces": have},
            expected={"pieces": want},
            bbox=region.box.as_list(),
            action="none" if ok else "retypeset",
        )

    @staticmethod
    def _alignment(asset: AssetView, region: RegionSpec) -> Finding:
        box = region.box
        mask = region_mask(asset, region)
        cols = np.flatnonzero(mask.any(axis=0))
        if len(cols) == 0:
            return Finding("rtl.alignment", region.id, False, "no copy found", action="retypeset")
        left_gap, right_gap = int(cols.min()), int(box.w - 1 - cols.max())
        # Copy that fills its box sits on neither side: only a clear lean to the left fails.
        ok = right_gap <= left_gap + max(4, box.w // 50)
        return Finding(
            "rtl.alignment",
            region.id,
            ok,
            "start-aligned copy sits on the right, as RTL reads"
            if ok
            else f"start-aligned RTL copy sits on the left ({left_gap} px from the left edge, "
            f"{right_gap} px from the right)",
            measured={"left": left_gap, "right": right_gap},
            bbox=box.as_list(),
            action="none" if ok else "retypeset",
        )
