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
import math
import string
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from copyplate.fonts import FontFace, FontIndex, coverage

# Signs a recogniser may not know. Multi-letter symbols (zł, R$, ر.س.) are letters it reads.
CURRENCY_SIGNS = "$€£¥₽₺₫₪₹฿₩₴₸₦₱₲₡₵₭₮"
CANDIDATES = (
    CURRENCY_SIGNS + string.ascii_letters + string.digits + "%&@#\\/|()[]{}<>?!*+=~" + "РрВвЛлđĐłŁ"
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
        for c, t in _face_templates(face).items():
            out[c].append(t)
    return out


@functools.lru_cache(maxsize=1024)
def _font(face: FontFace) -> ImageFont.FreeTypeFont | None:
    try:
        return ImageFont.truetype(str(face.path), 64, index=face.index)
    except OSError:
        return None


@functools.lru_cache(maxsize=65536)
def _template(face: FontFace, c: str) -> tuple[Glyph, Glyph] | None:
    """`c` drawn in `face` (which has it), normalised, with its distance map."""
    font = _font(face)
    if font is None:
        return None
    img = Image.new("L", (128, 128), 0)
    try:
        ImageDraw.Draw(img).text((64, 64), c, font=font, fill=255, anchor="mm")
    except (OSError, ValueError):
        return None
    g = normalised(np.asarray(img) >= 128)
    return None if g is None else (g, _distance(g))


@functools.lru_cache(maxsize=64)
def _face_templates(face: FontFace) -> dict[str, tuple[Glyph, Glyph]]:
    """Every candidate `face` has, drawn in it."""
    cmap = coverage(face.path, face.index)
    out = {}
    for c in CANDIDATES:
        if ord(c) in cmap and (t := _template(face, c)) is not None:
            out[c] = t
    return out


def _distance(g: Glyph) -> Glyph:
    """Distance of every pixel to the glyph's nearest ink pixel."""
    inv = (g == 0).astype(np.uint8)
    dist: Glyph = cv2.distanceTransform(inv, cv2.DIST_L2, 3).astype(np.float32)
    return dist


@dataclass(frozen=True)
class Stack:
    """Templates as arrays, with what every chamfer score of them needs worked out once:
    each one's distance map, its ink as 1 and 0, its ink as 0 and elsewhere inf (added to a
    glyph's distance map: that map on the ink only, and sorted, the ink's values first),
    and its ink count."""

    dist: Glyph  # (n, SIDE, SIDE)
    ink: Glyph  # (n, SIDE * SIDE)
    off_ink: Glyph  # (n, SIDE * SIDE)
    count: NDArray[np.intp]

    @staticmethod
    def of(ink: NDArray[np.bool_], dist: Glyph) -> Stack:
        flat = ink.reshape(len(ink), -1)
        return Stack(
            dist,
            flat.astype(np.float32),
            np.where(flat, np.float32(0), np.float32(np.inf)),
            flat.sum(axis=1),
        )

    @staticmethod
    def of_templates(templates: list[tuple[Glyph, Glyph]]) -> Stack:
        """The stack of `templates` (each a glyph and its distance map)."""
        return Stack.of(
            np.stack([g > 0 for g, _ in templates]), np.stack([d for _, d in templates])
        )


@functools.lru_cache(maxsize=64)
def _stacked(faces: tuple[FontFace, ...] = ()) -> tuple[list[str], Stack]:
    """Every template as one `Stack`, with its candidate: the reference faces' and those of
    `faces`."""
    pairs = [(c, t) for c, refs in templates().items() for t in refs]
    pairs += [(c, t) for face in faces for c, t in _face_templates(face).items()]
    names = [c for c, _ in pairs]
    return names, Stack.of_templates([t for _, t in pairs])


def _score(g: Glyph, dg: Glyph, t: Stack) -> NDArray[np.float64]:
    """The chamfer distance of glyph `g` (distance map `dg`) to each template: the mean
    and 95th percentile both ways."""
    ab = t.dist[:, g > 0]  # the glyph's ink, as far from each template's
    d = dg.reshape(-1)
    # Each template's ink, as far from the glyph's; np.nanmean's and np.nanpercentile's
    # arithmetic step for step (they go row by row: most of a ranking's time), so the
    # values are theirs to the bit: the same values in the same places (d * 1, d * 0 and
    # d + 0 are d and 0 and d exactly), summed and sorted the same way.
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ba = np.true_divide((t.ink * d).sum(axis=1), t.count, dtype=np.float32)
    ba = d + t.off_ink
    ba.sort(axis=1)
    score: NDArray[np.float64] = (
        ab.mean(axis=1) + mean_ba + _percentile_95(ab) + _percentile(ba, t.count, 95)
    ) / 4
    return score


def _percentile_95(rows: Glyph) -> Glyph:
    """np.percentile(rows, 95, axis=1) to the bit, without its per-call overhead: every row
    partitioned at the two ranks it interpolates between (a Python float q keeps numpy's
    weight in float64 until it meets the float32 values)."""
    n = rows.shape[1]
    if n == 0:
        return np.full(len(rows), np.nan, dtype=np.float32)
    virtual = n * 0.95 + (1 - 0.95) - 1  # numpy's _compute_virtual_index
    lo = math.floor(virtual)
    gamma = virtual - lo
    lo, hi = min(max(lo, 0), n - 1), min(max(lo + 1, 0), n - 1)
    part = np.partition(rows, sorted({lo, hi}), axis=1)
    a, b = part[:, lo], part[:, hi]
    diff = b - a
    out: Glyph = b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
    return out


def _percentile(rows: Glyph, count: NDArray[np.intp], q: float) -> Glyph:
    """np.percentile's linear method over the first `count` values of each sorted row."""
    virtual = count * (q / 100) + (1 - q / 100) - 1  # numpy's _compute_virtual_index
    below = np.floor(virtual)
    gamma = (virtual - below).astype(rows.dtype)
    last = np.maximum(count - 1, 0)
    lo = np.clip(below.astype(np.intp), 0, last)
    hi = np.clip(lo + 1, 0, last)
    idx = np.arange(len(rows))
    a, b = rows[idx, lo], rows[idx, hi]
    with np.errstate(invalid="ignore"):  # a row without ink is all inf, and nan below
        diff = b - a
    out: Glyph = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    out[count == 0] = np.nan
    return out


def ranking(mask: NDArray[np.bool_], faces: tuple[FontFace, ...] = ()) -> list[tuple[str, float]]:
    """Candidates nearest first, each with its distance (pixels of a SIDE-px square): the
    chamfer distance of the glyph to every template at once (the reference faces' and
    those of `faces`), the best face per candidate."""
    g = normalised(mask)
    if g is None:
        return []
    names, stack = _stacked(faces)
    score = _score(g, _distance(g), stack)
    best: dict[str, float] = {}
    for c, v in zip(names, score.tolist(), strict=True):
        best[c] = min(v, best.get(c, v))
    return sorted(best.items(), key=lambda s: s[1])


# A sign may come second to a letter whose shape it shares (₩ and W, ₪ and =, ¥ and Y in
# some faces) by this much; never to another currency sign or a digit, which is what a
# wrong price puts in its place.
LETTER_SLACK = 1.15


def is_symbol(
    mask: NDArray[np.bool_],
    expected: str,
    reader_agrees: bool = False,
    faces: tuple[FontFace, ...] = (),
) -> tuple[bool, str]:
    """Whether the glyph in `mask` is the currency sign `expected`, and what it is
    nearest to. When the reader read that very sign, its shape need only be nearer to it
    than to any other sign or digit (a display face's € may look more like an e than our
    reference €s do). `faces` (`drawn_in`) add every candidate drawn in them, the
    expected sign and its rivals alike."""
    ranked = ranking(mask, faces)
    score = dict(ranked)
    if not ranked or expected not in score:
        return False, ranked[0][0] if ranked else ""
    mine = score[expected]
    rivals = [v for c, v in ranked if c != expected and (c in CURRENCY_SIGNS or c.isdigit())]
    near = reader_agrees or mine <= ranked[0][1] * LETTER_SLACK
    ok = near and all(mine < v for v in rivals)
    return ok, ranked[0][0]


# Faces a price's sign is also judged in: the installed faces (with that sign) whose
# digits are nearest to the price's own.
DRAWN_IN = 3


def drawn_in(digits: list[tuple[str, NDArray[np.bool_]]], sign: str) -> tuple[FontFace, ...]:
    """The installed faces that have `sign` and whose digits look most like `digits`
    (each digit of the price with its ink), nearest first: the face the rest of the price
    was drawn in, where a display face's sign looks like none of the reference faces'.

    The face is chosen by the digits alone, never by the sign, so it cannot be picked to
    excuse a wrong sign; and every other sign and digit is drawn in it too."""
    from copyplate.validators.fontmatch import installed_faces

    seen: dict[str, tuple[Glyph, Glyph]] = {}
    for c, m in digits:
        if c.isdigit() and c.isascii() and c not in seen and (g := normalised(m)) is not None:
            seen[c] = (g, _distance(g))
    if not seen:
        return ()
    faces = [
        face
        for face in installed_faces(sign + "".join(seen))
        if all(_template(face, c) is not None for c in seen)
    ]
    if not faces:
        return ()
    # Each digit scored against its template in every face at once (row by row the same
    # arithmetic as one face at a time: a face costs a row, not a call).
    far = np.zeros(len(faces))
    for c, (g, dg) in seen.items():
        refs = [t for face in faces if (t := _template(face, c)) is not None]
        far += _score(g, dg, Stack.of_templates(refs))
    ranked = [
        (float(v) / len(seen), str(face.path), face.index, face)
        for v, face in zip(far.tolist(), faces, strict=True)
    ]
    ranked.sort(key=lambda r: r[:3])
    return tuple(r[3] for r in ranked[:DRAWN_IN])
