"""A FOREIGN labelled corpus: copy drawn by tools copyplate does not use, in fonts the
manifests do not name, the way assets made elsewhere reach `copyplate verify`.

Renderers (none of them copyplate's typesetter):

- ``pillow_raqm``: Pillow with the Raqm layout, one ``ImageDraw.text`` call per line;
- ``pillow_basic``: Pillow's BASIC layout (no shaping), only for scripts that need none
  (Latin, Cyrillic, Greek, CJK), and to make the RTL defects a shaper-less tool makes;
- ``chromium``: Debian's chromium driven by Playwright, an HTML/CSS banner per asset
  (CSS gradients, texture images, rounded cards, pills, scrims) with the font loaded by
  ``@font-face`` from its file:// URL; many banners per page, one screenshot per page;
- ``pango``: the ``pango-view`` command (Pango + cairo + HarfBuzz, fontconfig fallback).

Any of them may get an "image-model-like" pass afterwards (``post = model``: mild elastic
warp, blur, colour noise, JPEG re-compression), and clean assets get JPEG delivery copies
(``post = jpeg``, quality 70-95).

Fonts come from Debian font packages (``scripts/setup-system.sh``): serif, slab,
condensed, rounded and bold faces; the manifests name none of them. Manifests carry only
the verify contract (``image``, ``locale``, regions with ``id``, ``kind``, ``box``,
``text``, ``amount``/``currency``): no ``font_px``, fonts, lines or runs, except a small
share with STALE hints (a font file that does not exist, a wrong ``font_px``) that must not
change the verdict.

Every asset has one copy region; ``labels.json`` says what it is (``defect`` is ``clean``
or one of DEFECTS) and how it was made. Deterministic from the seed (same fonts installed).

    python -m tests.corpus.foreign OUT_DIR [--locales ...] [--per-locale N] [--seed S]
"""

from __future__ import annotations

import argparse
import atexit
import csv
import functools
import html
import io
import itertools
import json
import random
import shutil
import subprocess
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from copyplate.fonts import coverage
from copyplate.layouts.locales import locale_info

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LOCALES = [
    "en-US", "de-DE", "fr-FR", "es-ES", "pt-BR", "pl-PL", "tr-TR", "ru-RU", "el-GR",
    "vi-VN", "ar-SA", "he-IL", "ja-JP", "zh-CN", "ko-KR", "hi-IN", "th-TH",
]  # fmt: skip
RENDERERS = ("pillow_raqm", "pillow_basic", "chromium", "pango")
BASIC_SCRIPTS = {"Latn", "Cyrl", "Grek", "Jpan", "Hans", "Kore"}
DEFECTS = (
    "typo",
    "missing_word",
    "extra_word",
    "wrong_digit",
    "wrong_currency",
    "wrong_separator",
    "reversed_rtl",
    "unjoined_rtl",
    "tofu",
    "clipped_box",
    "clipped_canvas",
    "low_contrast",
    "busy_plate",
    "wrong_language",
)
DEFAULT_PER_LOCALE = 64  # clean assets per locale before the JPEG copies

# Controls: a font need not have them, a renderer draws nothing for them.
RLM, LRM, ZWNJ, LRO, PDF = "\u200f", "\u200e", "\u200c", "\u202d", "\u202c"
CONTROLS = frozenset({RLM, LRM, ZWNJ, LRO, PDF, "\u200d", "\u061c"})

Array = NDArray[Any]
RGB = tuple[int, int, int]
Rect = tuple[int, int, int, int]  # x, y, w, h


# --- fonts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Font:
    family: str
    style: str  # fontconfig style name of the face
    tags: str  # serif / sans / slab / condensed / rounded / bold / brush ...
    pango: str  # the same face as a Pango description (family + weight/stretch words)
    path: Path = Path()
    index: int = 0
    scripts: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.family} {self.style}"


