"""`ocr`: does the region say exactly the expected copy?

Tesseract is the reader: in-process through tesserocr, one API object per language and
page-segmentation mode, created once per worker process and reused (the `tesseract`
command is the fallback). Raw OCR is noisy, so the validator:

- reads a binarised crop of just the glyphs, scaled so letters are ~40 px tall, with the
  locale's language plus English (brand names), first as a block, then line by line;
- compares after normalising what does not change meaning: Unicode NFKC, bidi marks,
  whitespace, digit *script* (Arabic-Indic ٣ and 3 are the same digit), Thai SARA AM,
  apostrophe and dash shapes;
- when no reading says it, scores the expected copy against the recogniser's own
  per-timestep output (`align`: forced alignment; Latin names and Arabic-Indic digits by
  the model for their script; a currency sign no model knows by its shape), which
  accepts copy in any face whose every character the recogniser saw, if only as its
  second choice, and nothing it did not see;
- for copy in fonts the manifest names and this machine has, asks the rendered reference
  first: the expected copy in those fonts at the manifest's size, compared glyph mask to
  glyph mask. If the glyphs match that rendering with no local difference bigger than a
  stroke, the copy passes whatever the reader would say, so the reader is not asked (a
  region copyplate set itself costs one rendering, ~15 ms, instead of one to twenty
  readings); otherwise the readings above decide. A typo, a missing word or a wrong digit
  changes the glyphs, and fails both.
"""

from __future__ import annotations

import difflib
import functools
import re
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

from copyplate.capabilities import available, require, tessdata_dir
from copyplate.errors import MissingCapability
from copyplate.findings import Finding
from copyplate.validators.align import Aligner, Score, visual
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators
from copyplate.validators.fontmatch import FaceMatch, match_installed
from copyplate.validators.imaging import region_mask, runs, text_rect, without_holder
from copyplate.validators.readnorm import normalise
from copyplate.validators.reference import Comparison, compare, named_faces
from copyplate.validators.symbols import CURRENCY_SIGNS, drawn_in, is_symbol

TESS_LANG = {
    "en": "eng",
    "de": "deu",
    "fr": "fra",
    "es": "spa",
    "pt": "por",
    "pl": "pol",
    "tr": "tur",
    "ru": "rus",
    "el": "ell",
    "vi": "vie",
    "ar": "ara",
    "he": "heb",
    "ja": "jpn",
    "zh": "chi_sim",
    "ko": "kor",
    "hi": "hin",
    "th": "tha",
    "it": "ita",
    "nl": "nld",
    "sv": "swe",
    "uk": "ukr",
    "cs": "ces",
    "id": "ind",
    "fa": "fas",
}
# Cost, not verdict (any reading or the alignment passes the copy): where tesseract's plain
# reading seldom reproduces the copy exactly (Arabic's and Persian's marks and joins,
# Devanagari's conjuncts, Thai's unspaced words), the alignment is asked before it; in
# Chinese, Japanese and Korean the locale's model alone reads first, since the combined
# one (+eng) costs half as much again and passed nothing it did not (foreign corpus).
ALIGNED_FIRST = frozenset({"ara", "fas", "hin", "tha"})
SINGLE_FIRST = frozenset({"jpn", "chi_sim", "kor"})
# Marks that take their place from the text around them in bidi: next to a Latin word or a
# number inside right-to-left copy, a reader may put them on either side of it.
NEUTRALS = frozenset(":;,.!?%()\"'-/")


def _strong_ltr(c: str) -> bool:
    return c.isdigit() or unicodedata.bidirectional(c) == "L"


