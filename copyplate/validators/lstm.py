"""Tesseract's LSTM output per timestep: what `align` scores the expected copy against.

With `lstm_choice_mode=1` tesseract keeps, for every timestep of its LSTM, each output
class with p >= 0.01, and the hOCR renderer lists them per word (whole percent). That is
the only route to the raw posteriors from tesserocr (it has no `Timesteps()` binding).

Tesseract labels output index i as `unicharset[i + 2]`, which is the character only for
models that do not recode (Latin, Cyrillic, Greek). Arabic, Hebrew, Devanagari and Thai
models permute their codes and the CJK and Korean ones spell a character in one to five
codes, so the labels are mapped back to output indices with the model's own LSTM
unicharset and recoder, read from the .traineddata (components 21 and 22).
"""

from __future__ import annotations

import functools
import html
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from copyplate.validators.readnorm import POINTS, normalise

_LSTM_UNICHARSET = 21
_LSTM_RECODER = 22
_MAX_TRAINEDDATA = 64 * 2**20  # the largest Debian model (chi_sim) is ~2 MB


class TablesError(ValueError):
    """A .traineddata without readable LSTM tables (legacy-only or damaged)."""


def _components(path: Path) -> dict[int, bytes]:
    if path.stat().st_size > _MAX_TRAINEDDATA:
        raise TablesError(f"{path}: larger than {_MAX_TRAINEDDATA} bytes")
    data = path.read_bytes()
    (n,) = struct.unpack_from("<I", data, 0)
    if not 0 < n < 64:
        raise TablesError(f"{path}: {n} components")
    offs = struct.unpack_from(f"<{n}q", data, 4)
    out: dict[int, bytes] = {}
    for i, o in enumerate(offs):
        if o < 0:
            continue
        nxt = [x for x in offs[i + 1 :] if x >= 0]
        out[i] = data[o : nxt[0] if nxt else len(data)]
    return out


def _unicharset(raw: bytes) -> list[str]:
    lines = raw.decode("utf-8").split("\n")
    return [
        " " if (s := line.split(" ", 1)[0]) == "NULL" else s
        for line in lines[1 : int(lines[0]) + 1]
    ]


def _recoder(raw: bytes) -> list[tuple[int, ...]]:
    (n,) = struct.unpack_from("<I", raw, 0)
    pos, codes = 4, []
    for _ in range(n):
        _, length = struct.unpack_from("<bi", raw, pos)
        pos += 5
        codes.append(tuple(struct.unpack_from(f"<{length}i", raw, pos)))
        pos += 4 * length
    return codes


@dataclass(frozen=True)
class Unit:
    """A piece of the expected copy the model has a character for, with every code
    sequence that means the same (`normalise`): ٣ and 3, µ and μ, Ｌ and L. `codes` is
    None for a character the model does not know."""

    text: str
    codes: tuple[tuple[int, ...], ...] | None


@dataclass(frozen=True)
class Tables:
    unichars: tuple[str, ...]
    codes: tuple[tuple[int, ...], ...]  # unichar id -> network output indices
    null: int
    space: int
    max_len: int
    num_outputs: int

    @functools.cached_property
    def ids(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.unichars)}

    @functools.cached_property
    def by_meaning(self) -> dict[str, tuple[tuple[int, ...], ...]]:
        groups: dict[str, set[tuple[int, ...]]] = {}
        for i, s in enumerate(self.unichars[3:], start=3):  # 0-2: space, Joined, Broken
            if key := normalise(s):
                groups.setdefault(key, set()).add(self.codes[i])
        return {k: tuple(sorted(v)) for k, v in groups.items()}

    @functools.cached_property
    def points(self) -> frozenset[int]:
        """Outputs of the optional marks (`readnorm.POINTS`: harakat, Hebrew points),
        which the expected copy is compared without."""
        return frozenset(
            c[0]
            for s, c in zip(self.unichars, self.codes, strict=True)
            if len(c) == 1 and s and all(ord(x) in POINTS for x in s)
        )

    def index_of(self, label: str) -> int | None:
        """The output index tesseract printed as `label` (None: one of the last two,
        which both print as "")."""
        if label == "":
            return None
        if label == " ":
            return self.space
        uid = self.ids.get(label)
        return None if uid is None else uid - 2

    def units(self, text: str) -> list[Unit]:
        """`text` cut the way tesseract's trainer encodes truth text (greedy longest
        match in the unicharset); a character it does not know is a unit of its own,
        or the units of what it means when that is several characters (Thai SARA AM)."""
        out: list[Unit] = []
        i = 0
        while i < len(text):
            for n in range(min(self.max_len, len(text) - i), 0, -1):
                piece = text[i : i + n]
                if self.ids.get(piece, 0) > 2:
                    first = self.codes[self.ids[piece]]
                    same = self.by_meaning.get(normalise(piece), ())
                    out.append(Unit(piece, _same_length(first, same)))
                    i += n
                    break
            else:
                ch, key = text[i], normalise(text[i])
                i += 1
                same = self.by_meaning.get(key, ())
                parts = self.units(key) if not same and len(key) > 1 else []
                if same:
                    out.append(Unit(ch, _same_length(same[0], same)))
                elif parts and all(u.codes for u in parts):
                    out += parts
                else:
                    out.append(Unit(ch, None))
        return out


