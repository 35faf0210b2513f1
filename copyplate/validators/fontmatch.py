"""A second opinion for copy set in a face the manifest does not name: find the installed
face that drew it, render the expected copy in that face, and compare glyphs.

A banner made by another tool on the same machine (a designer's Pillow script, an HTML
template rendered by chromium, a Pango layout) is set in one of the fonts installed here,
and the recogniser misreads glyphs it has never seen in that face (Thai ช as ซ, a nukta
missed, Arabic-Indic digits dropped in a right-to-left line). The expected copy rendered
in the same face at the same size says whether the image holds exactly those glyphs; a
different letter, digit, sign or word leaves ink one rendering has and the other lacks;
a letter or mark that differs by less than the comparison tolerates (a dot, a comma's
tail, a Thai notch) is told apart by setting its look-alikes too and asking which one the
pixels where they differ agree with.

The faces are those fontconfig lists with every character of the copy, and those with
every letter of the copy's own script whose other characters (a Latin brand name, digits,
punctuation in an Arabic display face) a renderer with font fallback (Pango, chromium)
sets in the faces fontconfig falls back to. They are shortlisted by the shape of the copy
(ink width against height, line by line), then by how well the longest line correlates, so
a region costs some dozens of renderings, not one per font. Copy in a face that is not
installed here gets no opinion from this module.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import math
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFont

from copyplate.fonts import FontFace
from copyplate.textlayout import BIDI_CONTROLS, Direction, TextSetter, load_font
from copyplate.validators.readnorm import normalise
from copyplate.validators.reference import (
    Placement,
    ink_box,
    match_line,
    render_line,
    stray_ink,
    to_ink,
)

# Font files Pillow's FreeType renders the way other tools do (not Type 1, not bitmaps).
_OUTLINE = (".ttf", ".otf", ".ttc", ".otc")
# Rendering size used to compare the shapes of candidate faces.
_PROBE_PX = 64
# Candidates compared glyph by glyph, most alike first; a face further than this from
# the image's proportions (log ratio, about 12%) is not the face that drew it, nor one
# whose glyph boxes (which side bearings make a few percent wider than the ink) are 15% off.
SHORTLIST = 6
MAX_SHAPE_ERROR = 0.12
ROUGH_ERROR = 0.15
# A line matches when its glyphs correlate at least this well and no difference is bigger
# than a stroke (`reference.match_line`), as the rendered reference asks of named fonts.
MIN_SCORE = 0.8
# A line that correlates this well is in the face that drew it (measured on the foreign
# corpus: 0.92-0.97 in their own face; 0.80-0.88 in a near one).
SURE_MATCH = 0.9
# At most this many faces are rendered to measure their ink (Latin copy has hundreds of
# candidates; a Thai or Arabic line some dozens).
PROBED = 200
# Where the expected copy and a look-alike differ, the expected rendering must leave at
# most this share of the look-alike's squared difference: in a face near the one that drew
# the copy (the right one not installed) a wrong mark can fit a little better than the
# right one does, and the right face fits far better (measured: <= 0.82 for copy in its
# own face, up to 0.93 for a comma judged as a full stop in a near face).
CLEARLY = 0.85
# ... or at most this share when a reading of the recogniser says the expected word there
# (letters only: measured 0.93-0.95 for a dot-apart letter in its own face at 22-25 px).
READ_CLEARLY = 0.97
# ... and at most this share for what the recogniser read there instead, in a face that
# matches less than `SURE_MATCH`: the pixels then overrule the reader (measured on the
# foreign corpus: <= 0.30 for clean copy; 0.73 for a comma the reader saw, judged as a full
# stop in a near face; 0.62-0.75 for a mark or notch the reader missed in the right face).
OVERRULE = 0.5
# A line with more look-alikes than this (a few hundred characters of digits and marks)
# gets no opinion from here rather than thousands of renderings.
MAX_RIVALS = 400
# Line break choices tried per face, for copy the image sets on several lines.
BREAKS = 3


# A face and the faces its missing characters fall back to, in the order they are asked.
Chain = tuple[FontFace, ...]
# Fallback faces tried per face that lacks characters of the copy (fontconfig's order,
# which Pango and chromium do not follow exactly: Pango took Noto Sans Medium for the Latin
# of KacstTitle where fontconfig ranks DejaVu Sans first).
FALLBACKS = 3


@dataclass(frozen=True)
class FaceMatch:
    chain: Chain
    px: int
    scores: list[float]

    @property
    def face(self) -> FontFace:
        return self.chain[0]

    def describe(self) -> str:
        fallback = ", ".join(f.label for f in self.chain[1:])
        return (
            f"glyphs match the expected copy rendered in the installed face {self.face.label}"
            + (f" (falling back to {fallback})" if fallback else "")
            + f" at {self.px} px (correlation {min(self.scores):.2f})"
        )


# (weight, width, slant) of a face, as fontconfig numbers them.
Traits = tuple[float, float, float]
_FORMAT = "%{file}\t%{index}\t%{family}\t%{style}\t%{weight}\t%{width}\t%{slant}\n"


def _fc_list(*args: str) -> list[tuple[FontFace, Traits]]:
    """Outline faces `fc-list` lists for `args`, with their traits, each once."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    out = subprocess.run(
        [exe, *args, "--format", _FORMAT], capture_output=True, text=True, check=False, timeout=60
    ).stdout
    faces: dict[tuple[str, int], tuple[FontFace, Traits]] = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 7 or not parts[1].isdigit() or not parts[0].lower().endswith(_OUTLINE):
            continue
        fam = parts[2].split(",")[0].strip()
        style = parts[3].split(",")[0].strip()
        key = (parts[0], int(parts[1]))
        traits = (_number(parts[4], 80), _number(parts[5], 100), _number(parts[6], 0))
        faces.setdefault(key, (FontFace(Path(parts[0]), key[1], fam, style), traits))
    return sorted(faces.values(), key=lambda ft: (str(ft[0].path), ft[0].index))


