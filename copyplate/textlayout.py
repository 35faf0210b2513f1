"""Shaped, bidi-correct, font-fallback-aware text layout on top of Pillow's Raqm engine.

Pillow shapes one string with one font. Real copy mixes scripts (a Latin brand inside
Arabic, digits inside Hebrew when the Hebrew font has none), so a line is laid out as:

1. grapheme clusters get a font: the first face of the chain that has every character of
   the cluster; neutral clusters (spaces, punctuation, digits) stay with the previous font
   when it has them, so runs stay long and kerning intact;
2. the Unicode bidi algorithm (ICU) splits the line into directional runs in visual order;
3. each directional run is cut where the font changes, and every piece is shaped by
   HarfBuzz (Raqm) in its own direction and drawn on a shared baseline.

Line breaks come from ICU's UAX #14 iterator (dictionary-based for Thai, `lb=strict`
kinsoku for Japanese and Chinese). A character no face covers is never drawn: it is
reported, so no .notdef box reaches an image.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, ImageDraw, ImageFont, features

from copyplate.capabilities import require
from copyplate.errors import MissingCapability
from copyplate.fonts import FontFace

# Bidi controls steer the bidi algorithm and are removed before shaping: many fonts have no
# glyph for them. ZWJ/ZWNJ stay: they change Arabic joining and Indic conjuncts.
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
STRICT_KINSOKU = ("ja", "zh")

Direction = Literal["ltr", "rtl"]


def require_raqm() -> None:
    if not features.check("raqm"):
        msg = (
            "Pillow was built without Raqm (HarfBuzz + FriBiDi): complex scripts cannot be "
            "shaped correctly; install libraqm0 and libfribidi0 (make setup)"
        )
        raise MissingCapability(msg)


# Each entry is a FreeType face of its own (a CJK face and its shaping tables: ~2.6 MB),
# and jobs come size by size, so faces are reused within an asset (fitting, drawing, the
# reference rendering), seldom across assets. Over 400 assets of 40 locales in one process
# the peak was 488 MiB with 64 faces, 392 with 16, 369 with 8; the warm 51-asset batch's
# largest process 361 -> 269 MiB with 16, the same CPU (medians of 5, side by side).
@functools.lru_cache(maxsize=16)
def load_font(face: FontFace, size: int) -> ImageFont.FreeTypeFont:
    require_raqm()
    return ImageFont.truetype(
        str(face.path), size, index=face.index, layout_engine=ImageFont.Layout.RAQM
    )


@functools.lru_cache(maxsize=16)
def _icu_module() -> Any:
    return require("icu")


def _utf16_to_py(text: str) -> list[int]:
    """Map each UTF-16 offset (as ICU reports them) to a Python string index."""
    out = []
    for i, ch in enumerate(text):
        out.append(i)
        if ord(ch) > 0xFFFF:
            out.append(i)
    out.append(len(text))
    return out


def grapheme_clusters(text: str) -> list[tuple[int, int]]:
    icu = _icu_module()
    it = icu.BreakIterator.createCharacterInstance(icu.Locale.getRoot())
    it.setText(text)
    m = _utf16_to_py(text)
    bounds = [0] + [m[b] for b in it]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def break_opportunities(text: str, lang: str) -> list[int]:
    """Indices where a line may end (exclusive end of the line), UAX #14 plus locale rules."""
    icu = _icu_module()
    base = lang.split("-")[0]
    tag = f"{base}@lb=strict" if base in STRICT_KINSOKU else lang.replace("-", "_")
    it = icu.BreakIterator.createLineInstance(icu.Locale(tag))
    it.setText(text)
    m = _utf16_to_py(text)
    return [m[b] for b in it]


@functools.lru_cache(maxsize=64)
def hyphenator(lang: str) -> Any:
    """A pyphen dictionary for the locale, or None where there is none (then no hyphens)."""
    pyphen = require("pyphen")
    found = pyphen.language_fallback(lang.replace("-", "_"))
    return pyphen.Pyphen(lang=found) if found else None


def _neutral(cluster: str) -> bool:
    return all(unicodedata.category(c)[0] in "ZPSN" or c in BIDI_CONTROLS for c in cluster)


@dataclass
class Piece:
    """A run drawn in one call: one face, one direction."""

    text: str
    face: FontFace
    rtl: bool
    width: float = 0.0


@dataclass
class Line:
    text: str  # logical order, as written
    pieces: list[Piece]  # visual order, left to right
    width: float
    ascent: int
    descent: int


