"""A second opinion for text: render the expected copy the way the manifest says it was set
(font files, size, lines) and compare glyph masks with the image, line by line.

OCR misreads glyphs it has never seen in that font; a rendering of the expected copy in the
same font does not. Where the image's glyphs match the rendering (no local difference
bigger than a stroke), the image says the expected copy, whatever OCR thinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from copyplate.fonts import FontFace, FontIndex
from copyplate.textlayout import BIDI_CONTROLS, TextSetter, load_font
from copyplate.validators.base import AssetView, RegionSpec
from copyplate.validators.imaging import Mask, region_coverage, text_rect

# Default chains per script when a manifest names no fonts (assets made elsewhere).
DEFAULT_FAMILIES = {
    "Arab": "Noto Sans Arabic",
    "Hebr": "Noto Sans Hebrew",
    "Thai": "Noto Sans Thai",
    "Deva": "Noto Sans Devanagari",
    "Jpan": "Noto Sans CJK JP",
    "Hans": "Noto Sans CJK SC",
    "Kore": "Noto Sans CJK KR",
}


@dataclass
class LineMatch:
    line: str
    score: float  # normalised cross-correlation of the masks, 1.0 = identical
    word_scores: list[float]
    blobs: list[list[int]]  # differences bigger than a stroke, in image pixels


@dataclass
class Comparison:
    lines: list[LineMatch]
    unexplained: list[list[int]]  # ink in the image that no expected line accounts for

    @property
    def ok(self) -> bool:
        return all(m.score >= 0.75 and not m.blobs for m in self.lines) and not self.unexplained


def named_faces(region: RegionSpec) -> list[FontFace]:
    """The fonts the manifest names (`font_chain`, `runs`, `font_files`) that exist here."""
    specs: list[str] = [str(x) for x in region.m.font_chain or []]
    for line in region.m.runs or []:
        for run in line:
            if run.font not in specs:
                specs.append(run.font)
    for spec in region.m.font_files or []:
        if spec not in specs:
            specs.append(spec)
    faces = []
    for spec in specs:
        path, _, index = str(spec).rpartition("#")
        if Path(path).is_file():
            faces.append(FontFace(Path(path), int(index or 0)))
    return faces


def faces_for(region: RegionSpec, bold: bool | None = None) -> list[FontFace]:
    """The region's fonts from the manifest (`runs` or `font_files`), else Noto defaults."""
    faces = named_faces(region)
    if faces:
        return faces
    from copyplate.layouts.locales import LocaleProblem, locale_info

    try:
        script = locale_info(region.locale).script
    except LocaleProblem:
        script = "Latn"
    style = "Bold" if (region.m.bold if bold is None else bold) else "Regular"
    idx = FontIndex.system()
    out = [
        f
        for fam in (DEFAULT_FAMILIES.get(script), "Noto Sans")
        if fam
        for f in [idx.find(fam, style)]
        if f is not None
    ]
    return out


def bare(text: str) -> str:
    """`text` without spaces and bidi controls: what two line breakings of it share."""
    return "".join(c for c in text if not c.isspace() and c not in BIDI_CONTROLS)


def hinted_lines(region: RegionSpec) -> list[str]:
    """The manifest's `lines` when they are the expected copy broken into lines, else the
    copy as one line: a stale or hostile hint never replaces the text."""
    hint = region.m.lines
    if not hint:
        return [region.text]
    # A line may end in a hyphen the renderer added at a break.
    unbroken = "".join(ln[:-1] if ln.endswith(("-", "\u2010")) else ln for ln in hint[:-1])
    want = bare(region.text)
    if bare("".join(hint)) == want or bare(unbroken + hint[-1]) == want:
        return list(hint)
    return [region.text]


def render_line(
    setter: TextSetter, text: str, px: int, pad: int, crop: bool = True
) -> NDArray[np.float32]:
    """Glyph coverage (0..1) of one line set by copyplate's own shaper, cropped to its ink
    (or, without `crop`, on the line's whole advance, ascent and descent)."""
    line = setter.shape_line(text, px)
    w = int(line.width) + 2 * pad
    h = line.ascent + line.descent + 2 * pad
    img = Image.new("L", (max(w, 1), max(h, 1)), 0)
    d = ImageDraw.Draw(img)
    x = float(pad)
    for p in line.pieces:
        d.text(
            (x, pad + line.ascent),
            p.text,
            font=load_font(p.face, px),
            fill=255,
            anchor="ls",
            direction="rtl" if p.rtl else "ltr",
            language=setter.lang,
        )
        x += p.width
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return to_ink(arr) if crop else arr