def same_copy(read: str, want: str, rtl: bool) -> bool:
    """Whether a normalised reading says `want`. In right-to-left copy a neutral mark may
    stand on the other side of the Latin word or number it is next to (tesseract's
    logical order does not always agree with the author's); every letter, digit and mark
    must still be there, in order otherwise."""
    if read == want:
        return True
    if not rtl:
        return False

    def split(text: str) -> tuple[str, list[tuple[str, int]]]:
        body: list[str] = []
        marks: list[tuple[str, int]] = []
        for c in text:
            if c in NEUTRALS:
                marks.append((c, len(body)))
            else:
                body.append(c)
        return "".join(body), marks

    body_r, marks_r = split(read)
    body_w, marks_w = split(want)
    if body_r != body_w or sorted(m for m, _ in marks_r) != sorted(m for m, _ in marks_w):
        return False
    free = sorted(marks_r, key=lambda m: (m[0], m[1]))
    for mark, at in sorted(marks_w, key=lambda m: (m[0], m[1])):
        k = next(
            (
                i
                for i, (c, there) in enumerate(free)
                if c == mark
                and all(_strong_ltr(x) for x in body_w[min(at, there) : max(at, there)])
            ),
            None,
        )
        if k is None:
            return False
        free.pop(k)
    return True


def digits_of(text: str) -> str:
    return "".join(c for c in normalise(text) if c.isdigit())