@dataclass
class Layout:
    size: int
    lines: list[Line]
    line_pitch: float
    width: float
    height: float

    @property
    def faces(self) -> list[FontFace]:
        seen: list[FontFace] = []
        for ln in self.lines:
            for p in ln.pieces:
                if p.face not in seen:
                    seen.append(p.face)
        return seen


# Lines shaped in this process, per (chain, language, rtl): a Line is never changed once
# shaped, so setters of the same copy share them. Bounded: a long-lived process (the
# service, a 2,000-asset worker) drops the whole table rather than grow without end;
# most reuse is within one asset (the fit, the balancer, the reference renderer, retries),
# and spring-sale shapes ~230 lines an asset.
_SHAPED: dict[tuple[tuple[FontFace, ...], str, bool], dict[tuple[str, int], Line]] = {}
_SHAPED_MAX_LINES = 20_000


def _shape_cache(chain: tuple[FontFace, ...], lang: str, rtl: bool) -> dict[tuple[str, int], Line]:
    if sum(len(d) for d in _SHAPED.values()) > _SHAPED_MAX_LINES:
        _SHAPED.clear()
    return _SHAPED.setdefault((chain, lang, rtl), {})


Assigned = tuple[list[FontFace | None], list[str]]
Cluster = tuple[bool, str, bool, FontFace | None]
_ASSIGNED: dict[tuple[FontFace, ...], tuple[dict[str, Assigned], dict[str, Cluster]]] = {}


def _assign_cache(chain: tuple[FontFace, ...]) -> tuple[dict[str, Assigned], dict[str, Cluster]]:
    if sum(len(d[0]) for d in _ASSIGNED.values()) > _SHAPED_MAX_LINES:
        _ASSIGNED.clear()
    return _ASSIGNED.setdefault(chain, ({}, {}))