def ink_box(cover: NDArray[np.float32]) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), ends exclusive, of the definite ink (>= 0.5) of a
    coverage array; None when it has none."""
    ys, xs = (cover >= 0.5).nonzero()
    if len(xs) == 0:
        return None
    return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1


def to_ink(cover: NDArray[np.float32]) -> NDArray[np.float32]:
    """`cover` cropped to its definite ink (empty when it has none)."""
    box = ink_box(cover)
    if box is None:
        return cover[:0, :0]
    return cover[box[0] : box[1], box[2] : box[3]]


def stray_ink(
    actual: NDArray[np.float32], placed: Mask, px: int, within: Mask | None = None
) -> list[list[int]]:
    """Boxes [x, y, w, h] of ink in `actual` that no placed rendering explains (an extra
    word, a stray glyph): pieces a quarter of an em from `placed`, of at least a fifth of
    an em squared, inside `within` when given."""
    k = max(3, px // 4)
    covered = cv2.dilate(placed.astype(np.uint8), np.ones((k, k), np.uint8)) > 0
    extra = (actual >= 0.65) & ~covered
    if within is not None:
        extra &= within
    _, _, stats, _ = cv2.connectedComponentsWithStats(extra.astype(np.uint8), connectivity=8)
    min_area = max(10, round((px * 0.2) ** 2))
    return [
        [int(s[0]), int(s[1]), int(s[2]), int(s[3])]
        for s in stats[1:]
        if s[cv2.CC_STAT_AREA] >= min_area
    ]


def tolerant_difference(
    actual: NDArray[np.float32], ref: NDArray[np.float32], inner: Mask | None = None
) -> NDArray[np.uint8]:
    """Definite ink (coverage >= 0.65) in one rendering with not even faint ink (>= 0.2)
    within a pixel of it in the other; ink only the image has counts inside `inner`.

    Sub-pixel placement and hinting move and thicken stems by a pixel and split a thin stem
    over two half-covered columns; a different glyph puts ink where the other has none."""
    k = np.ones((3, 3), np.uint8)
    maybe_a = cv2.dilate((actual >= 0.2).astype(np.uint8), k) > 0
    maybe_r = cv2.dilate((ref >= 0.2).astype(np.uint8), k) > 0
    extra = (actual >= 0.65) & ~maybe_r
    if inner is not None:
        extra &= inner
    return (((ref >= 0.65) & ~maybe_a) | extra).astype(np.uint8)


def _blobs(diff: NDArray[np.uint8], px: int) -> list[list[int]]:
    # Antialiasing and hinting move edges by a pixel: open away what is thinner than a stroke.
    # The difference is already a pixel away from any ink of the other rendering; what
    # survives a 2x2 opening and covers a tenth of an em squared is a glyph that differs.
    opened = cv2.morphologyEx(diff, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    min_area = max(8, round((px * 0.1) ** 2))
    return [
        [int(s[0]), int(s[1]), int(s[2]), int(s[3])]
        for s in stats[1:]
        if s[cv2.CC_STAT_AREA] >= min_area
    ]


def _chunks(ref: NDArray[np.float32], px: int) -> list[tuple[int, int]]:
    """Column ranges of `ref` separated by gaps of at least a sixth of an em: words."""
    cols = [bool(c) for c in np.asarray((ref >= 0.5).any(axis=0)).tolist()]
    gap = max(2, px // 6)
    out: list[tuple[int, int]] = []
    start, blank = None, 0
    for i, c in enumerate([*cols, False]):
        if c:
            if start is None:
                start = i
            blank = 0
        elif start is not None:
            blank += 1
            if blank >= gap or i == len(cols):
                out.append((start, i - blank + 1))
                start, blank = None, 0
    # A chunk narrower than an em (an "i", a comma) can snap onto a neighbour's stroke:
    # join it to the next one.
    merged: list[tuple[int, int]] = []
    for c0, c1 in out:
        if merged and merged[-1][1] - merged[-1][0] < px:
            merged[-1] = (merged[-1][0], c1)
        else:
            merged.append((c0, c1))
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < px:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return merged


@dataclass
class Placement:
    score: float
    word_scores: list[float]  # correlation of each word chunk where it was placed
    blobs: list[list[int]]  # in `actual` pixels
    placed: Mask  # the reference where it was matched, same shape as `actual`


def match_line(actual: NDArray[np.float32], ref: NDArray[np.float32], px: int) -> Placement:
    """Best placement of `ref` inside `actual`, its score and the differences left there.

    After the whole line is placed, each word is placed again within a couple of pixels:
    sub-pixel positions drift along a line, and a fixed template would see that drift as
    a difference at every glyph of small text."""
    placed = np.zeros(actual.shape, dtype=bool)
    if ref.size == 0 or ref.shape[0] > actual.shape[0] or ref.shape[1] > actual.shape[1]:
        return Placement(0.0, [], [], placed)
    a = actual.astype(np.float32)
    res = cv2.matchTemplate(a, ref.astype(np.float32), cv2.TM_CCORR_NORMED)
    _, score, _, (x, y) = cv2.minMaxLoc(res)
    blobs: list[list[int]] = []
    word_scores: list[float] = []
    slack = max(2, px // 10)
    H, W = actual.shape
    for c0, c1 in _chunks(ref, px):
        part = ref[:, c0:c1]
        wx0, wy0 = max(0, x + c0 - slack), max(0, y - slack)
        wx1, wy1 = min(W, x + c1 + slack), min(H, y + ref.shape[0] + slack)
        win = actual[wy0:wy1, wx0:wx1]
        if win.shape[0] < part.shape[0] or win.shape[1] < part.shape[1]:
            continue
        r2 = cv2.matchTemplate(win.astype(np.float32), part.astype(np.float32), cv2.TM_CCORR_NORMED)
        _, s2, _, (dx, dy) = cv2.minMaxLoc(r2)
        word_scores.append(float(s2))
        ax, ay = wx0 + dx, wy0 + dy  # where the chunk sits in `actual`
        placed[ay : ay + part.shape[0], ax : ax + part.shape[1]] |= part >= 0.2
        # Compare over a window two pixels wider than the chunk, so a stroke one pixel
        # outside the chunk's edge still counts as present.
        m = 2
        y0, x0 = max(0, ay - m), max(0, ax - m)
        here = actual[y0 : ay + part.shape[0] + m, x0 : ax + part.shape[1] + m]
        ref_pad = np.zeros(here.shape, dtype=np.float32)
        ref_pad[ay - y0 : ay - y0 + part.shape[0], ax - x0 : ax - x0 + part.shape[1]] = part
        inner = np.zeros(here.shape, dtype=bool)
        inner[ay - y0 : ay - y0 + part.shape[0], ax - x0 : ax - x0 + part.shape[1]] = True
        for b in _blobs(tolerant_difference(here, ref_pad, inner), px):
            blobs.append([x0 + b[0], y0 + b[1], b[2], b[3]])
    return Placement(float(score), word_scores, blobs, placed)


def compare(
    asset: AssetView,
    region: RegionSpec,
    lines: list[str] | None = None,
    setter: TextSetter | None = None,
) -> Comparison | None:
    """Compare the image's glyphs with the expected copy rendered line by line.

    None when there is nothing to compare with (no font size known)."""
    px = region.m.font_px
    if not isinstance(px, int):
        return None
    rect = text_rect(asset, region, pad=max(4, px // 2))
    actual = region_coverage(asset, region, rect)
    if setter is None:
        faces = faces_for(region)
        if not faces:
            return None
        setter = TextSetter(faces, region.locale, region.direction)  # type: ignore[arg-type]
    lines = lines or hinted_lines(region)
    matched = np.zeros(actual.shape, dtype=bool)
    out: list[LineMatch] = []
    for text in lines:
        ref = render_line(setter, text, px, pad=4)
        m = match_line(actual, ref, px)
        matched |= m.placed
        out.append(
            LineMatch(
                text,
                m.score,
                m.word_scores,
                [[b[0] + rect.x, b[1] + rect.y, b[2], b[3]] for b in m.blobs],
            )
        )
    # Ink that no line explains (an extra word, a stray glyph), looked for where the copy is
    # and not in the padding, which may reach a badge's rounded corners and the plate.
    inner = text_rect(asset, region, pad=max(2, px // 8))
    window = np.zeros(actual.shape, dtype=bool)
    window[inner.y - rect.y : inner.bottom - rect.y, inner.x - rect.x : inner.right - rect.x] = True
    unexplained = [
        [rect.x + x, rect.y + y, w, h] for x, y, w, h in stray_ink(actual, matched, px, window)
    ]
    return Comparison(out, unexplained)
