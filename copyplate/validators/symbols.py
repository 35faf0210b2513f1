"""Which symbol is this? Currency signs by their shape, where no reader can be trusted.

Tesseract's language data lacks ₽ ₺ ₫ ฿ and reads them as the nearest letter it knows
(₽ as P, ₺ as t, £ or 1, ₩ as a backslash). A validator that accepted those readings
would also accept a P drawn where the ruble sign belongs. So the reading only locates the
sign; its glyph is then compared, by shape, with every candidate symbol (currency signs,
letters, digits, the usual punctuation) rendered in reference faces, and must be nearest
to the expected one.

The reference faces are the Noto and DejaVu families copyplate already relies on; the
corpus that measures this (tests/corpus/foreign.py) draws in other faces.
"""

from __future__ import annotations

import functools
import string

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from copyplate.fonts import FontFace, FontIndex, coverage

# Signs a recogniser may not know. Multi-letter symbols (zł, R$, ر.س.) are letters it reads.
CURRENCY_SIGNS = "$€£¥₽₺₫₪₹฿₩₴₸₦₱₲₡₵₭₮"
CANDIDATES = (
    CURRENCY_SIGNS
    + string.ascii_letters
    + string.digits
    + "%&@#\\/|()[]{}<>?!*+=~"
    + "РрВвЛлđĐłŁ"
)
REFERENCE = (
    ("Noto Sans", "Regular"),
    ("Noto Sans", "Bold"),
    ("Noto Serif", "Regular"),
    ("Noto Serif", "Bold"),
    ("DejaVu Sans", "Book"),
    ("DejaVu Sans", "Bold"),
    ("DejaVu Serif", "Book"),
    ("DejaVu Serif", "Bold"),
    ("Noto Sans Mono", "Regular"),
    ("Noto Sans Hebrew", "Regular"),
    ("Noto Sans Thai", "Regular"),
    ("Noto Sans Devanagari", "Regular"),
    ("Noto Sans CJK JP", "Regular"),
)
SIDE = 32

Glyph = NDArray[np.float32]


def normalised(mask: NDArray[np.bool_]) -> Glyph | None:
    """The ink of one glyph scaled to fit a SIDE x SIDE square, aspect kept, centred."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.uint8) * 255
    h, w = crop.shape
    k = (SIDE - 2) / max(h, w)
    nh, nw = max(1, round(h * k)), max(1, round(w * k))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((SIDE, SIDE), np.float32)
    y0, x0 = (SIDE - nh) // 2, (SIDE - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small >= 128
    return out


def _faces() -> list[FontFace]:
    idx = FontIndex.system()
    return [f for fam, style in REFERENCE if (f := idx.find(fam, style)) is not None]


@functools.lru_cache(maxsize=1)
def templates() -> dict[str, list[tuple[Glyph, Glyph]]]:
    """Each candidate in each reference face that has it: (glyph, its distance map)."""
    out: dict[str, list[tuple[Glyph, Glyph]]] = {c: [] for c in CANDIDATES}
    for face in _faces():
        cmap = coverage(face.path, face.index)
        font = ImageFont.truetype(str(face.path), 64, index=face.index)
        for c in CANDIDATES:
            if ord(c) not in cmap:
                continue
            img = Image.new("L", (128, 128), 0)
            ImageDraw.Draw(img).text((64, 64), c, font=font, fill=255, anchor="mm")
            g = normalised(np.asarray(img) >= 128)
            if g is not None:
                out[c].append((g, _distance(g)))
    return out


def _distance(g: Glyph) -> Glyph:
    """Distance of every pixel to the glyph's nearest ink pixel."""
    inv = (g == 0).astype(np.uint8)
    dist: Glyph = cv2.distanceTransform(inv, cv2.DIST_L2, 3).astype(np.float32)
    return dist


@functools.lru_cache(maxsize=1)
def _stacked() -> tuple[list[str], NDArray[np.bool_], Glyph]:
    """Every template as one array: its candidate, its ink, its distance map."""
    names = [c for c, refs in templates().items() for _ in refs]
    ink = np.stack([t > 0 for refs in templates().values() for t, _ in refs])
    dist = np.stack([d for refs in templates().values() for _, d in refs])
    return names, ink, dist


def ranking(mask: NDArray[np.bool_]) -> list[tuple[str, float]]:
    """Candidates nearest first, each with its distance (pixels of a SIDE-px square): the
    `_chamfer` of the glyph to every template at once, the best face per candidate."""
    g = normalised(mask)
    if g is None:
        return []
    names, ink, dist = _stacked()
    dg = _distance(g)
    ab = dist[:, g > 0]  # the glyph's ink, as far from each template's
    ba = np.where(ink, dg[None], np.nan).reshape(len(names), -1)  # each template's, from it
    score = (
        ab.mean(axis=1)
        + np.nanmean(ba, axis=1)
        + np.percentile(ab, 95, axis=1)
        + np.nanpercentile(ba, 95, axis=1)
    ) / 4
    best: dict[str, float] = {}
    for c, v in zip(names, score.tolist(), strict=True):
        best[c] = min(v, best.get(c, v))
    return sorted(best.items(), key=lambda s: s[1])


# A sign may come second to a letter whose shape it shares (₩ and W, ₪ and =, ¥ and Y in
# some faces) by this much; never to another currency sign or a digit, which is what a
# wrong price puts in its place.
LETTER_SLACK = 1.15


def is_symbol(
    mask: NDArray[np.bool_], expected: str, reader_agrees: bool = False
) -> tuple[bool, str]:
    """Whether the glyph in `mask` is the currency sign `expected`, and what it is
    nearest to. When the reader read that very sign, its shape need only be nearer to it
    than to any other sign or digit (a display face's € may look more like an e than our
    reference €s do)."""
    ranked = ranking(mask)
    score = dict(ranked)
    if not ranked or expected not in score:
        return False, ranked[0][0] if ranked else ""
    mine = score[expected]
    rivals = [v for c, v in ranked if c != expected and (c in CURRENCY_SIGNS or c.isdigit())]
    near = reader_agrees or mine <= ranked[0][1] * LETTER_SLACK
    ok = near and all(mine < v for v in rivals)
    return ok, ranked[0][0]