class Reader:
    """Tesseract APIs, one per (language, mode), made on first use and kept."""

    def __init__(self) -> None:
        self._apis: dict[tuple[str, int], Any] = {}
        try:
            self._tesserocr: Any = require("tesserocr")
        except MissingCapability as e:
            # The `tesseract` command does the same work, a process per reading.
            self._tesserocr = None
            if not available("tesseract-cli"):
                msg = f"{e}; the tesseract command is not installed either"
                raise MissingCapability(msg) from None
        self.tessdata = tessdata_dir()
        if self.tessdata is None:
            raise MissingCapability("no tesseract language data found (make setup)")

    def languages(self, locale: str) -> list[str]:
        base = TESS_LANG.get(locale.split("-")[0], "eng")
        have = {p.stem for p in self.tessdata.glob("*.traineddata")} if self.tessdata else set()
        if base not in have:
            pkg = "tesseract-ocr-" + base.replace("_", "-")
            msg = f"tesseract has no language data {base!r} for {locale} (apt-get install {pkg})"
            raise MissingCapability(msg)
        return [base] if base == "eng" else [f"{base}+eng", base]

    def read(self, image: Image.Image, lang: str, single_line: bool, raw: bool = False) -> str:
        """Tesseract's reading of `image`: a block, one line, or (`raw`) one line without
        layout analysis, which reads Arabic lines the line mode returns empty."""
        if self._tesserocr is None:
            return self._read_cli(image, lang, single_line, raw)
        api = self._api(lang, self._psm(single_line, raw))
        api.SetImage(image)
        return str(api.GetUTF8Text())

    def hocr(self, image: Image.Image, lang: str, raw: bool) -> tuple[str, str]:
        """One line's reading and its hOCR with every LSTM timestep's classes
        (`lstm_choice_mode=1`, for `align`); empty without tesserocr."""
        if self._tesserocr is None:
            return "", ""
        api = self._api(lang, self._psm(True, raw), choices=True)
        api.SetImage(image)
        api.Recognize()
        return str(api.GetUTF8Text()), str(api.GetHOCRText(0))

    def _api(self, lang: str, psm: Any, choices: bool = False) -> Any:
        """The API for `lang` in mode `psm`; with `choices`, one that keeps every LSTM
        timestep's classes (`lstm_choice_mode=1`)."""
        key = (f"{lang}/choices" if choices else lang, int(psm))
        api = self._apis.get(key)
        if api is None:
            api = self._tesserocr.PyTessBaseAPI(path=str(self.tessdata), lang=lang, psm=psm)
            if choices:
                api.SetVariable("lstm_choice_mode", "1")
            self._apis[key] = api
        return api

    def warm(self, locale: str) -> None:
        """Load now the models the copy checks read `locale` with (a pool's worker before
        its first job), instead of in the middle of the first region that needs each."""
        if self._tesserocr is None:
            return
        langs = self.languages(locale)
        for lang in langs:
            for single_line, raw in ((False, False), (True, False), (True, True)):
                self._api(lang, self._psm(single_line, raw))
        for raw in (False, True):
            self._api(langs[-1], self._psm(True, raw), choices=True)
        self.aligner.tables(langs[-1])

    @functools.cached_property
    def aligner(self) -> Aligner:
        assert self.tessdata is not None
        return Aligner(self.hocr, self.tessdata)

    def symbols(
        self, image: Image.Image, lang: str, single_line: bool, raw: bool = False
    ) -> list[tuple[str, tuple[int, int, int, int]]]:
        """Each character read, with its box in `image` (empty without tesserocr)."""
        if self._tesserocr is None:
            return []
        self.read(image, lang, single_line, raw)
        t = self._tesserocr
        it = self._api(lang, self._psm(single_line, raw)).GetIterator()
        out: list[tuple[str, tuple[int, int, int, int]]] = []
        level = t.RIL.SYMBOL
        while it is not None:
            try:
                text, box = it.GetUTF8Text(level), it.BoundingBox(level)
            except RuntimeError:  # nothing was recognised
                break
            if text and box:
                out.append((str(text), (int(box[0]), int(box[1]), int(box[2]), int(box[3]))))
            if not it.Next(level):
                break
        return out

    def _psm(self, single_line: bool, raw: bool) -> Any:
        t = self._tesserocr
        return t.PSM.RAW_LINE if raw else t.PSM.SINGLE_LINE if single_line else t.PSM.SINGLE_BLOCK

    def _read_cli(self, image: Image.Image, lang: str, single_line: bool, raw: bool) -> str:
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "in.png"
            image.save(src)
            r = subprocess.run(
                [
                    "tesseract",
                    str(src),
                    "stdout",
                    "-l",
                    lang,
                    "--psm",
                    "13" if raw else "7" if single_line else "6",
                    "--tessdata-dir",
                    str(self.tessdata),
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            return r.stdout


@functools.lru_cache(maxsize=1)
def reader() -> Reader:
    return Reader()


def glyph_columns(ink: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Column ranges of the glyphs in a line, left to right: connected pieces of ink whose
    columns overlap are one glyph (đ and its bar, the two strokes of ₹)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    spans = sorted(
        (
            int(stats[i][cv2.CC_STAT_LEFT]),
            int(stats[i][cv2.CC_STAT_LEFT] + stats[i][cv2.CC_STAT_WIDTH]),
        )
        for i in range(1, n)
        if stats[i][cv2.CC_STAT_AREA] >= 4
    )
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def line_bands(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Row ranges of the text lines in a glyph mask, found from the ink itself.

    Bands of ink rows are lines; a thin band close to a taller one (Thai and Vietnamese
    marks above, Arabic dots below, an accent row) belongs to that line, not a line of its
    own."""
    bands = runs(np.asarray(mask.any(axis=1), dtype=bool))
    if not bands:
        return bands
    tallest = max(b - a for a, b in bands)
    merged: list[tuple[int, int]] = []
    for a, b in bands:
        if merged:
            pa, pb = merged[-1]
            gap = a - pb
            thin = min(b - a, pb - pa) < 0.45 * tallest
            if gap < 0.12 * tallest or (thin and gap < 0.5 * tallest):
                merged[-1] = (pa, b)
                continue
        merged.append((a, b))
    rows = mask.sum(axis=1)
    return [part for a, b in merged for part in _split_at_valley(rows, a, b)]


def _split_at_valley(rows: NDArray[np.int_], a: int, b: int) -> list[tuple[int, int]]:
    """Rows a..b cut where two lines touch (Arabic dots, a descender meeting the next
    line's accents leave no empty row between them): at a nearly empty row in the middle
    of the band, when the ink on both sides has a dense core of its own (ascenders alone
    or a row of marks do not)."""
    h = b - a
    if h < 12:
        return [(a, b)]
    ink = np.convolve(rows[a:b].astype(float), np.ones(3) / 3, mode="same")
    lo, hi = int(0.3 * h), int(0.7 * h)
    if hi <= lo:
        return [(a, b)]
    cut = lo + int(np.argmin(ink[lo:hi]))
    peak = float(ink.max())
    if ink[cut] > 0.15 * peak or ink[:cut].max() < 0.5 * peak or ink[cut:].max() < 0.5 * peak:
        return [(a, b)]
    return [*_split_at_valley(rows, a, a + cut), *_split_at_valley(rows, a + cut, b)]


# When leaving a holder's edges out leaves less than this share of the glyph mask, the
# mask was the holder and the copy its holes.
HOLDER_ATE = 0.2


def _one_blob(mask: NDArray[np.bool_]) -> bool:
    """Whether one piece of "ink" covers half the crop: a pill or card, not a glyph."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return n > 1 and int(stats[1:, cv2.CC_STAT_AREA].max()) >= 0.5 * mask.size


def holder_free_mask(asset: AssetView, region: RegionSpec) -> NDArray[np.bool_]:
    """The region's glyph mask less a holder's edges (`without_holder`), once per asset."""
    key = ("holder_free", region.id)
    if key not in asset.cache:
        whole = region_mask(asset, region)
        free = without_holder(whole)
        if free.sum() < HOLDER_ATE * whole.sum() or _one_blob(free):
            # The pill or card itself was taken for the ink (it, not the copy, stands out
            # from the plate along the box's border): the copy is the holes in it.
            free = without_holder(~whole)
        asset.cache[key] = free
    mask: NDArray[np.bool_] = asset.cache[key]
    return mask


def has_holder(asset: AssetView, region: RegionSpec) -> bool:
    """Whether the glyph mask holds pieces of a card, pill or scrim (`without_holder`)."""
    return bool((holder_free_mask(asset, region) != region_mask(asset, region)).any())


def text_mask(asset: AssetView, region: RegionSpec, holder_free: bool) -> NDArray[np.bool_]:
    """The glyph mask around the copy (`text_rect`), with a holder's edges taken out when
    `holder_free`."""
    rect = text_rect(asset, region, pad=max(4, int((region.m.font_px or 24) // 3)))
    if not holder_free:
        return region_mask(asset, region, rect)
    return holder_free_mask(asset, region)[
        rect.y - region.box.y : rect.bottom - region.box.y,
        rect.x - region.box.x : rect.right - region.box.x,
    ]


def letter_px(asset: AssetView, region: RegionSpec, holder_free: bool = False) -> float:
    """The letters' size that `prepared` scales by: the manifest's `font_px` when its
    `lines` agree with the ink's line bands, else from the bands' heights."""
    px = float(region.m.font_px or 0) or None
    bands = line_bands(text_mask(asset, region, holder_free))
    if px is None or (region.m.lines is not None and len(region.m.lines) != len(bands)):
        heights = sorted(b - a for a, b in bands) or [0]
        px = max(10.0, heights[len(heights) // 2] / 0.75)
    return px


def prepared(
    asset: AssetView,
    region: RegionSpec,
    scale_to: float = 40.0,
    holder_free: bool = False,
    px: float | None = None,
) -> list[Image.Image]:
    """Black-on-white crops of the glyphs: the whole block, then each line.

    The lines come from the ink (`line_bands`); the manifest's `lines` and `font_px` are
    only hints for the scale, used when they agree with what the pixels show. With
    `holder_free`, the edges of a card or pill behind the copy are taken out first. `px`
    sets the letters' size (`letter_px` of another crop, so that the two share their
    coordinates)."""
    mask = text_mask(asset, region, holder_free)
    bands = line_bands(mask)
    px = px or letter_px(asset, region, holder_free)
    scale = min(4.0, max(0.4, scale_to / px))
    img = Image.fromarray(np.where(mask, 0, 255).astype(np.uint8))

    def fit(im: Image.Image) -> Image.Image:
        if abs(scale - 1) > 0.05:
            im = im.resize(
                (max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                Image.Resampling.LANCZOS,
            )
        return ImageOps.expand(im, 16, fill=255)

    out = [fit(img)]
    if len(bands) > 1:
        pad = max(2, round(px * 0.1))
        out += [
            fit(img.crop((0, max(0, a - pad), img.width, min(img.height, b + pad))))
            for a, b in bands
        ]
    return out


def diff_words(read: str, expected: str) -> str:
    a, b = normalise(read), normalise(expected)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op != "equal":
            parts.append(f"{op} {a[i1:i2]!r}->{b[j1:j2]!r}")
    return "; ".join(parts[:4]) or "differs"


SignPattern = tuple[re.Pattern[str], str]  # the pattern, and the sign of each slot in order
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the crop


def price_patterns(want: str, rtl: bool) -> list[SignPattern]:
    """Patterns a reading of a price (`want`, normalised) must match. Each currency sign is
    a slot of one to three read characters whose glyph is then identified by its shape (a
    reader may not know the sign). Right-to-left copy is also read with the sign and the
    amount in visual order."""
    signs = [i for i, c in enumerate(want) if c in CURRENCY_SIGNS]

    def pattern(text: str) -> SignPattern:
        body = "".join("(.{1,3}?)" if c in CURRENCY_SIGNS else re.escape(c) for c in text)
        return re.compile(f"^{body}$"), "".join(c for c in text if c in CURRENCY_SIGNS)

    out = [pattern(want)]
    if rtl and len(signs) == 1:
        i = signs[0]
        rest = want[:i] + want[i + 1 :]
        out += [pattern(want[i] + rest), pattern(rest + want[i])]
    return out


def _glyph_ink(ink: NDArray[np.bool_], box: Box) -> NDArray[np.bool_]:
    """The ink of the glyph(s) in `box`: components mostly inside it, not pieces of a
    neighbour or of a holder's edge that reach into it."""
    x0, y0, x1, y1 = box
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    inside = np.zeros(ink.shape, dtype=bool)
    inside[y0:y1, x0:x1] = True
    keep = np.zeros(ink.shape, dtype=bool)
    for i in range(1, n):
        part = labels == i
        area = int(stats[i][cv2.CC_STAT_AREA])
        if (part & inside).sum() >= 0.6 * area:
            keep |= part
    return keep[y0:y1, x0:x1]


def separator_is(ink: NDArray[np.bool_], box: Box, baseline: float, x_height: float) -> str:
    """ "," or "." by the mark's ink, or "" when it cannot be told: a comma is taller than
    wide or reaches below the digits' baseline; a full stop is round and sits on it."""
    ys, xs = np.nonzero(_glyph_ink(ink, box))
    if len(ys) == 0:
        return ""
    h, w = int(ys.max() - ys.min()) + 1, int(xs.max() - xs.min()) + 1
    below = (box[1] + int(ys.max()) + 1 - baseline) / max(x_height, 1.0)
    if below > 0.12 or h >= 1.5 * w:
        return ","
    if below <= 0.05 and h <= 1.25 * w:
        return "."
    return ""


def verify_price(
    crop: Image.Image, symbols: list[tuple[str, Box]], patterns: list[SignPattern]
) -> tuple[str, bool] | None:
    """How the reading matched the price, and whether a sign was told by its shape alone
    (the reader read something else there); None when it does not match. Every currency
    sign is identified by its shape and every decimal or group mark by its position, since
    a reader misreads both.

    `symbols` are tesseract's characters with their boxes in `crop` (black on white)."""
    texts = [normalise(t) for t, _ in symbols]
    boxes_read = [b for _, b in symbols]
    reading = "".join(texts)
    starts = np.cumsum([0, *(len(t) for t in texts)])
    ink = np.asarray(crop, dtype=np.uint8) < 128
    digits = [b for t, b in zip(texts, boxes_read, strict=True) if t.isdigit()]
    if not digits:
        return None
    baseline = float(np.median([b[3] for b in digits]))
    height = float(np.median([b[3] - b[1] for b in digits]))
    for pat, signs in patterns:
        m = pat.match(reading)
        if m is None:
            continue
        how: list[str] = []
        for g, sign in enumerate(signs, start=1):
            a, b = m.span(g)
            idx = [k for k in range(len(texts)) if starts[k] < b and starts[k + 1] > a]
            boxes = [boxes_read[k] for k in idx]
            box = (
                min(x[0] for x in boxes),
                min(x[1] for x in boxes),
                max(x[2] for x in boxes),
                max(x[3] for x in boxes),
            )
            agrees = m.group(g) == sign
            glyph = _glyph_ink(ink, box)
            ok, _ = is_symbol(glyph, sign, agrees)
            like = ""
            if not ok:
                # A display face's sign may look like none of the reference faces': it is
                # judged again among every sign and digit drawn in the faces whose digits
                # are the price's.
                numerals = [
                    (t, _glyph_ink(ink, b))
                    for t, b in zip(texts, boxes_read, strict=True)
                    if t.isdigit()
                ]
                faces = drawn_in(numerals, sign)
                ok, _ = is_symbol(glyph, sign, agrees, faces)
                like = f" (as drawn in {faces[0].label})" if faces else ""
            if not ok:
                break
            how.append(
                f"{sign} read as such{like}"
                if agrees
                else f"{m.group(g)!r} is {sign} by its shape{like}"
            )
        else:
            # A mark is wrong when its ink says the other mark; one it cannot tell is left
            # to the reading.
            wrong = [
                t
                for t, b in zip(texts, boxes_read, strict=True)
                if t in ",." and separator_is(ink, b, baseline, height) not in ("", t)
            ]
            if not wrong:
                shaped = any(m.group(g) != sign for g, sign in enumerate(signs, start=1))
                return "; ".join([*how, "decimal and group marks placed as expected"]), shaped
    return None


@validators.register("ocr")
class OcrValidator:
    check: ClassVar[str] = "ocr"
    kinds: ClassVar[tuple[str, ...]] = COPY_KINDS

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        expected = region.text
        want = normalise(expected)
        rtl = region.direction == "rtl"
        bbox = region.box.as_list()
        rd = reader()
        # The rendered reference (the copy set in the fonts the manifest names and this
        # machine has), rendered once and only when asked for. It vouches only for copy in
        # those fonts: copy a model generated, or drawn by a tool in a face we do not know,
        # must read back.
        rendered: list[Comparison | None] = []

        def reference() -> Comparison | None:
            if not rendered:
                rendered.append(compare(asset, region) if named_faces(region) else None)
            return rendered[0]

        # Where it vouches, every path below ends in a pass whatever the reader says, so it
        # is asked first: copyplate's own renders then cost one rendering, not the readings.
        vouching = not region.m.generated
        if vouching and (first := reference()) is not None and first.ok:
            return [
                self._pass(
                    region,
                    "",
                    "glyphs match the expected copy rendered in the manifest's font",
                    extra={
                        "second_opinion": "rendered-reference",
                        "scores": [round(m.score, 3) for m in first.lines],
                    },
                )
            ]
        # A price is accepted by `_price` alone, which also checks its signs and marks; the
        # readings below then only explain a failure.
        if region.kind == "price" and (priced := self._price(asset, region, want, reference)):
            return [self._pass(region, priced[0], f"reads back exactly; {priced[1]}")]
        read: list[tuple[tuple[int, int, int], str]] = []  # each with its place in `langs` order
        langs = rd.languages(region.locale)
        holders = (False, True) if has_holder(asset, region) else (False,)
        price = region.kind == "price"

        def says(reading: str) -> bool:
            return not price and same_copy(normalise(reading), want, rtl)

        def aligned() -> Finding | None:
            """The expected copy scored against the recogniser's alternatives (forced
            alignment) on the crop without a holder's edges."""
            crops = prepared(asset, region, holder_free=holders[-1])
            lines = crops[1:] or crops[:1]
            # A price's digits may read better with English; its sign must be one the
            # model knows, read with near certainty, as must its decimal and group marks.
            tongues = [langs[-1], "eng"] if price and langs[-1] != "eng" else langs[-1:]
            # The reference is the authority on a price's form (￥ or ¥ read alike), as in
            # `_price`.
            if price and (ref := reference()) is not None and not ref.ok:
                tongues = []
            for lang in tongues:
                sure = CURRENCY_SIGNS + ".,٫٬" if price else ""
                score = rd.aligner.score(lines, expected, lang, rtl, sure)
                if (
                    score is not None
                    and score.ok
                    and self._signs_by_shape(lines, expected, score, rtl)
                ):
                    return self._pass(
                        region,
                        score.reading,
                        score.describe(),
                        extra={
                            "second_opinion": "alignment",
                            "readings": [r for _, r in sorted(read)],
                        },
                    )
            return None

        # Any one of the readings below or the alignment passes the copy, so their order
        # changes the cost, not the verdict: what passes most clean copy for its cost
        # first (measured on the foreign corpus: the crop without a holder's edges reads
        # back more often than the one with them; after one failed reading the alignment
        # passes most of what is left, at the cost of two or three readings). A price's
        # readings never pass it (`_price` did or did not); they only explain a failure.
        aligned_first = price or langs[-1] in ALIGNED_FIRST
        found = aligned() if aligned_first else None
        if found is None:
            for k, (at, reading, how) in enumerate(
                self._readings(asset, region, want, langs, holders)
            ):
                read.append((at, reading))
                if says(reading):
                    return [self._pass(region, reading, how)]
                if k == 0 and not aligned_first and (found := aligned()) is not None:
                    break
        if found is not None:
            return [found]
        readings = [r for _, r in sorted(read)]
        best = max(
            readings, key=lambda r: difflib.SequenceMatcher(None, normalise(r), want).ratio()
        )
        second = reference() if vouching else None
        # Copy drawn elsewhere in a face installed here: find the face and compare glyphs.
        if not region.m.generated and (
            face := self._installed_face(asset, region, best, tuple(readings))
        ):
            return [
                self._pass(
                    region,
                    best,
                    f"{face.describe()} (tesseract read {best.strip()[:80]!r})",
                    extra={"second_opinion": "installed-face", "face": face.face.label},
                )
            ]
        where = None
        detail = diff_words(best, expected)
        if second is not None:
            blobs = [b for m in second.lines for b in m.blobs] + second.unexplained
            where = blobs[0] if blobs else None
            low = [m.line for m in second.lines if m.score < 0.75]
            detail += (
                f"; the glyphs differ from the expected copy at {len(blobs)} place(s)"
                if blobs
                else ""
            )
            detail += f"; no match for line(s) {low!r}" if low else ""
        return [
            Finding(
                "ocr.text",
                region.id,
                False,
                f"the image does not say the expected copy: {detail}",
                measured=best.strip(),
                expected=expected,
                bbox=where or bbox,
                action="retypeset",
                extra={"readings": [r.strip() for r in readings]},
            )
        ]

    @staticmethod
    def _readings(
        asset: AssetView,
        region: RegionSpec,
        want: str,
        langs: list[str],
        holders: tuple[bool, ...],
    ) -> Iterator[tuple[tuple[int, int, int], str, str]]:
        """Tesseract's readings of the region, each with how it was made, in the order
        they are worth trying: the block, then line by line; with and without a holder's
        edges (without first); at letters of ~40 px, then larger (tesseract is sensitive
        to scale) with the locale's language only. Each comes with its place in `langs`'
        order, which is the same whichever language reads first."""
        rd = reader()
        plan = [(40.0, h) for h in reversed(holders)] + [(60.0, holders[-1])]
        first = langs[::-1] if langs[-1] in SINGLE_FIRST else langs
        for stage, (scale, holder_free) in enumerate(plan):
            crops = prepared(asset, region, scale_to=scale, holder_free=holder_free)
            how = " (card or pill edges left out)" if holder_free else ""
            how += f" (letters scaled to {scale:.0f} px)" if scale != 40.0 else ""
            lines = crops[1:] or crops[:1]
            for lang in first if scale == 40.0 else langs[:1]:
                at = (stage, langs.index(lang))
                last = rd.read(crops[0], lang, single_line=len(crops) == 1)
                yield (*at, 0), last, "reads back exactly" + how
                if len(crops) > 1:
                    last = "".join(rd.read(c, lang, single_line=True) for c in lines)
                    yield (*at, 1), last, f"reads back exactly, line by line{how}"
                # Without layout analysis tesseract reads Arabic lines its line mode
                # returns empty, but it also guesses more (a final sigma read as alpha):
                # only for lines the line mode could not read at all.
                if len(normalise(last)) < len(want) / 2:
                    last = "".join(rd.read(c, lang, single_line=True, raw=True) for c in lines)
                    yield (*at, 2), last, f"reads back exactly, raw lines{how}"

    @staticmethod
    def _installed_face(
        asset: AssetView, region: RegionSpec, read: str, readings: tuple[str, ...] = ()
    ) -> FaceMatch | None:
        rtl = region.direction == "rtl"
        # Without a holder's edges first; then whole, as the readings are: what lies along
        # the box's edge may be the copy's own (a full stop set tight to the box).
        for holder_free in (True, False) if has_holder(asset, region) else (False,):
            mask = text_mask(asset, region, holder_free)
            found = match_installed(
                mask, line_bands(mask), region.text, region.locale, rtl, read, readings
            )
            if found is not None:
                return found
        return None

    @staticmethod
    def _price(
        asset: AssetView,
        region: RegionSpec,
        want: str,
        reference: Callable[[], Comparison | None],
    ) -> tuple[str, str] | None:
        """The reading, and how its signs and marks were checked, when a price reads back
        exactly (see `verify_price`)."""
        patterns = price_patterns(want, region.direction == "rtl")
        rd = reader()
        langs = rd.languages(region.locale)
        langs += [] if "eng" in langs else ["eng"]  # digits and the common signs
        named = bool(named_faces(region))

        def reference_agrees() -> bool:
            second = reference()
            return second is None or second.ok

        # Glyphs are judged without a holder's edges, whichever crop was read: the crops
        # share their coordinates.
        clean = prepared(asset, region, holder_free=True)
        variants = (prepared(asset, region), clean) if has_holder(asset, region) else (clean,)
        for crops in variants:
            clean_here = clean
            if crops is not clean and crops[0].size != clean[0].size:
                # The holder's edges changed the lines' heights, so the scale: the glyphs
                # are judged in a clean crop at the scale of the one read.
                clean_here = prepared(asset, region, holder_free=True, px=letter_px(asset, region))
            read, judge = crops[1:] or crops[:1], clean_here[1:] or clean_here[:1]
            if len(read) != len(judge) or any(
                a.size != b.size for a, b in zip(read, judge, strict=False)
            ):  # the holder's edges made a line of their own, or moved one
                read, judge = crops[:1], clean_here[:1]
            for crop, judged in zip(read, judge, strict=True):
                for lang in langs:
                    symbols: list[tuple[str, Box]] = []
                    for raw in (False, True):
                        if raw and len(symbols) >= len(want) / 2:
                            break  # raw mode only where the line mode read next to nothing
                        symbols = rd.symbols(crop, lang, single_line=True, raw=raw)
                        found = verify_price(judged, symbols, patterns) if symbols else None
                        if found is None:
                            continue
                        how, shaped = found
                        if shaped and named and not reference_agrees():
                            # The manifest names the fonts, and the copy rendered in them
                            # differs from these glyphs: a sign may be the full-width form
                            # or a look-alike; shape alone does not decide.
                            return None
                        return "".join(t for t, _ in symbols), how
        return None

    @staticmethod
    def _signs_by_shape(lines: list[Image.Image], expected: str, score: Score, rtl: bool) -> bool:
        """Whether the currency signs the recogniser does not know (`score.unverified`)
        are, by their shape, the expected sign. Only a sign that opens or closes the
        price, on one line, is located: as the first or last glyph of that line."""
        if not score.unverified:
            return True
        if len(score.unverified) > 1 or len(lines) != 1:
            return False
        sign = normalise(score.unverified[0])
        shown = list(normalise(visual(expected, rtl)))
        if sign not in (shown[0], shown[-1]):
            return False
        ink = np.asarray(lines[0], dtype=np.uint8) < 128
        glyphs = glyph_columns(ink)
        # The wildcard would also take ink next to the sign: no more glyphs than the
        # price has characters (touching ones make fewer).
        if not glyphs or len(glyphs) > len(shown):
            return False

        def glyph(x0: int, x1: int) -> NDArray[np.bool_]:
            rows = np.flatnonzero(ink[:, x0:x1].any(axis=1))
            return _glyph_ink(ink, (x0, int(rows[0]), x1, int(rows[-1]) + 1))

        at = 0 if sign == shown[0] else len(glyphs) - 1
        ok, _ = is_symbol(glyph(*glyphs[at]), sign)
        if not ok and len(glyphs) == len(shown):
            # One glyph per character: the digits say which faces to judge the sign in too.
            numerals = [(c, glyph(*g)) for c, g in zip(shown, glyphs, strict=True) if c.isdigit()]
            ok, _ = is_symbol(glyph(*glyphs[at]), sign, faces=drawn_in(numerals, sign))
        return ok

    @staticmethod
    def _pass(
        region: RegionSpec, read: str, how: str, extra: dict[str, Any] | None = None
    ) -> Finding:
        return Finding(
            "ocr.text",
            region.id,
            True,
            how,
            measured=read.strip(),
            expected=region.text,
            bbox=region.box.as_list(),
            extra=extra or {},
        )