def _same_length(
    first: tuple[int, ...], same: tuple[tuple[int, ...], ...]
) -> tuple[tuple[int, ...], ...]:
    """`first` and the alternatives that spell as many codes (they share CTC states)."""
    return tuple(sorted({first, *(c for c in same if len(c) == len(first))}))


@functools.lru_cache(maxsize=32)
def tables(path: Path) -> Tables:
    comps = _components(path)
    if _LSTM_UNICHARSET not in comps or _LSTM_RECODER not in comps:
        raise TablesError(f"{path}: no LSTM unicharset or recoder")
    uni = _unicharset(comps[_LSTM_UNICHARSET])
    codes = _recoder(comps[_LSTM_RECODER])
    if len(codes) != len(uni) or not uni:
        raise TablesError(f"{path}: unicharset and recoder disagree")
    special = len(uni) > 2 and uni[1] == "Joined"
    null = codes[2][0] if special else codes[-1][0]
    outputs = max(c for cs in codes for c in cs) + 1
    return Tables(tuple(uni), tuple(codes), null, codes[0][0], max(map(len, uni)), outputs)


@dataclass(frozen=True)
class Steps:
    """Per timestep, the classes tesseract listed ({output index: p}); and its reading."""

    probs: list[dict[int, float]]
    text: str


_WORD = re.compile(r"<span class='ocrx_word'[^>]*title='bbox (\d+) ")
_CHOICE = re.compile(r"x_confs (\d+)'>(.*?)</span>")


def parse_hocr(hocr: str, t: Tables, text: str) -> Steps:
    """The timesteps of a line read with `lstm_choice_mode=1`, in image order."""
    starts = list(_WORD.finditer(hocr))
    words: list[tuple[int, list[dict[int, float]]]] = []
    for k, m in enumerate(starts):
        body = hocr[m.end() : starts[k + 1].start() if k + 1 < len(starts) else len(hocr)]
        steps: list[dict[int, float]] = []
        for chunk in body.split("id='timestep")[1:]:
            d: dict[int, float] = {}
            for p, label in _CHOICE.findall(chunk):
                idx = t.index_of(html.unescape(label))
                # "" is printed for both of the last two outputs: credit both
                for i in (t.null,) if idx is None else (idx,):
                    d[i] = max(d.get(i, 0.0), int(p) / 100.0)
            steps.append(d)
        words.append((int(m.group(1)), steps))
    words.sort(key=lambda w: w[0])  # image order, also for right-to-left lines
    return Steps([d for _, steps in words for d in steps], text)


def fit_line(img: Image.Image, height: int, pad: float) -> Image.Image:
    """A black-on-white line cropped to its ink, scaled to `height` px and padded."""
    ink = np.asarray(img.convert("L")) < 128
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    g = img.convert("L")
    if len(rows) and len(cols):
        g = g.crop((int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1))
    scale = height / max(1, g.height)
    g = g.resize((max(1, round(g.width * scale)), height), Image.Resampling.LANCZOS)
    margin = max(4, round(height * pad))
    out = Image.new("L", (g.width + 2 * margin, g.height + 2 * margin), 255)
    out.paste(g, (margin, margin))
    return out