def _number(field: str, default: float) -> float:
    """A fontconfig number; a variable font's range ("[0 1000]") counts as `default`."""
    try:
        return float(field)
    except ValueError:
        return default


def installed_faces(chars: str) -> tuple[FontFace, ...]:
    """Outline faces that fontconfig says have every one of `chars` (not the locale's
    language: a price in a Hindi banner may be set in a face without Devanagari)."""
    return tuple(face for face, _ in _listed(chars))


@functools.lru_cache(maxsize=256)
def _listed(chars: str) -> tuple[tuple[FontFace, Traits], ...]:
    """`installed_faces`, each with its traits."""
    want = sorted({ord(c) for c in chars if not c.isspace() and c not in BIDI_CONTROLS})
    if not want:
        return ()
    return tuple(_fc_list(":charset=" + " ".join(f"{cp:x}" for cp in want)))


@functools.lru_cache(maxsize=1)
def _sans_families() -> tuple[tuple[tuple[FontFace, Traits], ...], ...]:
    """The faces of the first two families fontconfig sorts for "sans-serif" (where a
    renderer's fallback for characters its face lacks ends: Noto Sans, DejaVu Sans)."""
    exe = shutil.which("fc-match")
    if exe is None:
        return ()
    listed = subprocess.run(
        [exe, "-s", "sans-serif", "--format", "%{family[0]}\n"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stdout
    families = list(dict.fromkeys(f for f in listed.splitlines() if f and ":" not in f))[:2]
    return tuple(tuple(_fc_list(f":family={f}")) for f in families)


def _own_letters(text: str) -> str:
    """The letters and marks of `text` in a script other than Latin: what a face must have
    to be the one that set such copy (its Latin, digits and signs may come from a
    fallback). Latin copy has none: a Latin face lacking a character of it is rare, and
    hundreds of Latin faces would each need a chain."""
    return "".join(
        sorted(
            {
                c
                for c in text
                if unicodedata.category(c)[0] in "LM"
                and not unicodedata.name(c, "LATIN").startswith(("LATIN", "COMBINING"))
            }
        )
    )


@functools.lru_cache(maxsize=256)
def _fallbacks(traits: Traits, missing: str) -> tuple[FontFace, ...]:
    """Up to `FALLBACKS` faces of the sans-serif families (`_sans_families`) that have some
    of `missing`, nearest to a face of `traits` in slant, width and weight, the families in
    turn (Pango set the Latin of KacstTitle Medium in Noto Sans Medium, chromium in DejaVu
    Sans)."""
    weight, width, slant = traits
    ranked = [
        [
            f
            for f, _ in sorted(
                family,
                key=lambda ft: (
                    ft[1][2] != slant,
                    abs(ft[1][1] - width),
                    abs(ft[1][0] - weight),
                    ft[0].label,
                ),
            )
            if len(f.missing(missing)) < len(missing)
        ]
        for family in _sans_families()
    ]
    order = [f for tier in itertools.zip_longest(*ranked) for f in tier if f is not None]
    return tuple(order[:FALLBACKS])


@functools.lru_cache(maxsize=256)
def candidate_chains(text: str) -> tuple[Chain, ...]:
    """The faces that may have set `text`: each installed face with every character, and
    each with every letter of the copy's own script (`_own_letters`) followed by the faces
    its other characters fall back to (one chain per first fallback)."""
    whole = installed_faces(text)
    chains: list[Chain] = [(f,) for f in whole]
    own = _own_letters(text)
    if not own:
        return tuple(chains)
    have = set(whole)
    for face, traits in _listed(own):
        if face in have:
            continue
        missing = "".join(face.missing("".join(c for c in text if not c.isspace())))
        rest = _fallbacks(traits, missing)
        for first in rest:
            chain = (face, first, *[f for f in rest if f != first])
            if not _setter(chain, "", False).assign(text)[1]:
                chains.append(chain)
    return tuple(chains)


def _setter(chain: Chain, lang: str, rtl: bool) -> TextSetter:
    return TextSetter(list(chain), lang, _direction(rtl))


def _direction(rtl: bool) -> Direction:
    return "rtl" if rtl else "ltr"


@functools.lru_cache(maxsize=16384)
def _rough(chain: Chain, text: str, rtl: bool, lang: str) -> tuple[float, float] | None:
    """Width and height of `text`'s glyph boxes in `chain` at `_PROBE_PX`: a tenth of the
    cost of `_probe`, a few percent wider (side bearings). With fallback faces, the runs
    of each face side by side."""
    if len(chain) > 1:
        faces, missing = _setter(chain, lang, rtl).assign(text)
        if missing:
            return None
        runs = [
            (face, "".join(c for _, c in group))
            for face, group in itertools.groupby(zip(faces, text, strict=True), lambda p: p[0])
        ]
    else:
        runs = [(chain[0], text)]
    width, top, bottom = 0.0, math.inf, -math.inf
    for face, part in runs:
        if face is None:
            continue  # bidi controls
        try:
            x0, y0, x1, y1 = load_font(face, _PROBE_PX).getbbox(
                part, direction=_direction(rtl), language=lang, anchor="ls"
            )
        except (OSError, ValueError):
            return None
        # on one baseline: each face's ascent differs
        width, top, bottom = width + max(0, x1 - x0), min(top, y0), max(bottom, y1)
    return (width, bottom - top) if width > 0 and bottom > top else None


@functools.lru_cache(maxsize=4096)
def _probe(chain: Chain, text: str, rtl: bool, lang: str) -> tuple[float, float] | None:
    """Ink width and height of `text` set in `chain` at `_PROBE_PX`."""
    ink = _glyphs(chain, text, _PROBE_PX, rtl, lang)
    return (float(ink.shape[1]), float(ink.shape[0])) if ink.size else None


def _glyphs(chain: Chain, text: str, px: int, rtl: bool, lang: str) -> NDArray[np.float32]:
    """`text` set in `chain` at `px`, as coverage 0..1 cropped to its ink; empty on
    failure. One face alone is Pillow's mask, without copyplate's shaping (a tenth of
    `render_line`'s cost); a face with fallbacks is set by copyplate's shaper."""
    if len(chain) > 1:
        return render_line(_setter(chain, lang, rtl), text, px, pad=0)
    try:
        font: ImageFont.FreeTypeFont = load_font(chain[0], px)
        mask: Any = font.getmask(text, "L", direction=_direction(rtl), language=lang)
    except (OSError, ValueError):
        return np.zeros((0, 0), dtype=np.float32)
    return to_ink(np.asarray(Image.Image()._new(mask), dtype=np.float32) / 255.0)


def _resemblance(
    chain: Chain,
    text: str,
    px: int,
    rtl: bool,
    lang: str,
    actual: NDArray[np.float32],
    width: float,
) -> float:
    """How well `text` set in `face` at `px` correlates with `actual`, wherever it sits
    (0 when its ink is not about as wide as `width`: a hairline face that vanishes at a
    small size leaves a dot, which correlates perfectly with anything)."""
    ref = _glyphs(chain, text, px, rtl, lang)
    if ref.size == 0 or ref.shape[0] > actual.shape[0] or ref.shape[1] > actual.shape[1]:
        return 0.0
    if abs(math.log(ref.shape[1] / width)) > 2 * MAX_SHAPE_ERROR or float(ref.std()) == 0.0:
        return 0.0
    res = cv2.matchTemplate(actual, ref, cv2.TM_CCOEFF_NORMED)
    return float(res.max())


def _tokens(text: str) -> list[str]:
    """Where a line may break: at spaces, or between clusters in copy without spaces."""
    if " " in text.strip():
        return text.split()
    out: list[str] = []
    for ch in text:
        if out and (unicodedata.category(ch)[0] == "M" or ch in BIDI_CONTROLS):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _line_sets(text: str, n: int) -> list[list[str]]:
    """Every way to set `text` on `n` lines at its break opportunities (bounded)."""
    if n == 1:
        return [[text]]
    toks = _tokens(text)
    if len(toks) < n:
        return []
    sep = " " if " " in text.strip() else ""
    out = []
    for cuts in itertools.islice(itertools.combinations(range(1, len(toks)), n - 1), 400):
        edges = [0, *cuts, len(toks)]
        out.append([sep.join(toks[a:b]) for a, b in itertools.pairwise(edges)])
    return out


def _shape_error(
    sizes: list[tuple[float, float]], probes: list[tuple[float, float]], taller: float = 0.0
) -> tuple[float, float, float]:
    """How far the image's lines are from a face's rendering of them: the largest log ratio
    of widths and heights after one common scale, less `taller` where a rendering is taller
    than the image (glyph boxes: a mark's box may stand far above its ink); that scale
    (image px per probe px); and the error without `taller` (which ranks faces: with it,
    every face whose boxes are taller would rank alike)."""
    scale = sum(w for w, _ in sizes) / sum(w for w, _ in probes)
    pairs = [
        (_off(scale * pw, w), _off(scale * ph, h, taller), _off(scale * ph, h))
        for (w, h), (pw, ph) in zip(sizes, probes, strict=True)
    ]
    return max(max(a, b) for a, b, _ in pairs), scale, max(max(a, c) for a, _, c in pairs)


# Pixels an edge of the image's ink may be off by (hinting, antialiasing cut at a threshold,
# a mark merged with its line): at 17 px a line's height is two pixels from 12% off.
SLACK_PX = 2.0
# How much taller than the ink glyph boxes may be (KacstTitle's boxes for a line with a
# tanween are 44% taller than its ink).
BOXES_TALLER = math.log(1.6)


def _off(want: float, got: float, above: float = 0.0) -> float:
    """How far `got` pixels is from `want` (log ratio), less `SLACK_PX` of slack, and less
    `above` when `want` is the larger (below zero within them: faces still rank by it)."""
    err = abs(math.log(want / got)) - math.log1p(SLACK_PX / got)
    return err - (above if want > got else 0.0)


def _set_error(
    measure: Callable[[Chain, str, bool, str], tuple[float, float] | None],
    chain: Chain,
    lines: list[str],
    sizes: list[tuple[float, float]],
    rtl: bool,
    lang: str,
) -> tuple[float, float, float] | None:
    """`_shape_error` of `lines` set in `face` against `sizes`; None when a line cannot
    be measured in it."""
    probes = []
    for t in lines:
        got = measure(chain, t, rtl, lang)
        if got is None:
            return None
        probes.append(got)
    return _shape_error(sizes, probes, BOXES_TALLER if measure is _rough else 0.0)


def _fit(
    measure: Callable[[Chain, str, bool, str], tuple[float, float] | None],
    chain: Chain,
    sets: list[list[str]],
    sizes: list[tuple[float, float]],
    rtl: bool,
    lang: str,
) -> tuple[float, float, list[str], float] | None:
    """(shape error, scale, lines, error to rank by) of the line set that `face` sets
    closest to `sizes` (`_shape_error`)."""
    best: tuple[float, float, list[str], float] | None = None
    for lines in sets:
        got = _set_error(measure, chain, lines, sizes, rtl, lang)
        if got is None:
            return None
        if best is None or got[0] < best[0]:
            best = (got[0], got[1], lines, got[2])
    return best


def _shortlist(
    chains: tuple[Chain, ...],
    sets: list[list[str]],
    crops: list[NDArray[np.bool_]],
    rtl: bool,
    lang: str,
) -> list[tuple[float, float, Chain, list[str]]]:
    """Up to `SHORTLIST` (resemblance, scale, chain, lines), most alike first."""
    if not chains:
        return []
    sizes = [(float(c.shape[1]), float(c.shape[0])) for c in crops]
    if len(sets) > BREAKS:
        # Where the lines break hardly depends on the face: rank the sets once.
        errs = [_set_error(_rough, chains[0], lines, sizes, rtl, lang) for lines in sets]
        order = sorted(range(len(sets)), key=lambda i: e[0] if (e := errs[i]) else math.inf)
        sets = [sets[i] for i in order[:BREAKS]]
    # Glyph boxes first (cheap, loose), then the ink of the faces still in the running.
    roughly = []
    for chain in chains:
        rough = _fit(_rough, chain, sets, sizes, rtl, lang)
        if rough is not None and rough[0] <= ROUGH_ERROR:
            roughly.append((rough[3], chain))
    roughly.sort(key=lambda r: r[0])
    near = []
    for _, chain in roughly[:PROBED]:
        fine = _fit(_probe, chain, sets, sizes, rtl, lang)
        if fine is not None and fine[0] <= MAX_SHAPE_ERROR:
            near.append((fine[1], chain, fine[2]))
    if not near:
        return []
    # Proportions alone leave dozens of faces; their glyphs on the longest line decide.
    k = max(range(len(crops)), key=lambda i: sizes[i][0])
    pad = max(4, round(sizes[k][1] / 3))
    longest = np.pad(crops[k].astype(np.float32), pad)
    ranked = [
        (
            _resemblance(
                chain, lines[k], round(scale * _PROBE_PX), rtl, lang, longest, sizes[k][0]
            ),
            scale,
            chain,
            lines,
        )
        for scale, chain, lines in near
    ]
    ranked.sort(key=lambda r: -r[0])
    return ranked[:SHORTLIST]


def match_installed(
    mask: NDArray[np.bool_],
    bands: list[tuple[int, int]],
    expected: str,
    locale: str,
    rtl: bool,
    rival: str = "",
    readings: tuple[str, ...] = (),
) -> FaceMatch | None:
    """The installed face whose rendering of `expected` matches the glyphs of `mask` (the
    region's ink, lines at `bands`) glyph for glyph, with no ink left unexplained, better
    than `rival` (what a recogniser read there instead) in any candidate face and better
    than each look-alike of it (`_swaps`) where they differ; None when no face does.

    A letter that differs from the expected one by less than a stroke (Thai ซ for ช, a
    missing nukta, a comma for a full stop) passes the glyph comparison; the reading or the
    look-alike set in the same face then matches at least as well, and the copy fails."""
    text = " ".join(expected.split())
    if not bands or not text:
        return None
    crops = []
    for a, b in bands:
        band = mask[a:b]
        cols = np.flatnonzero(band.any(axis=0))
        rows = np.flatnonzero(band.any(axis=1))
        if len(cols) == 0:
            return None
        crops.append(band[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    sets = _line_sets(text, len(crops))
    if not sets:
        return None
    rivals = [" ".join(ln.split()) for ln in rival.splitlines() if ln.strip()]
    if len(rivals) != len(crops):
        rivals = [" ".join(rival.split())] if len(crops) == 1 else [""] * len(crops)
    lang = locale.split("-")[0]
    # The face that drew the copy is the one whose rendering correlates best; only that
    # one is judged (trying faces until one passes would let a near face excuse a wrong
    # letter). What was read instead must not match better in any of the candidates.
    tried = []
    for _, scale, chain, lines in _shortlist(candidate_chains(text), sets, crops, rtl, lang):
        setter = _setter(chain, locale, rtl)
        got = [
            _judge(crop, setter, line, scale * _PROBE_PX, other)
            for crop, line, other in zip(crops, lines, rivals, strict=True)
        ]
        tried.append((sum(g.score for g in got) / len(got), chain, got, lines, setter))
    if not tried:
        return None
    _, chain, got, chosen, setter = max(tried, key=lambda t: t[0])
    if not all(g.clean for g in got):
        return None
    for k, (crop, line, g, other) in enumerate(zip(crops, chosen, got, rivals, strict=True)):
        lose, located = _lookalikes_lose(crop, setter, line, g, other, readings)
        if not lose:
            return None
        # A reading judged glyph by glyph where it disagrees, in a face that matches as
        # well as the one that drew the copy does, needs no whole-line verdict (which a
        # missing full stop hardly moves); one the pixels cannot locate, or judged in a
        # near face (a comma judged in another face's shapes), does.
        sure = located and g.score >= SURE_MATCH
        if not sure and any(t[2][k].rival >= g.score for t in tried):
            return None
    return FaceMatch(chain, got[0].px, [g.score for g in got])


# Characters another of their group can pass for, a dot or a stroke apart: digits of one
# family (٢ and ٣ differ by a tooth), decimal and group marks, and letters told apart by
# their dots or one small stroke. Each swap is a rival the expected copy must beat.
_LOOKALIKES = (
    "0123456789",
    "٠١٢٣٤٥٦٧٨٩",
    "۰۱۲۳۴۵۶۷۸۹",
    "०१२३४५६७८९",
    "๐๑๒๓๔๕๖๗๘๙",
    ".,٫٬",
    "بتثنيئ",
    "جحخ",
    "دذ",
    "رز",
    "سش",
    "صض",
    "طظ",
    "عغ",
    "فق",
    "هة",
    "בכ",
    "דר",
    "החת",
    "וז",
    "םס",
    "ชซข",
    "ดต",
    "บป",
    "ผฝ",
    "พฟ",
    "ฎฏ",
)
_GROUP = {c: g for g in _LOOKALIKES for c in g}


def _swaps(line: str) -> list[str]:
    """`line` with one character replaced by a look-alike (`_LOOKALIKES`)."""
    return [
        line[:i] + d + line[i + 1 :]
        for i, c in enumerate(line)
        for d in _GROUP.get(c, "")
        if d != c
    ]


def _ops(line: str, read: str) -> tuple[str, list[tuple[str, int, int, int, int]]]:
    """`read` without bidi controls, and the edits that turn `line` into it."""
    read = "".join(c for c in read if c not in BIDI_CONTROLS)
    ops = difflib.SequenceMatcher(None, line, read, autojunk=False).get_opcodes()
    return read, [(str(tag), i1, i2, j1, j2) for tag, i1, i2, j1, j2 in ops]


def _one_by_one(line: str, read: str) -> bool:
    """Whether every disagreement of `read` with `line` is one of `_read_edits` (each
    judged where it stands, which the whole line's correlation cannot do: a missing full
    stop moves it by less than the renderers differ)."""
    return all(
        tag == "equal"
        or (tag == "replace" and i2 - i1 == j2 - j1)
        or (tag == "delete" and i2 - i1 == 1)
        or (tag == "insert" and j2 - j1 == 1)
        for tag, i1, i2, j1, j2 in _ops(line, read)[1]
    )


def _read_edits(line: str, read: str) -> list[str]:
    """`line` with one of the reader's disagreements applied: each character it read
    differently (or missed, or read in addition), one at a time."""
    read, ops = _ops(line, read)
    out = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "replace" and i2 - i1 == j2 - j1:
            out += [line[:i] + read[j1 + i - i1] + line[i + 1 :] for i in range(i1, i2)]
        elif tag == "delete" and i2 - i1 == 1:
            out.append(line[:i1] + line[i2:])
        elif tag == "insert" and j2 - j1 == 1:
            out.append(line[:i1] + read[j1:j2] + line[i1:])
    return [o for o in out if o.strip() and o != line]


def _lookalikes_lose(
    crop: NDArray[np.bool_],
    setter: TextSetter,
    line: str,
    got: _Judged,
    read: str = "",
    readings: tuple[str, ...] = (),
) -> tuple[bool, bool]:
    """Whether `line` explains the image better than every `_swaps` of it and every one of
    the reader's disagreements (`_read_edits`), in the face that matched, where the two
    renderings differ: the whole line's correlation hardly moves for a comma against a
    full stop, or an a against an e in a face near the one that drew it; the pixels
    around it do. And whether each of the reader's disagreements was judged so (one
    within a stroke of the expected glyph everywhere, Thai ซ for ช, is not).

    A letter a dot apart that the pixels favour less than clearly (two dots merged by a
    small size, a hinted renderer) is beaten too when a reading of the recogniser says
    the expected word there: the pixels and the reader then agree."""
    px = got.px
    # room for the line's whole ascent, descent and advance around the ink
    actual = np.pad(crop.astype(np.float32), 2 * px)
    mine = render_line(setter, line, px, pad=0, crop=False)
    box = ink_box(mine)
    if box is None:
        return False, False
    inked = mine[box[0] : box[1], box[2] : box[3]]
    if inked.shape[0] > actual.shape[0] or inked.shape[1] > actual.shape[1]:
        return False, False
    res = cv2.matchTemplate(actual, inked, cv2.TM_CCORR_NORMED)
    _, _, _, (x, y) = cv2.minMaxLoc(res)
    origin = (y - box[0], x - box[2])  # of `mine` in `actual`
    edits = _read_edits(line, read)
    rivals = list(dict.fromkeys(_swaps(line) + edits))
    if len(rivals) > MAX_RIVALS:
        # not vouched for: each rival is a rendering (a manifest may be hostile)
        return False, False
    located = _one_by_one(line, read)
    # In a face that matches less than surely, the pixels overrule what the reader saw only
    # by a wide margin (its shapes are not the image's).
    overrule = CLEARLY if got.score >= SURE_MATCH else OVERRULE
    for other in rivals:
        if setter.assign(other)[1]:
            continue
        theirs = render_line(setter, other, px, pad=0, crop=False)
        ratio = _closer(actual, mine, theirs, origin, px, _at_end(line, other))
        if ratio is None:
            located = located and other not in edits
            continue
        if ratio < (overrule if other in edits else CLEARLY):
            continue
        if ratio < READ_CLEARLY and _read_as_expected(line, other, readings):
            continue
        return False, located
    return True, located


def _at_end(line: str, other: str) -> bool:
    """Whether `other` differs from `line` only in its first or last characters (bidi
    controls aside)."""
    a, b = ([c for c in t if c not in BIDI_CONTROLS] for t in (line, other))
    head = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    tail = next(
        (i for i, (x, y) in enumerate(zip(reversed(a), reversed(b), strict=False)) if x != y),
        None,
    )
    return head is None or tail is None or head == 0 or tail == 0


def _read_as_expected(line: str, other: str, readings: tuple[str, ...]) -> bool:
    """Whether `other` is `line` with one letter swapped for another letter and some
    reading has the expected word as many times as `line` does (so not the swapped one
    where it stands). Digits, signs and marks are never excused this way."""
    if len(other) != len(line):
        return False
    diff = [i for i, (a, b) in enumerate(zip(line, other, strict=True)) if a != b]
    if len(diff) != 1:
        return False
    i = diff[0]
    if unicodedata.category(line[i])[0] != "L" or unicodedata.category(other[i])[0] != "L":
        return False
    a = line.rfind(" ", 0, i) + 1
    b = line.find(" ", i)
    b = len(line) if b < 0 else b
    want, theirs = normalise(line[a:b]), normalise(other[a:b])
    if not want or want == theirs:
        return False
    need = [normalise(w) for w in line.split()].count(want)
    return need > 0 and any([normalise(w) for w in r.split()].count(want) >= need for r in readings)


Spots = tuple[NDArray[np.bool_], NDArray[np.bool_]]


def _differing(
    a: NDArray[np.float32],
    placements: list[tuple[int, NDArray[np.float32]]],
    shape: tuple[int, ...],
    left: int,
    reach: int,
) -> list[Spots]:
    """Per placement (offset, the look-alike of `shape` set there), where `a` has ink the
    look-alike has none within `reach` pixels of (in `a`'s frame), and where the
    look-alike has ink `a` has none near (in its own frame)."""
    k = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)

    def near(img: NDArray[np.float32]) -> NDArray[np.bool_]:
        return cv2.dilate((img >= 0.2).astype(np.uint8), k) > 0

    near_a = near(a)
    return [
        (
            (a >= 0.5) & ~near(b),
            ((b >= 0.5) & ~near_a)[: shape[0], left + dx : left + dx + shape[1]],
        )
        for dx, b in placements
    ]


def _span(spots: Spots, left: int) -> int:
    """Columns from the first to the last differing pixel; the width of all for none."""
    cols = np.concatenate([spots[0].nonzero()[1], spots[1].nonzero()[1] + left])
    return int(cols.max() - cols.min()) if len(cols) else spots[0].shape[1] + spots[1].shape[1]


def _closer(
    actual: NDArray[np.float32],
    mine: NDArray[np.float32],
    theirs: NDArray[np.float32],
    origin: tuple[int, int],
    px: int,
    at_end: bool = False,
) -> float | None:
    """How much of `theirs`'s squared difference from `actual` `mine` leaves where the two
    differ (below `CLEARLY`: `mine` fits clearly better); None when they do not differ.
    `mine` sits at `origin` in `actual`; both are whole lines, set from the same start;
    `at_end`: they differ in their first or last character.

    A look-alike of another advance moves what follows it by that much: the two lines
    agree when their starts line up on one side of the changed glyph and when their ends
    line up on the other, so only what differs both ways is where they differ (not the
    rest of the line, which would judge the copy's spacing instead of the glyph). Each is
    placed within a few pixels by the glyphs around the difference (which anchor it: a
    template of mostly blank paper would slide to any blank spot), then judged on the
    differing pixels alone."""
    shift = mine.shape[1] - theirs.shape[1]
    left = max(0, -shift)
    h = max(mine.shape[0], theirs.shape[0])
    w = left + max(mine.shape[1], theirs.shape[1]) + abs(shift)

    def canvas(img: NDArray[np.float32], x: int) -> NDArray[np.float32]:
        out = np.zeros((h, w), np.float32)
        out[: img.shape[0], x : x + img.shape[1]] = img
        return out

    a = canvas(mine, left)
    placements = [(dx, canvas(theirs, left + dx)) for dx in dict.fromkeys((0, shift))]
    # Where one has ink the other has nowhere near (what follows a glyph of another advance
    # may also move by a fraction of a pixel), in both placements: the glyph in the middle
    # of the line that differs. A glyph at the line's end differs in one placement only
    # (lined up by their ends, the look-alike's last glyph covers what the line lacks), the
    # one where it differs least; a glyph in the middle that differs in neither is within
    # a stroke of the other.
    found = _differing(a, placements, theirs.shape, left, max(1, round(px / 32)))
    ours = np.logical_and.reduce([f[0] for f in found])
    other = np.logical_and.reduce([f[1] for f in found])
    if not ours.any() and not other.any():
        if not at_end:
            return None
        ours, other = min(found, key=lambda f: _span(f, left))
    oy, ox = other.nonzero()
    dy = np.concatenate([ours.nonzero()[0], oy, oy])
    dx_ = np.concatenate([ours.nonzero()[1], ox + left, ox + left + shift])
    if len(dx_) == 0:
        return None
    m = max(2, px // 8)
    y0, y1 = max(0, int(dy.min()) - m), min(h, int(dy.max()) + 1 + m)
    x0, x1 = max(0, int(dx_.min()) - m), min(w, int(dx_.max()) + 1 + m)
    e = max(4, px // 2)
    cy0, cy1 = max(0, y0 - e), min(h, y1 + e)
    cx0, cx1 = max(0, x0 - e), min(w, x1 + e)
    s = max(2, px // 10)
    ay0, ax0 = origin[0] + cy0 - s, origin[1] + cx0 - left - s
    ay1, ax1 = origin[0] + cy1 + s, origin[1] + cx1 - left + s
    if ay0 < 0 or ax0 < 0 or ay1 > actual.shape[0] or ax1 > actual.shape[1]:
        return math.inf
    around = actual[ay0:ay1, ax0:ax1]
    # Placed by the glyphs around the difference alone: by the whole context, the one that
    # lacks ink there slides to where the image has none, and fits better for it.
    context = np.ones((cy1 - cy0, cx1 - cx0), np.float32)
    context[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0] = 0.0
    # The glyph that differs may sit a pixel or two off the glyphs around it (another
    # renderer's hinting and subpixel advances put a comma a pixel right of ours): each
    # rendering's whole differing glyph is lined up with the image on its own, and the
    # differing pixels are judged there. Lined up by those pixels alone, the rendering with
    # a stray pixel more would find ink for it next to any stroke.
    g0, g1, gx0, gx1 = _glyph_box(a, [b for _, b in placements], dy, dx_)
    g0, g1 = max(cy0, min(g0, y0)), min(cy1, max(g1, y1))
    gx0, gx1 = max(cx0, min(gx0, x0)), min(cx1, max(gx1, x1))
    jitter = max(1, round(px / 24))

    def ssd(ref: NDArray[np.float32]) -> tuple[float, float]:
        """How well `ref`'s context fits, and its squared difference where they differ."""
        piece = ref[cy0:cy1, cx0:cx1]
        fit = cv2.matchTemplate(around, piece, cv2.TM_SQDIFF, mask=context)
        fitted, _, (fx, fy), _ = cv2.minMaxLoc(fit)
        glyph = ref[g0:g1, gx0:gx1]
        best = (math.inf, 0, 0)
        for jy, jx in itertools.product(range(-jitter, jitter + 1), repeat=2):
            ty, tx = fy + g0 - cy0 + jy, fx + gx0 - cx0 + jx
            if (
                ty < 0
                or tx < 0
                or ty + g1 - g0 > around.shape[0]
                or tx + gx1 - gx0 > around.shape[1]
            ):
                continue
            here = around[ty : ty + g1 - g0, tx : tx + gx1 - gx0]
            best = min(best, (float(((here - glyph) ** 2).sum()), jy, jx))
        _, jy, jx = best
        ty, tx = fy + y0 - cy0 + jy, fx + x0 - cx0 + jx
        here = around[ty : ty + y1 - y0, tx : tx + x1 - x0]
        return float(fitted), float(((here - ref[y0:y1, x0:x1]) ** 2).sum())

    # The look-alike in the placement its surroundings fit better (where it has no ink
    # near the difference, the other placement would fit blank paper perfectly).
    _, theirs_ssd = min(ssd(b) for _, b in placements)
    return ssd(a)[1] / theirs_ssd if theirs_ssd > 0 else math.inf


def _glyph_box(
    a: NDArray[np.float32],
    others: list[NDArray[np.float32]],
    dy: NDArray[np.intp],
    dx: NDArray[np.intp],
) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), ends exclusive, of the pieces of ink of `a` and `others`
    that reach the differing pixels at `dy`, `dx`: the glyphs that differ, whole."""
    h, w = a.shape
    ink = np.logical_or.reduce([a >= 0.5, *[b >= 0.5 for b in others]])
    spots = np.zeros((h, w), np.uint8)
    keep = (dx >= 0) & (dx < w)
    spots[dy[keep], dx[keep]] = 1
    spots = cv2.dilate(spots, np.ones((3, 3), np.uint8)).astype(np.uint8)
    _, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    touched = np.unique(labels[(spots > 0) & ink])
    ys, xs = np.isin(labels, touched[touched > 0]).nonzero()
    if len(xs) == 0:
        return h, 0, w, 0
    return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1


@dataclass(frozen=True)
class _Judged:
    score: float  # best correlation of the expected line over the sizes tried
    px: int
    clean: bool  # no glyph differs and no ink is left unexplained at that size
    rival: float  # best correlation of what was read instead (0 when nothing to compare)


def _judge(
    crop: NDArray[np.bool_], setter: TextSetter, line: str, nominal: float, rival: str
) -> _Judged:
    """`line` and `rival` set at sizes around `nominal` and compared with `crop`."""
    pad = max(4, round(nominal / 4))
    actual = np.pad(crop.astype(np.float32), pad)
    sizes = [px for px in sorted({round(nominal) + d for d in (0, -1, 1)}) if px >= 6]
    best = _Judged(0.0, sizes[0] if sizes else 0, False, 0.0)
    for px in sizes:
        placed = match_line(actual, render_line(setter, line, px, pad=0), px)
        if placed.score > best.score:
            best = _Judged(placed.score, px, _explained(actual, placed, px), 0.0)
    if not rival or normalise(rival) == normalise(line):
        return best
    if setter.assign(rival)[1]:
        return best  # the face cannot set what was read: another candidate may
    seen = max(match_line(actual, render_line(setter, rival, px, pad=0), px).score for px in sizes)
    return _Judged(best.score, best.px, best.clean, seen)


def _explained(actual: NDArray[np.float32], placed: Placement, px: int) -> bool:
    """Whether the placed rendering matches well, differs nowhere by more than a stroke
    and leaves no ink of the image unexplained."""
    if placed.score < MIN_SCORE or placed.blobs:
        return False
    return not stray_ink(actual, placed.placed, px)