class TextSetter:
    """Lays out and draws one piece of copy with one font chain, direction and language."""

    def __init__(
        self, chain: list[FontFace], lang: str, direction: Direction, hyphenate: bool = False
    ) -> None:
        if not chain:
            msg = f"no font configured for {lang}"
            raise MissingCapability(msg)
        self.chain = chain
        self.lang = lang
        self.rtl = direction == "rtl"
        self.hyphenator = hyphenator(lang) if hyphenate else None
        # The fit tries many sizes and the balancer many segments of the same copy, and
        # the harmony plan, the copy stage, its retries and the validators' reference
        # renderer each set the same copy again: shaping (HarfBuzz per piece) dominates,
        # so each (chain, language, direction, text, size) is shaped once per process.
        self._shaped = _shape_cache(tuple(chain), lang, self.rtl)
        # Faces per text and per cluster depend on the chain alone: shared like the shapes.
        self._faces, self._clusters = _assign_cache(tuple(chain))

    # -- fonts ---------------------------------------------------------------------------

    def assign(self, text: str) -> tuple[list[FontFace | None], list[str]]:
        """A face per character (None where no face covers it) and the uncovered characters."""
        # Every size the fit tries shapes the same text: the faces do not depend on size.
        got = self._faces.get(text)
        if got is None:
            got = self._faces[text] = self._assign(text)
        return list(got[0]), list(got[1])

    def _assign(self, text: str) -> tuple[list[FontFace | None], list[str]]:
        faces: list[FontFace | None] = [None] * len(text)
        missing: list[str] = []
        prev: FontFace | None = None
        for a, b in grapheme_clusters(text):
            known = self._clusters.get(cluster := text[a:b])
            if known is None:
                known = self._clusters[cluster] = self._cluster(cluster)
            skip, visible, neutral, first = known
            if skip:
                continue
            # A neutral cluster (space, digit, mark) stays in the face before it if it can.
            keep = prev is not None and neutral and not prev.missing(visible)
            face = prev if keep else first
            if face is None:
                missing += [c for c in visible if c not in missing]
                continue
            for i in range(a, b):
                faces[i] = face
            prev = face
        return faces, missing

    def _cluster(self, cluster: str) -> tuple[bool, str, bool, FontFace | None]:
        """What assigning a face to `cluster` needs, whatever comes before it: whether it
        is only controls, its visible characters, whether they are neutral, and the first
        face of the chain that has them."""
        skip = all(c in BIDI_CONTROLS or c in "\n" for c in cluster)
        visible = "".join(c for c in cluster if c not in BIDI_CONTROLS)
        first = next((f for f in self.chain if not f.missing(visible)), None)
        return skip, visible, _neutral(visible), first

    # -- one line ------------------------------------------------------------------------

    def shape_line(self, text: str, size: int) -> Line:
        key = (text, size)
        line = self._shaped.get(key)
        if line is None:
            line = self._shaped[key] = self._shape_line(text, size)
        return line

    def _shape_line(self, text: str, size: int) -> Line:
        icu = _icu_module()
        faces, _ = self.assign(text)
        bidi = icu.Bidi()
        bidi.setPara(icu.UnicodeString(text), 1 if self.rtl else 0)
        m = _utf16_to_py(text)
        pieces: list[Piece] = []
        for i in range(bidi.countRuns()):
            start16, length16, rtl_run = bidi.getVisualRun(i)
            start, end = m[start16], m[start16 + length16]
            segs: list[Piece] = []
            j = start
            while j < end:
                face = faces[j]
                k = j + 1
                while k < end and faces[k] == face:
                    k += 1
                chunk = "".join(c for c in text[j:k] if c not in BIDI_CONTROLS)
                if face is not None and chunk:
                    segs.append(Piece(chunk, face, bool(rtl_run)))
                j = k
            pieces += reversed(segs) if rtl_run else segs
        width = 0.0
        ascent = descent = 0
        for p in pieces:
            font = load_font(p.face, size)
            p.width = font.getlength(
                p.text, direction="rtl" if p.rtl else "ltr", language=self.lang
            )
            width += p.width
            a, d = font.getmetrics()
            ascent, descent = max(ascent, a), max(descent, d)
        if not pieces:
            a, d = load_font(self.chain[0], size).getmetrics()
            ascent, descent = a, d
        return Line(text, pieces, width, ascent, descent)

    # -- breaking and fitting ------------------------------------------------------------

    def wrap(
        self, text: str, size: int, width: float, max_lines: int, balance: bool = False
    ) -> list[Line] | None:
        """UAX #14 wrapping; None if it needs more lines or a word is too wide.

        Greedy (each line as full as it goes) finds the fewest lines; with `balance`, each
        paragraph is then re-broken into that many lines of even width, so no last word is
        left alone on a line when a better break exists."""
        lines: list[Line] = []
        for para in text.split("\n"):
            if not para:
                lines.append(self.shape_line("", size))
                continue
            breaks = break_opportunities(para, self.lang)
            start = 0
            greedy: list[Line] = []
            hyphenated_any = False
            while start < len(para):
                best: Line | None = None
                best_end = start
                overflow = None
                # The longest line from `start` that fits, by bisection over the break
                # opportunities after it: a line that takes more words is never narrower.
                ends = breaks[bisect.bisect_right(breaks, start) :]
                lo, hi = 0, len(ends) - 1
                while lo <= hi:
                    mid = (lo + hi) // 2
                    line = self.shape_line(para[start : ends[mid]].rstrip(), size)
                    if line.width > width:
                        hi = mid - 1
                    else:
                        best, best_end, lo = line, ends[mid], mid + 1
                if lo < len(ends):
                    overflow = ends[lo]
                if overflow is not None and self.hyphenator is not None:
                    hyphenated = self._hyphenate(para, start, best_end, overflow, size, width)
                    if hyphenated is not None:
                        best, best_end = hyphenated
                        hyphenated_any = True
                if best is None:
                    return None  # a single unbreakable segment is wider than the box
                greedy.append(best)
                start = best_end
                if len(lines) + len(greedy) > max_lines:
                    return None
            # A hyphen is a break of its own the balancer does not know: keep greedy there.
            if balance and len(greedy) > 1 and not hyphenated_any:
                greedy = self._balanced(para, breaks, size, width, len(greedy)) or greedy
            lines += greedy
        return lines if len(lines) <= max_lines else None

    def _balanced(
        self, para: str, breaks: list[int], size: int, width: float, n: int
    ) -> list[Line] | None:
        """`para` in exactly `n` lines broken only at `breaks`, minimising the sum of each
        line's squared slack (the last line included, which is what rules out an orphan):
        with the line count fixed, that makes the lines as even as the breaks allow."""
        cuts = [0, *sorted({b for b in breaks if 0 < b <= len(para)})]
        if cuts[-1] != len(para):
            cuts.append(len(para))
        m = len(cuts)
        inf = float("inf")
        # cost[k][j]: best cost of the first k lines ending at cuts[j]; prev for the path.
        cost = [[inf] * m for _ in range(n + 1)]
        prev = [[-1] * m for _ in range(n + 1)]
        cost[0][0] = 0.0
        for j in range(1, m):
            # Lines ending at cuts[j], shortest first: once one is too wide, every longer
            # one is too (as greedy wrapping assumes), so only lines that fit are shaped.
            for i in range(j - 1, -1, -1):
                seg = para[cuts[i] : cuts[j]].rstrip()
                if not seg:
                    continue
                w = self.shape_line(seg, size).width
                if w > width:
                    break
                slack = (width - w) ** 2
                for k in range(1, n + 1):
                    if cost[k - 1][i] == inf:
                        continue
                    c = cost[k - 1][i] + slack
                    # `<=` as i falls: among equal costs the earliest break wins, as before.
                    if c <= cost[k][j]:
                        cost[k][j], prev[k][j] = c, i
        if cost[n][m - 1] == inf:
            return None
        ends: list[int] = []
        j = m - 1
        for k in range(n, 0, -1):
            ends.append(j)
            j = prev[k][j]
        ends.reverse()
        starts = [0, *ends[:-1]]
        return [
            self.shape_line(para[cuts[a] : cuts[b]].rstrip(), size)
            for a, b in zip(starts, ends, strict=True)
        ]

    def _hyphenate(
        self, para: str, start: int, word_start: int, word_end: int, size: int, width: float
    ) -> tuple[Line, int] | None:
        """The longest hyphenated prefix of the overflowing word that still fits."""
        assert self.hyphenator is not None
        word = para[word_start:word_end].rstrip()
        for pos in reversed(self.hyphenator.positions(word)):
            line = self.shape_line(para[start : word_start + pos] + "-", size)
            if line.width <= width:
                return line, word_start + pos
        return None

    def layout(
        self,
        text: str,
        size: int,
        width: float,
        max_lines: int,
        line_height: float,
        balance: bool = True,
    ) -> Layout | None:
        lines = self.wrap(text, size, width, max_lines, balance)
        if lines is None:
            return None
        pitch = size * line_height
        height = lines[0].ascent + pitch * (len(lines) - 1) + lines[-1].descent
        return Layout(size, lines, pitch, max(ln.width for ln in lines), height)

    def fit(
        self,
        text: str,
        width: int,
        height: int,
        min_px: int,
        max_px: int,
        max_lines: int,
        line_height: float,
    ) -> Layout | None:
        """The layout a typographer would pick: the largest size from min_px to max_px at
        which the copy fits the box in at most max_lines lines (not the fewest lines: a
        long headline takes the two large lines its box was made for), then broken into
        balanced lines; None when nothing fits at min_px."""
        lo, hi = min_px, max_px
        found: int | None = None
        # A larger size never needs fewer lines nor less height, so the sizes that fit are
        # a prefix: bisect them on greedy wrapping (cheap), balance only the winner.
        while lo <= hi:
            mid = (lo + hi) // 2
            lay = self.layout(text, mid, width, max_lines, line_height, balance=False)
            if lay is not None and lay.height <= height:
                found, lo = mid, mid + 1
            else:
                hi = mid - 1
        if found is None:
            return None
        return self.layout(text, found, width, max_lines, line_height)

    # -- drawing -------------------------------------------------------------------------

    def draw(
        self,
        image: Image.Image,
        layout: Layout,
        origin: tuple[float, float],
        box: tuple[int, int],
        align: str,
        valign: str,
        fill: tuple[int, int, int, int],
        stroke: tuple[int, tuple[int, int, int, int]] | None = None,
    ) -> tuple[int, int, int, int]:
        """Draw `layout` into `image` inside the box at `origin`; returns the text block rect."""
        draw = ImageDraw.Draw(image)
        bw, bh = box
        ox, oy = origin
        if valign == "top":
            top = oy
        elif valign == "bottom":
            top = oy + bh - layout.height
        else:
            top = oy + (bh - layout.height) / 2
        # Logical alignment: "start" is the paragraph's reading start, right for RTL.
        side = {
            "start": "right" if self.rtl else "left",
            "end": "left" if self.rtl else "right",
        }.get(align, "center")
        baseline = top + layout.lines[0].ascent
        x_min = ox + bw
        for ln in layout.lines:
            if side == "left":
                x = ox
            elif side == "right":
                x = ox + bw - ln.width
            else:
                x = ox + (bw - ln.width) / 2
            x_min = min(x_min, x)
            for p in ln.pieces:
                font = load_font(p.face, layout.size)
                draw.text(
                    (x, baseline),
                    p.text,
                    font=font,
                    fill=fill,
                    anchor="ls",
                    direction="rtl" if p.rtl else "ltr",
                    language=self.lang,
                    stroke_width=stroke[0] if stroke else 0,
                    stroke_fill=stroke[1] if stroke else None,
                )
                x += p.width
            baseline += layout.line_pitch
        return (round(x_min), round(top), round(layout.width), round(layout.height))