# family, fontconfig style, tags, Pango style words, the scripts a designer would set in
# it (coverage decides within those). Debian packages: scripts/setup-system.sh.
CATALOGUE: list[tuple[str, str, str, str, str]] = [
    # Latin, Cyrillic, Greek (by coverage)
    ("Liberation Serif", "Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("Liberation Sans Narrow", "Bold", "sans condensed bold", "Bold", "Latn Cyrl Grek"),
    ("Liberation Sans", "Regular", "sans", "", "Latn Cyrl Grek"),
    ("DejaVu Serif", "Condensed Bold", "serif condensed bold", "Condensed Bold", "Latn Cyrl Grek"),
    ("DejaVu Sans", "Bold", "sans bold", "Bold", "Latn Cyrl Grek Arab Hebr"),
    ("FreeSerif", "Bold", "serif bold", "Bold", "Latn Cyrl Grek Hebr Thai Deva Arab"),
    ("FreeSans", "Bold", "sans bold", "Bold", "Latn Cyrl Grek Hebr Deva"),
    ("Nimbus Roman", "Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("Nimbus Sans Narrow", "Bold", "sans condensed bold", "Bold", "Latn Cyrl Grek"),
    ("C059", "Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("P052", "Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("URW Bookman", "Demi", "serif bold", "Semi-Bold", "Latn Cyrl Grek"),
    ("URW Gothic", "Demi", "sans geometric bold", "Semi-Bold", "Latn Cyrl Grek"),
    ("Roboto", "Black", "sans bold", "Heavy", "Latn Cyrl Grek"),
    ("Roboto Condensed", "Bold", "sans condensed bold", "Bold", "Latn Cyrl Grek"),
    ("Roboto Slab", "Bold", "slab bold", "Bold", "Latn Cyrl Grek"),
    ("Open Sans", "Extrabold", "sans bold", "Ultra-Bold", "Latn Cyrl Grek"),
    ("Open Sans Condensed", "Bold", "sans condensed bold", "Bold", "Latn Cyrl Grek"),
    ("Lato", "Heavy", "sans bold", "Heavy", "Latn Cyrl Grek"),
    ("Carlito", "Bold", "sans bold", "Bold", "Latn Cyrl Grek"),
    ("Caladea", "Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("Comfortaa", "Bold", "rounded bold", "Bold", "Latn Cyrl Grek"),
    ("EB Garamond", "12 Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("Charis SIL", "Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("GFS Didot", "Bold", "serif bold", "Bold", "Latn Cyrl Grek"),
    ("GFS Neohellenic", "Bold", "sans bold", "Bold", "Latn Cyrl Grek"),
    # Arabic
    ("Amiri", "Bold", "serif naskh bold", "Bold", "Arab"),
    ("Amiri", "Regular", "serif naskh", "", "Arab"),
    ("KacstOne", "Bold", "sans bold", "Bold", "Arab"),
    ("KacstBook", "Medium", "serif", "Medium", "Arab"),
    ("KacstTitle", "Medium", "display bold", "Medium", "Arab"),
    ("KacstPoster", "Medium", "display bold", "Medium", "Arab"),
    ("Scheherazade", "Bold", "serif naskh bold", "Bold", "Arab"),
    ("Lateef", "Bold", "serif bold", "Bold", "Arab"),
    # Hebrew
    ("Frank Ruehl CLM", "Bold", "serif bold", "Bold", "Hebr"),
    ("David CLM", "Bold", "serif bold", "Bold", "Hebr"),
    ("Miriam CLM", "Bold", "sans bold", "Bold", "Hebr"),
    ("Nachlieli CLM", "Bold", "sans bold", "Bold", "Hebr"),
    ("Hadasim CLM", "Bold", "serif bold", "Bold", "Hebr"),
    ("Simple CLM", "Bold", "sans bold", "Bold", "Hebr"),
    ("Keter YG", "Bold", "serif bold", "Bold", "Hebr"),
    ("Shofar", "Bold", "sans bold", "Bold", "Hebr"),
    ("Ezra SIL", "Regular", "serif", "", "Hebr"),
    # Thai
    ("Loma", "Bold", "sans bold", "Bold", "Thai"),
    ("Kinnari", "Bold", "serif bold", "Bold", "Thai"),
    ("Garuda", "Bold", "sans bold", "Bold", "Thai"),
    ("Norasi", "Bold", "serif bold", "Bold", "Thai"),
    ("Umpush", "Bold", "sans bold", "Bold", "Thai"),
    ("Sawasdee", "Bold", "rounded bold", "Bold", "Thai"),
    # Devanagari
    ("Lohit Devanagari", "Regular", "sans", "", "Deva"),
    ("Samyak Devanagari", "Regular", "sans", "", "Deva"),
    ("Sarai", "Regular", "sans", "", "Deva"),
    # Japanese
    ("IPAGothic", "Regular", "sans", "", "Jpan"),
    ("IPAMincho", "Regular", "serif", "", "Jpan"),
    ("VL Gothic", "regular", "sans rounded", "", "Jpan"),
    ("Sawarabi Mincho", "Medium", "serif", "Medium", "Jpan"),
    # Chinese
    ("WenQuanYi Zen Hei", "Regular", "sans", "", "Hans Jpan Kore"),
    ("WenQuanYi Micro Hei", "Regular", "sans", "", "Hans"),
    ("AR PL UKai CN", "Book", "brush", "", "Hans"),
    ("AR PL UMing CN", "Light", "serif", "Light", "Hans"),
    ("LXGW WenKai", "Bold", "brush bold", "Bold", "Hans"),
    # Korean
    ("NanumGothic", "Bold", "sans bold", "Bold", "Kore"),
    ("NanumMyeongjo", "Bold", "serif bold", "Bold", "Kore"),
    ("NanumSquareRound", "Bold", "rounded bold", "Bold", "Kore"),
    ("NanumBarunGothic", "Bold", "sans bold", "Bold", "Kore"),
    ("UnBatang", "Bold", "serif bold", "Bold", "Kore"),
    ("UnDotum", "Bold", "sans bold", "Bold", "Kore"),
]
# Fonts that lack whole scripts: drawn by Pillow they leave .notdef boxes (tofu).
TOFU_EXTRA = [
    ("Noto Sans Hebrew", "Bold"),
    ("Noto Sans Thai", "Bold"),
    ("Noto Sans Arabic", "Bold"),
    ("Noto Sans Devanagari", "Bold"),
]
LOGO_FONT = ("DejaVu Sans", "Bold")


@functools.lru_cache(maxsize=1)
def _fc_faces() -> dict[tuple[str, str], tuple[Path, int]]:
    exe = shutil.which("fc-list")
    if exe is None:
        raise RuntimeError("fontconfig's fc-list is missing (make setup)")
    out = subprocess.run(
        [exe, "--format", "%{file}\t%{index}\t%{family}\t%{style}\n"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    best: dict[tuple[str, str], tuple[int, str, Path, int]] = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[0].endswith((".ttf", ".otf", ".ttc")):
            continue
        path, idx = Path(parts[0]), int(parts[1])
        for fi, fam in enumerate(f.strip() for f in parts[2].split(",")):
            for si, sty in enumerate(s.strip() for s in parts[3].split(",")):
                key = (fam.casefold(), sty.casefold())
                cand = ((fi > 0) + (si > 0), str(path), path, idx)
                if key not in best or cand[:2] < best[key][:2]:
                    best[key] = cand
    return {k: (v[2], v[3]) for k, v in best.items()}


def find_face(family: str, style: str) -> tuple[Path, int] | None:
    return _fc_faces().get((family.casefold(), style.casefold()))


@functools.lru_cache(maxsize=1)
def catalogue() -> list[Font]:
    """The catalogue's faces installed here (the others are left out, see missing_fonts)."""
    out = []
    for fam, sty, tags, pango, scripts in CATALOGUE:
        hit = find_face(fam, sty)
        if hit is not None:
            desc = f"{fam} {pango}".strip()
            out.append(Font(fam, sty, tags, desc, hit[0], hit[1], frozenset(scripts.split())))
    return out


def missing_fonts() -> list[str]:
    return [f"{fam} {sty}" for fam, sty, *_ in CATALOGUE if find_face(fam, sty) is None]


def _cmap(font: Font) -> frozenset[int]:
    return coverage(font.path, font.index)


def missing_chars(font: Font, text: str) -> list[str]:
    """Characters of `text` the face has no glyph for (a no-break space counts: Pillow's
    BASIC layout draws .notdef for it)."""
    cm = _cmap(font)
    skip = CONTROLS | {" ", "\n"}
    return [c for c in dict.fromkeys(text) if not (c in skip or ord(c) in cm)]


def covers(font: Font, text: str, script: str, fallback: bool) -> bool:
    """Whether `font` can draw `text`: every character (Pillow has no fallback), or, for
    renderers with font fallback, every letter of the locale's own script."""
    miss = missing_chars(font, text)
    if not fallback:
        return not miss
    return not [c for c in miss if c.isalpha() and not (script != "Latn" and c.isascii())]


# --- copy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    key: str  # headline, subline, cta, price
    kind: str  # text, cta, price
    text: str
    amount: str | None = None
    currency: str | None = None
    deck: str = "spring-sale"


CURRENCY = {
    "en-US": "USD", "de-DE": "EUR", "fr-FR": "EUR", "es-ES": "EUR", "pt-BR": "BRL",
    "pl-PL": "PLN", "tr-TR": "TRY", "ru-RU": "RUB", "el-GR": "EUR", "vi-VN": "VND",
    "ar-SA": "SAR", "he-IL": "ILS", "ja-JP": "JPY", "zh-CN": "CNY", "ko-KR": "KRW",
    "hi-IN": "INR", "th-TH": "THB",
}  # fmt: skip
# Amounts beside the decks' own: one with a decimal part, one with grouping.
EXTRA_AMOUNTS = {
    "USD": ["1299.50", "24.95"], "EUR": ["1299.50", "24.95"], "BRL": ["1899.90", "79.90"],
    "PLN": ["1249.99", "89.50"], "TRY": ["24999.90", "349.90"], "RUB": ["12990.50", "990"],
    "VND": ["350000", "12990000"], "SAR": ["1299.50", "89.75"], "ILS": ["1549.90", "59.90"],
    "JPY": ["19800", "128000"], "CNY": ["1299.50", "88.80"], "KRW": ["1290000", "45900"],
    "INR": ["12999.50", "499"], "THB": ["12590.50", "259"],
}  # fmt: skip


@functools.lru_cache(maxsize=1)
def _csv_rows() -> dict[str, dict[str, str]]:
    path = ROOT / "samples/spring-sale/copy/strings.csv"
    with path.open(encoding="utf-8") as fh:
        return {r["key"]: r for r in csv.DictReader(fh)}


def _price(loc: str, amount: str, cur: str, deck: str) -> Copy:
    text = locale_info(loc).format_price(Decimal(amount), cur)
    return Copy("price", "price", text, amount, cur, deck)


@functools.lru_cache(maxsize=32)
def copy_pool(loc: str) -> tuple[Copy, ...]:
    """Headlines, sublines, CTAs and prices of the sample decks for one locale."""
    rows = _csv_rows()
    out = [
        Copy("headline", "text", rows["headline"][loc]),
        Copy("subline", "text", rows["subline"][loc]),
        Copy("cta", "cta", rows["cta"][loc]),
    ]
    amount, cur = rows["price"][loc].split()
    out.append(_price(loc, amount, cur, "spring-sale"))
    deck = ROOT / f"samples/product-launch/copy/{loc}.json"
    if deck.exists():
        d = json.loads(deck.read_text(encoding="utf-8"))
        out += [
            Copy("headline", "text", d["headline"], deck="product-launch"),
            Copy("subline", "text", d["subline"], deck="product-launch"),
            Copy("cta", "cta", d["cta"], deck="product-launch"),
            _price(loc, d["price"]["amount"], d["price"]["currency"], "product-launch"),
        ]
    for a in EXTRA_AMOUNTS[CURRENCY[loc]]:
        out.append(_price(loc, a, CURRENCY[loc], "extra"))
    seen: set[str] = set()
    uniq = []
    for c in out:
        if c.text not in seen:
            seen.add(c.text)
            uniq.append(c)
    return tuple(uniq)


# --- defects of the copy -------------------------------------------------------------------

NO_SPACE_SCRIPTS = {"Jpan", "Hans"}


def _mutable(c: str, script: str) -> bool:
    if unicodedata.category(c) not in ("Ll", "Lu", "Lo"):
        return False
    cp = ord(c)
    if script == "Thai":
        return 0x0E01 <= cp <= 0x0E2E
    if script == "Deva":
        return 0x0915 <= cp <= 0x0939
    if script == "Arab":
        return 0x0628 <= cp <= 0x064A and c not in "ىيئ"
    return True


def typo(text: str, script: str, rng: random.Random) -> str | None:
    idx = [i for i, c in enumerate(text) if _mutable(c, script)]
    if not idx:
        return None
    i = rng.choice(idx)
    cat = unicodedata.category(text[i])
    same = sorted({c for c in text if _mutable(c, script) and unicodedata.category(c) == cat})
    others = [c for c in same if c.casefold() != text[i].casefold()]
    if not others:
        return None
    return text[:i] + rng.choice(others) + text[i + 1 :]


def _words(text: str) -> list[str]:
    return text.split(" ")


def missing_word(text: str, script: str, rng: random.Random) -> str | None:
    words = _words(text)
    real = [i for i, w in enumerate(words) if any(c.isalpha() for c in w)]
    if len(real) >= 2:
        del words[rng.choice(real)]
        return " ".join(words)
    if script in NO_SPACE_SCRIPTS or script in ("Kore",):
        chars = [i for i, c in enumerate(text) if c.isalpha()]
        if len(chars) >= 3:
            i = rng.choice(chars[1:])
            n = (
                2
                if script in NO_SPACE_SCRIPTS and i + 1 < len(text) and text[i + 1].isalpha()
                else 1
            )
            return text[:i] + text[i + n :]
    if script in ("Latn", "Cyrl", "Grek"):
        chars = [i for i, c in enumerate(text) if c.isalpha()]
        if len(chars) >= 5:
            i = rng.choice(chars[1:-2])
            return text[:i] + text[i + 2 :]
    return None


def extra_word(text: str, script: str, pool: list[str], rng: random.Random) -> str | None:
    donors = [w for t in pool for w in _words(t) if len(w) >= 2 and any(c.isalpha() for c in w)]
    if script in NO_SPACE_SCRIPTS:
        chars = [c for t in pool for c in t if unicodedata.category(c) == "Lo"]
        if len(chars) < 2:
            return None
        i = rng.randrange(1, len(text) + 1)
        j = rng.randrange(len(chars) - 1)
        return text[:i] + chars[j] + chars[j + 1] + text[i:]
    if not donors:
        return None
    words = _words(text)
    word = rng.choice(donors).strip(".,:;!?،")
    words.insert(rng.randrange(0, len(words) + 1), word)
    return " ".join(words)


def wrong_digit(text: str, rng: random.Random) -> str | None:
    idx = [i for i, c in enumerate(text) if unicodedata.decimal(c, None) is not None]
    if not idx:
        return None
    i = rng.choice(idx)
    d = unicodedata.decimal(text[i])
    zero = ord(text[i]) - d
    new = (d + rng.randint(1, 9)) % 10
    return text[:i] + chr(zero + new) + text[i + 1 :]


# The symbol a wrong currency puts where the locale's one belongs.
CURRENCY_SWAP = {
    "ر.س.": "د.إ.", "R$": "US$", "zł": "€", "₽": "$", "₺": "€", "₫": "$", "₪": "$",
    "￥": "$", "¥": "€", "₩": "$", "₹": "$", "฿": "$", "€": "$", "$": "€",
}  # fmt: skip


def wrong_currency(text: str) -> str | None:
    for sym, other in CURRENCY_SWAP.items():
        if sym in text:
            return text.replace(sym, other, 1)
    return None


def wrong_separator(text: str, loc: str) -> str | None:
    """The amount's decimal and grouping separators swapped, or the other convention's
    decimal sign (a space used for grouping stays: '1 249.99 zł')."""
    info = locale_info(loc)
    syms = info.babel.number_symbols.get(info.numbering_system, {})
    dec, grp = syms.get("decimal", "."), syms.get("group", ",")
    digits = [i for i, c in enumerate(text) if unicodedata.decimal(c, None) is not None]
    if not digits:
        return None
    a, b = digits[0], digits[-1] + 1
    num = text[a:b]
    if dec in num and grp in num and not grp.isspace():
        new = num.replace(dec, "\0").replace(grp, dec).replace("\0", grp)
    elif dec in num:
        new = num.replace(dec, "," if dec != "," else ".")
    elif grp in num:
        new = num.replace(grp, "." if grp != "." else ",")
    else:
        return None
    return text[:a] + new + text[b:]


def _strip_controls(text: str) -> str:
    return "".join(c for c in text if c not in CONTROLS)


def zwnj_unjoined(text: str) -> str:
    """ZWNJ between Arabic letters: every letter in its isolated or edge form."""
    out = []
    for a, b in zip(text, [*text[1:], ""], strict=True):
        out.append(a)
        if b and 0x0600 <= ord(a) <= 0x06FF and 0x0600 <= ord(b) <= 0x06FF:
            out.append(ZWNJ)
    return "".join(out)


# --- lines ---------------------------------------------------------------------------------

NO_LINE_START = set("、。，．：；！？）」』】%％・ー")
NO_LINE_END = set("（「『【")


def split_lines(text: str, n: int, script: str) -> list[str]:
    """`text` in up to `n` lines of about equal length, broken where a designer would."""
    if n <= 1:
        return [text]
    if script in NO_SPACE_SCRIPTS:
        spaced = split_lines(text, n, "Latn") if " " in text else []
        if len(spaced) == n and max(map(len, spaced)) <= 2 * min(map(len, spaced)):
            return spaced  # a space is where a designer breaks CJK copy first
        cuts: list[int] = []
        for k in range(1, n):
            target = round(len(text) * k / n)
            for pos in sorted(range(1, len(text)), key=lambda p: (abs(p - target), p)):
                a, b = text[pos - 1], text[pos]
                latin_word = a.isascii() and a.isalnum() and b.isascii() and b.isalnum()
                ok = b not in NO_LINE_START and a not in NO_LINE_END and not latin_word
                if ok and (not cuts or pos > cuts[-1]):
                    cuts.append(pos)
                    break
        parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        return [p.strip() for p in parts if p.strip()]
    words = text.split(" ")
    n = min(n, len(words))
    if n <= 1:
        return [text]
    best: tuple[int, list[str]] | None = None
    for cuts_ in itertools.combinations(range(1, len(words)), n - 1):
        bounds = zip((0, *cuts_), (*cuts_, len(words)), strict=True)
        parts = [" ".join(words[a:b]) for a, b in bounds]
        score = max(len(p) for p in parts)
        if best is None or score < best[0]:
            best = (score, parts)
    assert best is not None
    return best[1]


# --- colour --------------------------------------------------------------------------------


def _lin(c: Array) -> Array:
    c = np.asarray(c, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(rgb: Array) -> Array:
    lin = _lin(rgb)
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def ratio(a: float, b: float) -> float:
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def hexc(c: RGB) -> str:
    return "#{:02X}{:02X}{:02X}".format(*c)


LIGHT_BASES: list[RGB] = [
    (244, 239, 230), (236, 230, 218), (226, 236, 244), (250, 228, 216), (232, 244, 228),
    (255, 255, 255), (248, 240, 250), (240, 236, 226),
]  # fmt: skip
DARK_BASES: list[RGB] = [
    (28, 30, 38), (18, 38, 60), (62, 22, 30), (20, 20, 20), (34, 48, 30), (58, 36, 84),
    (12, 52, 56),
]  # fmt: skip
DARK_INKS: list[RGB] = [(17, 17, 17), (26, 24, 22), (20, 33, 61), (92, 20, 24), (0, 0, 0)]
LIGHT_INKS: list[RGB] = [(255, 255, 255), (250, 245, 235), (255, 222, 120), (226, 240, 255)]
ACCENTS: list[RGB] = [(200, 70, 43), (30, 110, 160), (220, 170, 40), (40, 140, 90)]


# --- plates --------------------------------------------------------------------------------

TEXTURES = ("bokeh", "grain", "clouds", "marble", "photo")
BUSY = ("busy_blocks", "busy_stripes", "busy_confetti", "busy_foliage")


@dataclass
class Plate:
    kind: str  # flat | gradient | one of TEXTURES | one of BUSY
    dark: bool
    c1: RGB
    c2: RGB
    angle: int = 90  # CSS degrees, gradients
    seed: int = 0


def _noise(h: int, w: int, scale: float, g: np.random.Generator) -> Array:
    sh, sw = max(2, int(h / scale) + 2), max(2, int(w / scale) + 2)
    small = g.random((sh, sw)).astype(np.float32)
    big = cv2.resize(small, (int(sw * scale), int(sh * scale)), interpolation=cv2.INTER_CUBIC)
    return big[:h, :w]


def _fractal(h: int, w: int, base: float, g: np.random.Generator, octaves: int = 4) -> Array:
    acc = np.zeros((h, w), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        acc += amp * _noise(h, w, max(2.0, base / 2**o), g)
        tot += amp
        amp *= 0.5
    acc /= tot
    lo, hi = float(acc.min()), float(acc.max())
    return (acc - lo) / max(1e-6, hi - lo)


def _lerp(c1: RGB, c2: RGB, t: Array) -> Array:
    a, b = np.array(c1, np.float32), np.array(c2, np.float32)
    return a * (1 - t[..., None]) + b * t[..., None]


def gradient_t(w: int, h: int, angle: int) -> Array:
    """Position along a CSS linear-gradient(angle) for every pixel, 0..1."""
    a = np.deg2rad(angle)
    dx, dy = np.sin(a), -np.cos(a)
    length = abs(w * dx) + abs(h * dy)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    t = ((xs + 0.5 - w / 2) * dx + (ys + 0.5 - h / 2) * dy) / length + 0.5
    return np.clip(t, 0, 1).astype(np.float32)


def make_plate(p: Plate, w: int, h: int) -> Array:
    g = np.random.default_rng(p.seed)
    if p.kind == "flat":
        return np.broadcast_to(np.array(p.c1, np.float32), (h, w, 3)).copy()
    if p.kind == "gradient":
        return _lerp(p.c1, p.c2, gradient_t(w, h, p.angle))
    if p.kind == "bokeh":
        img = _lerp(p.c1, p.c2, gradient_t(w, h, p.angle))
        for _ in range(14):
            x, y, r = int(g.integers(0, w)), int(g.integers(0, h)), int(g.integers(15, 70))
            tint = np.clip(np.array(p.c1) + g.integers(-22, 23, 3), 0, 255).tolist()
            cv2.circle(img, (x, y), r, tint, -1)
        return cv2.GaussianBlur(img, (0, 0), 10)
    if p.kind == "grain":
        img = _lerp(p.c1, p.c2, _fractal(h, w, 120, g, 3) * 0.6)
        img += g.normal(0, 5, (h, w, 1)).astype(np.float32)
        return cv2.GaussianBlur(img, (0, 0), 0.6)
    if p.kind == "clouds":
        return _lerp(p.c1, p.c2, _fractal(h, w, 110, g))
    if p.kind == "marble":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        t = np.sin((xs * 0.7 + ys * 0.3) / 23.0 + 6 * _fractal(h, w, 90, g)) * 0.5 + 0.5
        return _lerp(p.c1, p.c2, t.astype(np.float32) ** 2)
    if p.kind == "photo":
        # A photo-like plate: a sky gradient, a soft horizon of hills, blurred blobs.
        sky = _lerp(p.c1, p.c2, gradient_t(w, h, 180) * 0.8)
        hills = (_fractal(1, w, 80, g, 3)[0] * 0.35 + 0.55) * h
        ys = np.arange(h, dtype=np.float32)[:, None]
        ground = np.clip((ys - hills[None, :]) / 6.0, 0, 1)
        land = _lerp(p.c2, p.c1, _fractal(h, w, 40, g) * 0.5)
        img = sky * (1 - ground[..., None]) + land * ground[..., None]
        img = cv2.GaussianBlur(img, (0, 0), 1.5)
        for _ in range(6):
            x, y, r = int(g.integers(0, w)), int(g.integers(0, h)), int(g.integers(8, 40))
            tint = np.clip(np.array(p.c1) * 0.5 + np.array(p.c2) * 0.5, 0, 255).tolist()
            layer = img.copy()
            cv2.circle(layer, (x, y), r, tint, -1)
            img = cv2.GaussianBlur(layer, (0, 0), 6) * 0.5 + img * 0.5
        return img
    if p.kind == "busy_blocks":
        s = int(g.integers(3, 9))
        small = g.integers(0, 256, (h // s + 1, w // s + 1, 3)).astype(np.float32)
        return cv2.resize(small, ((w // s + 1) * s, (h // s + 1) * s), interpolation=0)[:h, :w]
    if p.kind == "busy_stripes":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        period = float(g.integers(4, 11))
        t = ((xs + ys * float(g.uniform(-1.5, 1.5))) % period) < period / 2
        return _lerp((15, 15, 15), (240, 240, 235), t.astype(np.float32))
    if p.kind == "busy_confetti":
        img = np.broadcast_to(np.array(p.c1, np.float32), (h, w, 3)).copy()
        for _ in range(w * h // 22):
            x, y = int(g.integers(0, w)), int(g.integers(0, h))
            col = g.integers(0, 256, 3).tolist()
            if g.random() < 0.5:
                cv2.circle(img, (x, y), int(g.integers(2, 7)), col, -1)
            else:
                cv2.rectangle(img, (x, y), (x + int(g.integers(2, 9)), y + 2), col, -1)
        return img
    if p.kind == "busy_foliage":
        t = (_fractal(h, w, 10, g, 3) > 0.5).astype(np.float32)
        return _lerp((20, 60, 25), (235, 240, 190), t)
    raise ValueError(p.kind)


# --- the scene: where everything goes ------------------------------------------------------


@dataclass
class Holder:
    kind: str  # card | pill | scrim
    color: RGB
    alpha: float  # 1 for cards and pills
    radius: int


@dataclass
class Spec:
    """Everything about one asset that is decided before drawing."""

    name: str
    locale: str
    defect: str
    renderer: str
    copy: Copy
    drawn: str  # the copy as drawn (== copy.text when clean)
    lines: list[str]  # drawn lines, with any control characters the renderer needs
    font: Font
    px: int
    align: str  # left | center | right
    canvas: tuple[int, int]
    plate: Plate
    holder: Holder | None
    pad: tuple[int, int, int, int]  # left, top, right, bottom: ink to box (or to holder)
    edge: int  # smallest gap between the box and the canvas edge
    post: str  # none | model
    hints: str  # none | stale_font | stale_px | stale_font+px
    seed: int
    mode: str = "normal"  # normal | lro | css_override | zwnj | basic_reversed
    cut: tuple[str, float] | None = None  # side, fraction of the ink cut off
    ink: RGB | None = None  # fixed ink (defects); chosen for contrast otherwise
    contrast_target: float | None = None  # low_contrast: the ratio to aim at
    decor: bool = True
    detail: str = ""
    fonts_used: list[str] = field(default_factory=list)


@dataclass
class Scene:
    w: int
    h: int
    box: Rect  # the manifest's box (inside the canvas)
    frame: Rect  # the box before it was clipped to the canvas
    holder_rect: Rect | None
    text_at: tuple[int, int]  # canvas position of the ink's top-left corner
    clip: Rect | None  # text only drawn inside this rect
    ink: RGB
    holder: Holder | None
    decor: list[tuple[str, Rect, RGB]]  # ("logo" | "dot" | "bar", rect, colour)
    contrast: float  # ink against the worst 2% of what lies behind the copy


def _intersect(a: Rect, b: Rect) -> Rect:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _overlaps(a: Rect, b: Rect, gap: int = 0) -> bool:
    return not (
        a[0] + a[2] + gap <= b[0]
        or b[0] + b[2] + gap <= a[0]
        or a[1] + a[3] + gap <= b[1]
        or b[1] + b[3] + gap <= a[1]
    )


def rounded_mask(w: int, h: int, radius: int) -> Array:
    """Coverage of a rounded rectangle filling w x h (4x supersampled edges)."""
    s = 4
    m = np.zeros((h * s, w * s), np.uint8)
    r = min(radius, w // 2, h // 2) * s
    cv2.rectangle(m, (r, 0), (w * s - 1 - r, h * s - 1), 255, -1)
    cv2.rectangle(m, (0, r), (w * s - 1, h * s - 1 - r), 255, -1)
    for cx, cy in ((r, r), (w * s - 1 - r, r), (r, h * s - 1 - r), (w * s - 1 - r, h * s - 1 - r)):
        cv2.circle(m, (cx, cy), r, 255, -1)
    return cv2.resize(m, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def paint_holder(img: Array, rect: Rect, holder: Holder) -> None:
    x, y, w, h = rect
    cov = rounded_mask(w, h, holder.radius) * holder.alpha
    H, W = img.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    c = cov[y0 - y : y1 - y, x0 - x : x1 - x, None]
    img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - c) + np.array(holder.color, np.float32) * c


# Clean copy clears WCAG's 4.5:1 with room to spare for JPEG and blur.
CLEAN_CONTRAST = 5.0


def _choose_ink(bg: Array, dark_first: bool, rng: random.Random) -> tuple[RGB, float] | None:
    """An ink with at least CLEAN_CONTRAST against the worst 2% of `bg` (RGB pixels)."""
    lum = luminance(bg.reshape(-1, 3))
    lo, hi = float(np.percentile(lum, 2)), float(np.percentile(lum, 98))
    inks = (DARK_INKS + LIGHT_INKS) if dark_first else (LIGHT_INKS + DARK_INKS)
    good = []
    for ink in inks:
        li = float(luminance(np.array(ink)))
        # The worst case is the background closest in lightness to the ink.
        worst = ratio(li, lo) if li < lo else ratio(li, hi) if li > hi else 1.0
        if worst >= CLEAN_CONTRAST:
            good.append((ink, worst))
    if not good:
        return None
    first = [g for g in good if (float(luminance(np.array(g[0]))) < 0.2) == dark_first]
    return rng.choice(first or good)


def _low_contrast_ink(bg: Array, target: float) -> RGB:
    base = np.median(bg.reshape(-1, 3), axis=0)
    lb = float(luminance(base))
    toward = np.zeros(3) if lb > 0.4 else np.full(3, 255.0)
    for t in np.linspace(0, 1, 101):
        c = base * (1 - t) + toward * t
        if ratio(float(luminance(c)), lb) >= target:
            return (int(c[0]), int(c[1]), int(c[2]))
    return (int(toward[0]), int(toward[1]), int(toward[2]))


def build_scene(spec: Spec, ink_w: int, ink_h: int, rng: random.Random) -> tuple[Scene, Array]:
    """Place the box, holder and copy on the canvas; returns the scene and the plate with
    its holder painted (what lies behind the copy, for the contrast and the ink choice)."""
    pl, pt, pr, pb = spec.pad
    bw, bh = ink_w + pl + pr, ink_h + pt + pb
    W = max(spec.canvas[0], bw + 2 * spec.edge + 4)
    H = max(spec.canvas[1], bh + 2 * spec.edge + 4)
    bx = rng.randint(spec.edge, W - bw - spec.edge)
    by = rng.randint(spec.edge, H - bh - spec.edge)
    frame: Rect = (bx, by, bw, bh)
    text_at = (bx + pl, by + pt)
    clip: Rect | None = None
    if spec.cut is not None:
        side, frac = spec.cut
        cut_x, cut_y = round(ink_w * frac), round(ink_h * frac)
        if spec.defect == "clipped_box":
            # The frame ends inside the ink: glyphs cut by the box edge, nothing drawn past it.
            if side == "right":
                frame = (bx, by, bw - pr - cut_x, bh)
            elif side == "left":
                frame = (bx + pl + cut_x, by, bw - pl - cut_x, bh)
            elif side == "bottom":
                frame = (bx, by, bw, bh - pb - cut_y)
            else:
                frame = (bx, by + pt + cut_y, bw, bh - pt - cut_y)
            clip = frame
        else:
            # clipped_canvas: the frame runs off the canvas; the canvas edge cuts the glyphs.
            if side == "right":
                dx = W - (bx + pl + ink_w - cut_x)
                frame, text_at = (bx + dx, by, bw, bh), (text_at[0] + dx, text_at[1])
            elif side == "left":
                dx = -(bx + pl + cut_x)
                frame, text_at = (bx + dx, by, bw, bh), (text_at[0] + dx, text_at[1])
            elif side == "bottom":
                dy = H - (by + pt + ink_h - cut_y)
                frame, text_at = (bx, by + dy, bw, bh), (text_at[0], text_at[1] + dy)
            else:
                dy = -(by + pt + cut_y)
                frame, text_at = (bx, by + dy, bw, bh), (text_at[0], text_at[1] + dy)
            clip = (0, 0, W, H)
    box = _intersect(frame, (0, 0, W, H))
    holder_rect = frame if spec.holder is not None else None
    plate = make_plate(spec.plate, W, H)
    if spec.holder is not None and holder_rect is not None:
        paint_holder(plate, holder_rect, spec.holder)
    # What lies behind the copy: the ink rect grown by 4 px, inside the canvas.
    ix, iy = text_at
    behind = _intersect((ix - 4, iy - 4, ink_w + 8, ink_h + 8), (0, 0, W, H))
    if clip is not None:
        behind = _intersect(behind, clip)
    bg = plate[behind[1] : behind[1] + behind[3], behind[0] : behind[0] + behind[2]]
    if bg.size == 0:
        bg = plate.reshape(-1, 3)
    if spec.contrast_target is not None:
        ink = _low_contrast_ink(bg, spec.contrast_target)
    elif spec.ink is not None:
        ink = spec.ink
    else:
        chosen = _choose_ink(bg, not spec.plate.dark, rng)
        if chosen is None:
            raise _NeedsHolder
        ink = chosen[0]
    lum = luminance(bg.reshape(-1, 3))
    li = float(luminance(np.array(ink)))
    dark_ink = li < float(np.median(lum))
    worst = float(np.percentile(lum, 2 if dark_ink else 98))
    scene = Scene(
        W, H, box, frame, holder_rect, text_at, clip, ink, spec.holder, [], ratio(li, worst)
    )
    if spec.decor:
        scene.decor = _decor(W, H, frame, rng)
    return scene, plate


class _NeedsHolder(Exception):
    """No ink reaches 4.5:1 over this plate: the asset needs a card or a scrim."""


def _decor(w: int, h: int, frame: Rect, rng: random.Random) -> list[tuple[str, Rect, RGB]]:
    out: list[tuple[str, Rect, RGB]] = []
    lw, lh = 74, 18
    spots = [(10, 10), (w - lw - 10, 10), (10, h - lh - 10), (w - lw - 10, h - lh - 10)]
    rng.shuffle(spots)
    for x, y in spots:
        r = (x, y, lw, lh)
        if not _overlaps(r, frame, 14):
            out.append(("logo", r, rng.choice(ACCENTS)))
            break
    for _ in range(rng.randint(0, 3)):
        d = rng.randint(10, 36)
        r = (rng.randint(0, max(0, w - d)), rng.randint(0, max(0, h - d)), d, d)
        if not _overlaps(r, frame, 14) and not any(_overlaps(r, o[1], 4) for o in out):
            out.append((rng.choice(["dot", "bar"]), r, rng.choice(ACCENTS)))
    return out


# --- drawing the copy: Pillow and Pango ----------------------------------------------------


def _crop_ink(cov: Array) -> Array:
    ys, xs = np.nonzero(cov > 0)
    if len(xs) == 0:
        raise RuntimeError("nothing was drawn")
    return cov[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def pillow_mask(spec: Spec, lang: str, direction: str) -> Array:
    basic = spec.renderer == "pillow_basic"
    engine = ImageFont.Layout.BASIC if basic else ImageFont.Layout.RAQM
    font = ImageFont.truetype(
        str(spec.font.path), spec.px, index=spec.font.index, layout_engine=engine
    )
    kw: dict[str, Any] = {}
    if not basic:
        kw = {"direction": "ltr" if spec.mode == "lro" else direction, "language": lang}
    widths = [font.getlength(line, **kw) for line in spec.lines]
    ascent, _ = font.getmetrics()
    step = round(spec.px * 1.25)
    pad = 2 * spec.px
    wmax = max(widths)
    img = Image.new("L", (int(wmax + 2 * pad), step * len(spec.lines) + 2 * pad), 0)
    d = ImageDraw.Draw(img)
    for i, (line, w) in enumerate(zip(spec.lines, widths, strict=True)):
        off = {"left": 0.0, "center": (wmax - w) / 2, "right": wmax - w}[spec.align]
        d.text((pad + off, pad + ascent + i * step), line, font=font, fill=255, anchor="ls", **kw)
    spec.fonts_used = [spec.font.label]
    return _crop_ink(np.asarray(img, np.float32) / 255.0)


def pango_mask(spec: Spec, lang: str, direction: str, tmp: Path, rng: random.Random) -> Array:
    exe = shutil.which("pango-view")
    if exe is None:
        raise RuntimeError("pango-view is missing (apt-get install pango1.0-tools)")
    png, ser = tmp / f"{spec.name.replace('/', '_')}.png", tmp / "layout.json"
    args = [
        exe,
        "-q",
        "--pixels",
        f"--font={spec.font.pango} {spec.px}",
        "--background=transparent",
        "--foreground=#000000",
        f"--margin={2 * spec.px}",
        f"--align={spec.align}",
        f"--hinting={rng.choice(['none', 'slight', 'full'])}",
        f"--language={lang.replace('-', '_')}",
        f"--line-spacing={rng.choice([1.0, 1.1, 1.2])}",
        f"--serialize-to={ser}",
        "--text=" + "\n".join(spec.lines),
        "-o",
        str(png),
    ]
    if direction == "rtl" and spec.mode != "lro":
        args += ["--rtl", "--no-auto-dir"]
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    with Image.open(png) as im:
        alpha = np.asarray(im.convert("RGBA"), np.float32)[..., 3] / 255.0
    png.unlink()
    try:
        layout = json.loads(ser.read_text(encoding="utf-8"))
        used = [
            run["font"]["description"]
            for line in layout["output"]["lines"]
            for run in line["runs"]
            if "font" in run
        ]
        spec.fonts_used = list(dict.fromkeys(used))
    except (OSError, KeyError, ValueError):
        spec.fonts_used = []
    return _crop_ink(alpha)


def paint(scene: Scene, plate: Array, mask: Array, logo_font: Path) -> Array:
    """The copy (coverage `mask`, its top-left at scene.text_at) and the decor on the plate."""
    img = plate.copy()
    H, W = img.shape[:2]
    cov = np.zeros((H, W), np.float32)
    x, y = scene.text_at
    mh, mw = mask.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + mw), min(H, y + mh)
    if x1 > x0 and y1 > y0:
        cov[y0:y1, x0:x1] = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    if scene.clip is not None:
        cx, cy, cw, ch = scene.clip
        keep = np.zeros_like(cov)
        keep[max(0, cy) : cy + ch, max(0, cx) : cx + cw] = 1
        cov *= keep
    img = img * (1 - cov[..., None]) + np.array(scene.ink, np.float32) * cov[..., None]
    out = Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(out)
    for kind, (rx, ry, rw, rh), col in scene.decor:
        if kind == "logo":
            f = ImageFont.truetype(str(logo_font), 16)
            d.text((rx, ry + rh - 3), "LUMEN", font=f, fill=col, anchor="ls")
        elif kind == "dot":
            d.ellipse((rx, ry, rx + rw - 1, ry + rh - 1), fill=col)
        else:
            d.rounded_rectangle((rx, ry, rx + rw - 1, ry + rh // 3), radius=3, fill=col)
    return np.asarray(out)


# --- drawing the whole banner: chromium ----------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
    "--force-color-profile=srgb",
    "--hide-scrollbars",
]
MAX_PAGE_PX = 7000


class Chromium:
    """One browser for the whole run; a page of many slots per screenshot."""

    def __init__(self, tmp: Path) -> None:
        from playwright.sync_api import sync_playwright

        self.tmp = tmp
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        self.page = self.browser.new_page(device_scale_factor=1)
        self.pages = 0

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()

    def shoot(
        self, body: str, fonts: dict[str, Path], width: int, height: int, check: bool = True
    ) -> Any:
        """A screenshot of the page (RGB array); with check=False, the fonts' status."""
        faces = "\n".join(
            f"@font-face {{ font-family: '{alias}'; src: url('{path.as_uri()}'); }}"
            for alias, path in fonts.items()
        )
        doc = (
            "<!doctype html><html><head><meta charset='utf-8'><style>"
            f"{faces}\nhtml,body {{ margin:0; padding:0; background:#fff; }}"
            " .abs { position:absolute; } .t { position:absolute; white-space:pre;"
            " line-height:1.25; font-synthesis:none; font-kerning:normal; }"
            f"</style></head><body>{body}</body></html>"
        )
        self.pages += 1
        path = self.tmp / f"page{self.pages}.html"
        path.write_text(doc, encoding="utf-8")
        self.page.set_viewport_size({"width": width, "height": min(height, MAX_PAGE_PX)})
        self.page.goto(path.as_uri())
        status = self.page.evaluate(
            "Promise.all([...document.fonts].map(f => f.load().catch(() => null)))"
            ".then(() => document.fonts.ready)"
            ".then(() => [...document.fonts].map(f => f.family + ':' + f.status))"
        )
        if not check:
            path.unlink()
            return dict(s.rsplit(":", 1) for s in status)
        bad = [s for s in status if not s.endswith(":loaded")]
        if bad:
            raise RuntimeError(f"chromium could not load fonts: {bad}")
        png = self.page.screenshot(full_page=True, type="png")
        path.unlink()
        with Image.open(io.BytesIO(png)) as im:
            return np.asarray(im.convert("RGB"))


@functools.lru_cache(maxsize=1)
def _webfont_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="copyplate-webfonts-"))
    atexit.register(shutil.rmtree, d, True)
    return d


@functools.lru_cache(maxsize=64)
def web_font(path: Path, index: int) -> Path:
    """A file chromium can load by @font-face: the face itself, or for a collection
    (.ttc, which chromium refuses) that face saved alone as a .ttf."""
    if path.suffix.lower() != ".ttc":
        return path
    from fontTools.ttLib import TTCollection

    out = _webfont_dir() / f"{path.stem}-{index}.ttf"
    if not out.exists():
        TTCollection(str(path)).fonts[index].save(str(out))
    return out


@functools.lru_cache(maxsize=1)
def chromium_fonts() -> frozenset[str]:
    """Labels of the catalogue faces chromium loads as web fonts (its font sanitiser
    rejects a few files)."""
    faces = {f"p{i}": f for i, f in enumerate(catalogue())}
    with tempfile.TemporaryDirectory(prefix="copyplate-fonts-") as td:
        cr = Chromium(Path(td))
        try:
            fonts = {a: web_font(f.path, f.index) for a, f in faces.items()}
            body = "".join(
                f"<div class='t' style=\"font-family:'{a}';top:{20 * i}px\">Ag</div>"
                for i, a in enumerate(fonts)
            )
            status = cr.shoot(body, fonts, 200, 20 * len(fonts) + 20, check=False)
        finally:
            cr.close()
    return frozenset(faces[a].label for a, st in status.items() if st == "loaded")


def _text_div(spec: Spec, alias: str, left: int, top: int, color: str, direction: str) -> str:
    style = [
        f"left:{left}px",
        f"top:{top}px",
        f"font-family:'{alias}',sans-serif",
        f"font-size:{spec.px}px",
        f"color:{color}",
        f"text-align:{spec.align}",
    ]
    if spec.mode == "css_override":
        style += ["direction:ltr", "unicode-bidi:bidi-override"]
    else:
        style.append(f"direction:{direction}")
    lang = spec.locale
    text = html.escape("\n".join(spec.lines))
    return f"<div class='t' lang='{lang}' style=\"{';'.join(style)}\">{text}</div>"


def chromium_measure(
    cr: Chromium, specs: list[Spec], aliases: dict[Font, str], webfiles: dict[str, Path]
) -> list[tuple[int, int, int, int]]:
    """Ink bbox (x0, y0, x1, y1) of each spec's copy relative to its text element."""
    out: list[tuple[int, int, int, int]] = []
    i = 0
    while i < len(specs):
        body, fonts, slots, y, width = [], {}, [], 0, 0
        while i < len(specs):
            s = specs[i]
            pad = 2 * s.px
            sw = int(max(len(line) for line in s.lines) * s.px * 1.3 + 2 * pad + 60)
            sh = int(len(s.lines) * s.px * 1.6 + 2 * pad + 20)
            if slots and y + sh > MAX_PAGE_PX:
                break
            alias = aliases[s.font]
            fonts[alias] = webfiles[alias]
            direction = locale_info(s.locale).direction
            inner = _text_div(s, alias, pad, pad, "#000", direction)
            body.append(
                f"<div class='abs' style=\"left:0;top:{y}px;width:{sw}px;height:{sh}px;"
                f'overflow:hidden">{inner}</div>'
            )
            slots.append((y, sw, sh, pad))
            y += sh
            width = max(width, sw)
            i += 1
        shot = cr.shoot("".join(body), fonts, width, y)
        for sy, sw, sh, pad in slots:
            gray = shot[sy : sy + sh, :sw].min(axis=2)
            ys, xs = np.nonzero(gray < 255)
            if len(xs) == 0:
                raise RuntimeError("chromium drew nothing")
            out.append(
                (int(xs.min()) - pad, int(ys.min()) - pad, int(xs.max()) + 1 - pad,
                 int(ys.max()) + 1 - pad)
            )  # fmt: skip
    return out


def _css_plate(p: Plate, tex: Path | None) -> str:
    if p.kind == "flat":
        return f"background:{hexc(p.c1)}"
    if p.kind == "gradient":
        return f"background:linear-gradient({p.angle}deg,{hexc(p.c1)},{hexc(p.c2)})"
    assert tex is not None
    return f"background:url('{tex.as_uri()}') 0 0 / 100% 100% no-repeat"


def _banner_html(
    spec: Spec,
    scene: Scene,
    ink_off: tuple[int, int],
    alias: str,
    left: int,
    top: int,
    tex: Path | None,
    twin: bool,
) -> str:
    """One banner (or its twin: black copy on white, same geometry, nothing else)."""
    direction = locale_info(spec.locale).direction
    tx, ty = scene.text_at[0] - ink_off[0], scene.text_at[1] - ink_off[1]
    parts = []
    if not twin and scene.holder is not None and scene.holder_rect is not None:
        hx, hy, hw, hh = scene.holder_rect
        h = scene.holder
        rgba = f"rgba({h.color[0]},{h.color[1]},{h.color[2]},{h.alpha:.2f})"
        parts.append(
            f"<div class='abs' style=\"left:{hx}px;top:{hy}px;width:{hw}px;height:{hh}px;"
            f'background:{rgba};border-radius:{h.radius}px"></div>'
        )
    color = "#000" if twin else hexc(scene.ink)
    if scene.clip is not None and scene.clip != (0, 0, scene.w, scene.h):
        cx, cy, cw, ch = scene.clip
        inner = _text_div(spec, alias, tx - cx, ty - cy, color, direction)
        parts.append(
            f"<div class='abs' style=\"left:{cx}px;top:{cy}px;width:{cw}px;height:{ch}px;"
            f'overflow:hidden">{inner}</div>'
        )
    else:
        parts.append(_text_div(spec, alias, tx, ty, color, direction))
    if not twin:
        for kind, (rx, ry, rw, rh), col in scene.decor:
            if kind == "logo":
                parts.append(
                    f"<div class='abs' style=\"left:{rx}px;top:{ry}px;font:bold 16px sans-serif;"
                    f'line-height:{rh}px;color:{hexc(col)}">LUMEN</div>'
                )
            elif kind == "dot":
                parts.append(
                    f"<div class='abs' style=\"left:{rx}px;top:{ry}px;width:{rw}px;height:{rh}px;"
                    f'border-radius:50%;background:{hexc(col)}"></div>'
                )
            else:
                parts.append(
                    f"<div class='abs' style=\"left:{rx}px;top:{ry}px;width:{rw}px;"
                    f'height:{rh // 3 + 1}px;border-radius:3px;background:{hexc(col)}"></div>'
                )
    bg = "background:#fff" if twin else _css_plate(spec.plate, tex)
    return (
        f"<div class='abs' style=\"left:{left}px;top:{top}px;width:{scene.w}px;"
        f'height:{scene.h}px;overflow:hidden;{bg}">{"".join(parts)}</div>'
    )


# --- post passes ---------------------------------------------------------------------------


def model_pass(img: Array, rng: random.Random) -> tuple[Array, str]:
    """What an image model does to pixels it did not mean to change: a mild elastic warp,
    a little blur, colour noise and a JPEG round trip."""
    g = np.random.default_rng(rng.getrandbits(32))
    h, w = img.shape[:2]
    amp, sigma = rng.uniform(0.4, 1.0), rng.uniform(14, 30)
    fields = []
    for _ in range(2):
        f = cv2.GaussianBlur(g.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
        fields.append(f / max(1e-6, float(np.abs(f).max())) * amp)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    out = cv2.remap(img, xs + fields[0], ys + fields[1], cv2.INTER_LINEAR, cv2.BORDER_REFLECT)
    blur = rng.uniform(0.3, 0.75)
    out = cv2.GaussianBlur(out, (0, 0), blur).astype(np.float32)
    noise = rng.uniform(1.5, 4.0)
    out += g.normal(0, noise, out.shape).astype(np.float32)
    out += g.normal(0, 3, (1, 1, 3)).astype(np.float32)  # a slight colour cast
    q = rng.randint(72, 92)
    buf = io.BytesIO()
    Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=q)
    buf.seek(0)
    with Image.open(buf) as im:
        res = np.asarray(im.convert("RGB"))
    return res, f"warp {amp:.1f}px blur {blur:.2f} noise {noise:.1f} jpeg q{q}"


# --- planning ------------------------------------------------------------------------------

CANVASES = [(640, 240), (800, 300), (720, 360), (600, 300), (960, 320), (540, 540), (480, 270)]
# kind/key: px range, share of the canvas width the longest line aims at
SIZING = {
    "headline": ((22, 76), (0.5, 0.88)),
    "subline": ((14, 34), (0.55, 0.9)),
    "cta": ((16, 40), (0.18, 0.42)),
    "price": ((24, 72), (0.18, 0.5)),
}
STALE_FONT = "/Library/Fonts/BrandSans-Bold.otf#0"


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


@dataclass
class Planner:
    loc: str
    rng: random.Random
    used: Counter[str] = field(default_factory=Counter)
    turn: int = 0  # defects take the renderers in turn

    @property
    def info(self) -> Any:
        return locale_info(self.loc)

    def fonts_for(self, renderer: str, texts: list[str]) -> list[Font]:
        script = self.info.script
        fallback = renderer in ("chromium", "pango")
        out = [
            f
            for f in catalogue()
            if script in f.scripts
            and all(covers(f, _strip_controls(t), script, fallback) for t in texts)
        ]
        if renderer == "chromium":
            ok = chromium_fonts()
            out = [f for f in out if f.label in ok]
        return out

    def pick_font(self, renderer: str, texts: list[str]) -> Font | None:
        fonts = self.fonts_for(renderer, texts)
        if not fonts:
            return None
        least = min(self.used[f.label] for f in fonts)
        f = self.rng.choice([f for f in fonts if self.used[f.label] == least])
        self.used[f.label] += 1
        return f


def _measure_px(font: Font, lines: list[str], lang: str, direction: str, px: int) -> float:
    f = ImageFont.truetype(str(font.path), px, index=font.index)
    return max(f.getlength(_strip_controls(t), direction=direction, language=lang) for t in lines)


def _size(
    font: Font, lines: list[str], key: str, canvas: tuple[int, int], loc: str, rng: random.Random
) -> int:
    (lo, hi), (f0, f1) = SIZING[key]
    info = locale_info(loc)
    w100 = _measure_px(font, lines, loc, info.direction, 100)
    target = canvas[0] * rng.uniform(f0, f1)
    px = int(100 * target / max(1.0, w100))
    px = min(px, int(canvas[1] * 0.7 / (1.3 * len(lines))))
    return max(lo if len(lines) == 1 else min(lo, 14), min(hi, px))


def _pad(
    rng: random.Random, holder: Holder | None, px: int, tight: bool
) -> tuple[int, int, int, int]:
    if holder is None:
        # Frames as design tools export them: often tight to the ink (0-2 px).
        fit = rng.choices(["tight", "snug", "loose"], [4, 3, 3])[0]
        lo, hi = {"tight": (0, 2), "snug": (2, 6), "loose": (6, 20)}[fit]
        left, top, right, bottom = (rng.randint(lo, hi) for _ in range(4))
        if tight:
            return (max(left, 2), max(top, 2), max(right, 2), max(bottom, 2))
        return (left, top, right, bottom)
    if holder.kind == "pill":
        px_x = int(px * rng.uniform(0.7, 1.3))
        px_y = int(px * rng.uniform(0.25, 0.55))
        return (px_x, px_y, px_x, px_y)
    a, b = rng.randint(3, 18), rng.randint(3, 14)
    return (a, b, a, b)


def _holder(rng: random.Random, kind: str, dark_plate: bool) -> Holder:
    if kind == "scrim":
        col: RGB = (0, 0, 0) if rng.random() < 0.8 else (255, 255, 255)
        return Holder("scrim", col, rng.uniform(0.55, 0.78), rng.choice([0, 0, 6, 12]))
    light = not dark_plate if rng.random() < 0.7 else dark_plate
    col = rng.choice(LIGHT_BASES) if light else rng.choice(DARK_BASES + ACCENTS[:2])
    radius = rng.choice([4, 8, 12, 18, 24]) if kind == "card" else 999
    return Holder(kind, col, 1.0, radius)


def _plate(rng: random.Random, kind: str, dark: bool) -> Plate:
    bases = DARK_BASES if dark else LIGHT_BASES
    c1 = rng.choice(bases)
    shift = rng.choice([-1, 1]) * rng.randint(14, 40)
    c2 = tuple(int(min(255, max(0, v + shift + rng.randint(-12, 12)))) for v in c1)
    return Plate(kind, dark, c1, c2, rng.choice([90, 180, 135, 45]), rng.getrandbits(31))


def plan_locale(loc: str, per_locale: int, seed: int) -> list[Spec]:
    rng = random.Random(f"foreign:{seed}:{loc}")
    P = Planner(loc, rng)
    P.turn = rng.randrange(len(RENDERERS))
    info = locale_info(loc)
    script = info.script
    pool = copy_pool(loc)
    specs: list[Spec] = []

    renderers = ["pillow_raqm", "chromium", "pango"]
    if script in BASIC_SCRIPTS:
        renderers.append("pillow_basic")
    weights = {"pillow_raqm": 3, "chromium": 3, "pango": 2.5, "pillow_basic": 1.5}

    def copies(kind: str, need: Any = None) -> list[Copy]:
        return [c for c in pool if c.kind == kind and (need is None or need(c))]

    def base(renderer: str, kind: str, defect: str, copy: Copy | None = None) -> Spec | None:
        """A spec with every choice made for a clean asset of this kind."""
        key_kind = {"text": "text", "cta": "cta", "price": "price"}[kind]
        c = copy or rng.choice(copies(key_kind))
        key = c.key
        n = 1
        if key == "headline":
            n = 1 if rng.random() < 0.65 else 2
        elif key == "subline":
            n = rng.choices([1, 2, 3], [2, 6, 2])[0]
        lines = split_lines(c.text, n, script)
        font = P.pick_font(renderer, [c.text])
        if font is None:
            return None
        canvas = rng.choice(CANVASES)
        px = _size(font, lines, key, canvas, loc, rng)
        plate_kind = _weighted(rng, {"flat": 2, "gradient": 2.5, **dict.fromkeys(TEXTURES, 1.1)})
        dark = rng.random() < 0.35
        holder_kind = _weighted(
            rng,
            {
                "none": 4.5,
                "card": 2.5,
                "pill": 2.5 if kind in ("cta", "price") else 0.3,
                "scrim": 2 if plate_kind in TEXTURES else 0,
            },
        )
        holder = None if holder_kind == "none" else _holder(rng, holder_kind, dark)
        post = "model" if rng.random() < 0.18 else "none"
        align = "right" if info.direction == "rtl" else "left"
        if n > 1 or holder is not None:
            align = rng.choice([align, align, "center"])
        hints = _weighted(rng, {"none": 90, "stale_font": 4, "stale_px": 4, "stale_font+px": 2})
        return Spec(
            name="",
            locale=loc,
            defect=defect,
            renderer=renderer,
            copy=c,
            drawn=c.text,
            lines=lines,
            font=font,
            px=px,
            align=align,
            canvas=canvas,
            plate=_plate(rng, plate_kind, dark),
            holder=holder,
            pad=_pad(rng, holder, px, post == "model"),
            edge=rng.choice([2, 4, 8, 16, 24, 40]),
            post=post,
            hints=hints,
            seed=rng.getrandbits(32),
        )

    # Clean assets.
    order = [r for r in renderers for _ in range(int(weights[r] * 100))]
    rng.shuffle(order)
    i = 0
    while sum(s.defect == "clean" for s in specs) < per_locale:
        renderer = order[i % len(order)]
        i += 1
        kind = _weighted(rng, {"text": 45, "cta": 25, "price": 30})
        s = base(renderer, kind, "clean")
        if s is not None:
            specs.append(s)

    # Defects: every class that applies to the locale, k of each, renderers in turn.
    k = max(1, per_locale // 16)
    for defect in DEFECTS:
        made = 0
        tries = 0
        rlist = _defect_renderers(defect, script)
        if not rlist:
            continue
        while made < k and tries < 60 * k:
            renderer = rlist[(P.turn + tries) % len(rlist)]
            tries += 1
            s = _make_defect(defect, renderer, P, base, copies, pool, rng)
            if s is not None:
                specs.append(s)
                made += 1
                P.turn += 1
        if made < k:
            raise RuntimeError(f"{loc}: could make only {made} of {k} {defect} assets")
    for n, s in enumerate(specs):
        s.name = f"{loc}/{n:03d}_{s.defect}_{s.renderer}_{s.copy.key}"
    return specs


def _defect_renderers(defect: str, script: str) -> list[str]:
    basic = ["pillow_basic"] if script in BASIC_SCRIPTS else []
    if defect == "reversed_rtl":
        if script not in ("Arab", "Hebr"):
            return []
        return ["pillow_raqm", "chromium", "pango"] + (["pillow_basic"] if script == "Hebr" else [])
    if defect == "unjoined_rtl":
        return ["pillow_raqm", "chromium", "pango", "pillow_basic"] if script == "Arab" else []
    if defect == "tofu":
        return ["pillow_raqm", *basic]
    return ["pillow_raqm", "chromium", "pango", *basic]


def _make_defect(
    defect: str,
    renderer: str,
    P: Planner,
    base: Any,
    copies: Any,
    pool: tuple[Copy, ...],
    rng: random.Random,
) -> Spec | None:
    loc = P.loc
    info = P.info
    script = info.script
    others = [c.text for c in pool if c.kind != "price"]
    if defect in ("typo", "missing_word", "extra_word", "wrong_language"):
        kind = rng.choice(["text", "text", "cta"])
    elif defect == "wrong_digit":
        kind = rng.choice(["price", "price", "text"])
    elif defect in ("wrong_currency", "wrong_separator"):
        kind = "price"
    elif defect in ("reversed_rtl", "unjoined_rtl"):
        kind = rng.choice(["text", "cta"])
    else:
        kind = rng.choice(["text", "cta", "price"])
    cands = copies(kind)
    if defect == "wrong_digit" and kind == "text":
        cands = [c for c in cands if any(ch.isdigit() for ch in c.text)]
    if not cands:
        return None
    c = rng.choice(cands)
    s = base(renderer, kind, defect, c)
    if s is None:
        return None
    s.hints = "none" if rng.random() < 0.9 else s.hints
    drawn: str | None = c.text
    detail = ""
    pick = ""
    if defect == "typo":
        drawn = typo(c.text, script, rng)
    elif defect == "missing_word":
        drawn = missing_word(c.text, script, rng)
    elif defect == "extra_word":
        drawn = extra_word(c.text, script, [t for t in others if t != c.text], rng)
    elif defect == "wrong_digit":
        drawn = wrong_digit(c.text, rng)
    elif defect == "wrong_currency":
        drawn = wrong_currency(c.text)
    elif defect == "wrong_separator":
        drawn = wrong_separator(c.text, loc)
    elif defect == "wrong_language":
        anywhere = [x for x in LOCALES if x != loc]
        if renderer == "pillow_basic":  # no shaper: only scripts that need none
            anywhere = [x for x in anywhere if locale_info(x).script in BASIC_SCRIPTS]
        same = [x for x in anywhere if locale_info(x).script == script]
        pick = rng.choice(same if same and rng.random() < 0.5 else anywhere)
        alt = [x for x in copy_pool(pick) if x.key == c.key and x.deck == c.deck] or [
            x for x in copy_pool(pick) if x.key == c.key
        ]
        drawn = alt[0].text if alt else None
        detail = f"copy of {pick}"
    if drawn is None or (defect not in _VISUAL and drawn == c.text):
        return None
    s.drawn = drawn
    n = len(s.lines)
    s.lines = split_lines(drawn, n, locale_info(pick).script if pick else script)
    # The font must draw what is drawn (or lack it, for tofu).
    if defect == "tofu":
        f = _tofu_font(P, drawn, rng)
        if f is None:
            return None
        s.font = f
        detail = "no glyph for " + "".join(missing_chars(f, drawn))[:20]
    else:
        # Copy of another locale is set in a font for that locale's script.
        who = Planner(pick, rng, P.used) if pick else P
        if s.font not in who.fonts_for(renderer, [drawn]):
            f2 = who.pick_font(renderer, [drawn])
            if f2 is None:
                return None
            s.font = f2
    if defect == "reversed_rtl":
        if renderer == "chromium":
            s.mode = "css_override"
        elif renderer == "pillow_basic":
            s.mode = "basic"  # Hebrew drawn in logical order, left to right
        else:
            s.mode = "lro"
            s.lines = [LRO + _strip_controls(line) + PDF for line in s.lines]
        detail = "logical order drawn left to right"
    elif defect == "unjoined_rtl":
        if renderer == "pillow_basic":
            s.mode = "basic_reversed"
            s.lines = ["".join(reversed(_strip_controls(line))) for line in s.lines]
            detail = "no shaping: isolated forms, reversed by hand"
        else:
            s.mode = "zwnj"
            s.lines = [zwnj_unjoined(line) for line in s.lines]
            detail = "ZWNJ between letters: isolated forms"
    elif defect in ("clipped_box", "clipped_canvas"):
        sides = ["left", "right", "top", "bottom"]
        side = rng.choice(sides if defect == "clipped_canvas" else [*sides, "right"])
        frac = rng.uniform(0.18, 0.4) if side in ("left", "right") else rng.uniform(0.25, 0.45)
        if side in ("left", "right") and n == 1 and len(_strip_controls(drawn)) <= 3:
            frac = max(frac, 0.34)
        s.cut = (side, round(frac, 2))
        if defect == "clipped_box":
            s.edge = max(s.edge, 8)
        detail = f"{side} {round(frac * 100)}% of the ink cut"
    elif defect == "low_contrast":
        s.plate = _plate(rng, rng.choice(["flat", "gradient", "grain"]), rng.random() < 0.3)
        s.contrast_target = round(rng.uniform(1.2, 1.9), 2)
        detail = f"ink at {s.contrast_target}:1"
    elif defect == "busy_plate":
        s.plate = _plate(rng, rng.choice(list(BUSY)), False)
        s.holder = None
        s.pad = _pad(rng, None, s.px, s.post == "model")
        s.ink = rng.choice([(0, 0, 0), (255, 255, 255), (20, 20, 20)])
        detail = s.plate.kind
    s.detail = detail or s.detail
    return s


# Defects that change the pixels, not the characters.
_VISUAL = {"reversed_rtl", "unjoined_rtl", "tofu", "clipped_box", "clipped_canvas",
           "low_contrast", "busy_plate"}  # fmt: skip


@functools.lru_cache(maxsize=256)
def _notdef_visible(path: Path, index: int, ch: str) -> bool:
    """Whether Pillow draws `ch` in this face as a visible .notdef glyph (and not, say, as
    a base letter plus a combining mark HarfBuzz decomposed it into)."""
    f = ImageFont.truetype(str(path), 40, index=index)

    def draw(text: str) -> Array:
        img = Image.new("L", (100, 80), 0)
        ImageDraw.Draw(img).text((10, 60), text, font=f, fill=255, anchor="ls")
        return np.asarray(img)

    notdef = draw("\U0010fffd")  # a code point no font maps
    return int((notdef > 128).sum()) > 30 and bool(np.array_equal(draw(ch), notdef))


def _tofu_font(P: Planner, text: str, rng: random.Random) -> Font | None:
    """A face that lacks some characters of `text` and draws .notdef boxes for them."""
    extra = []
    for fam, sty in TOFU_EXTRA:
        hit = find_face(fam, sty)
        if hit is not None:
            extra.append(Font(fam, sty, "wrong script", fam, hit[0], hit[1]))
    partial, whole = [], []
    for f in [*catalogue(), *extra]:
        miss = missing_chars(f, text)
        if not miss or not all(_notdef_visible(f.path, f.index, ch) for ch in miss):
            continue
        letters = [c for c in _strip_controls(text) if not c.isspace()]
        (whole if len(miss) >= 0.6 * len(set(letters)) else partial).append(f)
    choice = partial if partial and (rng.random() < 0.6 or not whole) else whole
    if not choice:
        return None
    return rng.choice(choice)


# --- assembling an asset -------------------------------------------------------------------


def _manifest(spec: Spec, scene: Scene, image: str) -> dict[str, Any]:
    region: dict[str, Any] = {
        "id": spec.copy.key,
        "kind": spec.copy.kind,
        "box": list(scene.box),
        "text": spec.copy.text,
    }
    if spec.copy.kind == "price":
        region["amount"], region["currency"] = spec.copy.amount, spec.copy.currency
    if "stale_font" in spec.hints:
        region["font_files"] = [STALE_FONT]
    if "stale_px" in spec.hints:
        factor = random.Random(spec.seed).choice([0.55, 0.65, 1.5, 1.8])
        region["font_px"] = max(6, round(spec.px * factor))
    return {"image": image, "locale": spec.locale, "regions": [region]}


def _label(spec: Spec, scene: Scene, manifest: str, image: str) -> dict[str, Any]:
    info = locale_info(spec.locale)
    return {
        "manifest": manifest,
        "image": image,
        "locale": spec.locale,
        "script": info.script,
        "direction": info.direction,
        "defect": spec.defect,
        "detail": spec.detail,
        "renderer": spec.renderer,
        "post": spec.post,
        "font": spec.font.label,
        "font_file": f"{spec.font.path}#{spec.font.index}",
        "font_tags": spec.font.tags,
        "fonts_used": spec.fonts_used,
        "kind": spec.copy.kind,
        "key": spec.copy.key,
        "deck": spec.copy.deck,
        "region": spec.copy.key,
        "expected": spec.copy.text,
        "drawn": spec.drawn,
        "lines": len(spec.lines),
        "px": spec.px,
        "align": spec.align,
        "mode": spec.mode,
        "plate": spec.plate.kind,
        "holder": spec.holder.kind if spec.holder else "none",
        "scheme": "light_on_dark"
        if float(luminance(np.array(scene.ink))) > 0.4
        else "dark_on_light",
        "contrast": round(scene.contrast, 2),
        "pad": list(spec.pad),
        "min_pad": min(spec.pad) if spec.holder is None else None,
        "canvas": [scene.w, scene.h],
        "box": list(scene.box),
        "hints": spec.hints,
    }


def _save_png(path: Path, img: Array) -> None:
    Image.fromarray(img).save(path, optimize=False, compress_level=6)


def generate(
    out: Path,
    locales: list[str] | None = None,
    per_locale: int | None = None,
    seed: int = 0,
    renderers: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Write the corpus into `out` (images, manifests, labels.json); returns the labels.

    `per_locale` is the number of clean assets per locale before the JPEG copies (default
    64); each defect class gets max(1, per_locale // 16) assets per locale where it
    applies. `renderers` limits the renderers (tests)."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    per = per_locale or DEFAULT_PER_LOCALE
    locs = locales or LOCALES
    specs = [s for loc in locs for s in plan_locale(loc, per, seed)]
    if renderers is not None:
        specs = [s for s in specs if s.renderer in renderers]
    logo = find_face(*LOGO_FONT)
    if logo is None:
        raise RuntimeError("DejaVu Sans Bold is missing (make setup)")
    by_name: dict[str, list[dict[str, Any]]] = {}

    def emit(spec: Spec, scene: Scene, img: Array) -> None:
        """Post pass, files and labels of one asset (written at once: nothing is kept)."""
        rng = random.Random(spec.seed ^ 0x5EED)
        if spec.post == "model":
            img, how = model_pass(img, rng)
            spec.detail = (spec.detail + "; " if spec.detail else "") + how
        (out / spec.locale).mkdir(exist_ok=True)
        image = f"{spec.name}.png"
        _save_png(out / image, img)
        man = _manifest(spec, scene, Path(image).name)
        (out / f"{spec.name}.json").write_text(json.dumps(man, ensure_ascii=False), "utf-8")
        labs = [_label(spec, scene, f"{spec.name}.json", image)]
        if spec.defect == "clean" and spec.post == "none" and rng.random() < 1 / 6:
            q = rng.randint(70, 95)
            jpg = f"{spec.name}_q{q}.jpg"
            Image.fromarray(img).save(out / jpg, "JPEG", quality=q)
            man = _manifest(spec, scene, Path(jpg).name)
            (out / f"{spec.name}_q{q}.json").write_text(
                json.dumps(man, ensure_ascii=False), encoding="utf-8"
            )
            lab = _label(spec, scene, f"{spec.name}_q{q}.json", jpg)
            lab.update(post="jpeg", detail=f"JPEG delivery copy q{q}", source=image)
            labs.append(lab)
        by_name[spec.name] = labs

    with tempfile.TemporaryDirectory(prefix="copyplate-foreign-") as td:
        tmp = Path(td)
        for s in specs:
            if s.renderer == "chromium":
                continue
            rng = random.Random(s.seed)
            info = locale_info(s.locale)
            if s.renderer == "pango":
                mask = pango_mask(s, s.locale, info.direction, tmp, rng)
            else:
                mask = pillow_mask(s, s.locale, info.direction)
            scene, plate = _scene_with_fallback(s, mask.shape[1], mask.shape[0], rng)
            emit(s, scene, paint(scene, plate, mask, logo[0]))
        chrome = [s for s in specs if s.renderer == "chromium"]
        if chrome:
            for s, scene, img in _chromium_all(chrome, tmp):
                emit(s, scene, img)
    labels = [lab for s in specs for lab in by_name[s.name]]
    (out / "labels.json").write_text(
        json.dumps(labels, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    meta = {
        "generator": "tests/corpus/foreign.py",
        "seed": seed,
        "per_locale": per,
        "locales": locs,
        "fonts": sorted({lab["font"] for lab in labels}),
        "missing_fonts": missing_fonts(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (out / "corpus.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), "utf-8")
    return labels


def _scene_with_fallback(
    s: Spec, ink_w: int, ink_h: int, rng: random.Random
) -> tuple[Scene, Array]:
    """build_scene; over a plate where no ink reaches 4.5:1 a scrim goes behind the copy."""
    state = rng.getstate()
    try:
        return build_scene(s, ink_w, ink_h, rng)
    except _NeedsHolder:
        rng.setstate(state)
        s.holder = Holder("scrim", (0, 0, 0), 0.72, rng.choice([0, 8]))
        s.pad = _pad(rng, s.holder, s.px, False)
        s.ink = (255, 255, 255)
        return build_scene(s, ink_w, ink_h, rng)


def _chromium_all(specs: list[Spec], tmp: Path) -> Iterator[tuple[Spec, Scene, Array]]:
    cr = Chromium(tmp)
    try:
        files = {s.font: web_font(s.font.path, s.font.index) for s in specs}
        aliases = {f: f"f{i}" for i, f in enumerate(sorted(set(files.values())))}
        aliases = {font: aliases[files[font]] for font in files}
        webfiles = {aliases[font]: files[font] for font in files}
        boxes = chromium_measure(cr, specs, aliases, webfiles)
        scenes: list[tuple[Spec, Scene, tuple[int, int]]] = []
        for s, (x0, y0, x1, y1) in zip(specs, boxes, strict=True):
            rng = random.Random(s.seed)
            scene, _ = _scene_with_fallback(s, x1 - x0, y1 - y0, rng)
            scenes.append((s, scene, (x0, y0)))
            s.fonts_used = [s.font.label]
        i = 0
        while i < len(scenes):
            body, fonts, slots, y, width = [], {}, [], 0, 0
            while i < len(scenes):
                s, scene, off = scenes[i]
                if slots and y + scene.h > MAX_PAGE_PX:
                    break
                alias = aliases[s.font]
                fonts[alias] = webfiles[alias]
                tex = None
                if s.plate.kind not in ("flat", "gradient"):
                    tex = tmp / f"tex{i}.png"
                    Image.fromarray(np.clip(make_plate(s.plate, scene.w, scene.h) + 0.5, 0, 255)
                                    .astype(np.uint8)).save(tex, compress_level=1)  # fmt: skip
                body.append(_banner_html(s, scene, off, alias, 0, y, tex, twin=False))
                body.append(_banner_html(s, scene, off, alias, scene.w + 10, y, tex, twin=True))
                slots.append((s, scene, y))
                width = max(width, 2 * scene.w + 10)
                y += scene.h + 4
                i += 1
            shot = cr.shoot("".join(body), fonts, width, y)
            for s, scene, sy in slots:
                img = np.ascontiguousarray(shot[sy : sy + scene.h, : scene.w])
                twin = shot[sy : sy + scene.h, scene.w + 10 : 2 * scene.w + 10].min(axis=2)
                _fix_box(s, scene, twin)
                yield s, scene, img
    finally:
        cr.close()


def _fix_box(s: Spec, scene: Scene, twin: Array) -> None:
    """A tight box from the ink chromium actually drew (the twin: the copy alone)."""
    ys, xs = np.nonzero(twin < 255)
    if len(xs) == 0:
        raise RuntimeError(f"{s.name}: chromium drew no copy")
    if s.cut is not None or s.holder is not None:
        return
    pl, pt, pr, pb = s.pad
    x0, y0 = int(xs.min()) - pl, int(ys.min()) - pt
    x1, y1 = int(xs.max()) + 1 + pr, int(ys.max()) + 1 + pb
    scene.box = _intersect((x0, y0, x1 - x0, y1 - y0), (0, 0, scene.w, scene.h))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--locales", nargs="*")
    ap.add_argument("--per-locale", type=int, default=None, help="clean assets per locale")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--renderers", nargs="*", choices=RENDERERS)
    args = ap.parse_args()
    if missing_fonts():
        print(f"note: fonts not installed, left out: {', '.join(missing_fonts())}")
    labels = generate(args.out, args.locales, args.per_locale, args.seed, args.renderers)
    n = Counter(lab["defect"] == "clean" for lab in labels)
    print(f"{len(labels)} assets ({n[True]} clean, {n[False]} defective) in {args.out}")


if __name__ == "__main__":
    main()
