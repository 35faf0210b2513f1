"""Forced-alignment scoring of an EXPECTED string against tesseract's LSTM output.

Prototype (research only). Mechanism:

1. tesserocr (in-process) recognises the crop with `lstm_choice_mode=1` and PSM.RAW_LINE
   (SINGLE_LINE/SINGLE_BLOCK layout analysis returns '' for many Arabic crops). Tesseract then
   keeps, for every LSTM timestep, every output class with softmax p >= 0.01, and the
   hOCR renderer prints them (`<span class='ocrx_cinfo' title='x_confs NN'>c</span>`,
   NN = int(100 p)), grouped per word and per recognised symbol. tesserocr has no binding
   for `ChoiceIterator::Timesteps()`, so hOCR is the only way to the raw timesteps.
2. Tesseract labels output index i as unicharset.id_to_unichar(i + 2). That is only right
   for models that do not "recode" (eng deu fra spa por pol tur rus ell vie). For recoded
   models (ara heb hin tha: permuted codes; jpn chi_sim kor: 1-5 codes per character) we
   undo the labelling with the model's own lstm-unicharset + lstm-recoder tables, read
   straight from the .traineddata (`tessdata_tables.py`).
3. The expected string is encoded the way tesseract's trainer encodes truth text (greedy
   longest match in the unicharset, then recoder codes), put into the visual order of
   the timesteps (ICU bidi for RTL) and scored with the CTC forward algorithm (NLL) and
   a Viterbi forced alignment (per-character probability at the aligned timesteps).

score(image_crop, expected, lang) -> dict, see the end of `score`.
"""

from __future__ import annotations

import html
import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).parent))
import tessdata_tables  # noqa: E402
from ctc_align import ctc_nll  # noqa: E402  (vectorised numpy CTC forward + Viterbi)

TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"
RTL_LANGS = {"ara", "heb", "fas", "urd", "yid"}
FLOOR = 0.003  # probability assumed for a class tesseract did not list (< 0.01)

_apis: dict[str, Any] = {}


def _api(lang: str) -> Any:
    import tesserocr

    if lang not in _apis:
        api = tesserocr.PyTessBaseAPI(
            path=TESSDATA, lang=lang, psm=tesserocr.PSM.SINGLE_LINE, oem=tesserocr.OEM.LSTM_ONLY
        )
        api.SetVariable("lstm_choice_mode", "1")
        _apis[lang] = api
    return _apis[lang]


# --------------------------------------------------------------------------- hOCR parsing

_WORD = re.compile(r"<span class='ocrx_word'[^>]*title='bbox (\d+) (\d+) (\d+) (\d+)[^']*'[^>]*>")
_CHOICE = re.compile(r"x_confs (\d+)'>(.*?)</span>")


def _timesteps(hocr: str) -> list[tuple[int, list[list[tuple[str, float]]]]]:
    """[(word_left_x, [timestep: [(label, p), ...]])] in the order hOCR lists words."""
    words = []
    starts = list(_WORD.finditer(hocr))
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(hocr)
        body = hocr[m.end() : end]
        steps = []
        for ts in body.split("id='timestep")[1:]:
            steps.append([(html.unescape(s), int(p) / 100.0) for p, s in _CHOICE.findall(ts)])
        words.append((int(m.group(1)), steps))
    return words


def _matrix(
    tables: tessdata_tables.LstmTables, steps: list[list[tuple[str, float]]]
) -> list[dict[int, float]]:
    """Sparse per-timestep distributions over network output indices."""
    hidden = [tables.num_outputs - 2, tables.num_outputs - 1]
    out = []
    for choices in steps:
        d: dict[int, float] = {}
        for label, p in choices:
            idx = tables.raw_label_to_index(label)
            # "" is printed for BOTH of the last two output indices: credit both.
            for i in hidden if idx is None else [idx]:
                d[i] = max(d.get(i, 0.0), p)
        out.append(d)
    return out


# --------------------------------------------------------------------------- CTC


def _ctc(
    steps: list[dict[int, float]], labels: list[int | None], null: int
) -> tuple[float, list[int]]:
    """CTC NLL of `labels` (None = wildcard: any non-blank) and the Viterbi state path."""
    if not steps:
        return math.inf, []
    pn = np.array([d.get(null, 0.0) for d in steps])
    cols = [pn]
    for lab in labels:
        cols.append(1.0 - pn if lab is None else np.array([d.get(lab, 0.0) for d in steps]))
    logp = np.log(np.clip(np.stack(cols, axis=1), FLOOR, 1.0))
    ident = [("?", j) if lab is None else lab for j, lab in enumerate(labels)]
    return ctc_nll(logp, list(range(1, len(labels) + 1)), ident)


def _greedy(steps: list[dict[int, float]], null: int) -> list[int]:
    out, prev = [], None
    for d in steps:
        # ties (the "" label covers null AND one real class) go to null
        best = max(d, key=lambda k: (d[k], k == null)) if d else null
        if best != prev and best != null:
            out.append(best)
        prev = best
    return out


# --------------------------------------------------------------------------- text side


def _visual(text: str, rtl: bool) -> str:
    """Logical -> visual (left-to-right) order, as the image shows it."""
    if not rtl:
        return text
    import icu

    bidi = icu.Bidi()
    bidi.setPara(icu.UnicodeString(text), 1)
    out = []
    for i in range(bidi.countRuns()):
        start, length, run_rtl = bidi.getVisualRun(i)
        chunk = str(icu.UnicodeString(text)[start : start + length])
        # reverse by grapheme-ish units: base + following combining marks stay in order
        if run_rtl:
            units: list[str] = []
            for ch in chunk:
                if units and unicodedata.combining(ch):
                    units[-1] += ch
                else:
                    units.append(ch)
            chunk = "".join(reversed(units))
        out.append(chunk)
    return "".join(out)


def _prepare(img: Image.Image, height: int, pad_frac: float = 0.5) -> Image.Image:
    g = ImageOps.autocontrast(img.convert("L"))
    if np.asarray(g).mean() < 128:
        g = ImageOps.invert(g)
    arr = np.asarray(g) < 128
    rows = np.flatnonzero(arr.any(axis=1))
    cols = np.flatnonzero(arr.any(axis=0))
    if len(rows) and len(cols):
        g = g.crop((cols[0], rows[0], cols[-1] + 1, rows[-1] + 1))
    scale = height / max(1, g.height)
    g = g.resize((max(1, round(g.width * scale)), height), Image.Resampling.LANCZOS)
    return ImageOps.expand(g, max(4, round(height * pad_frac)), fill=255)


@dataclass
class _Run:
    height: int
    text: str
    steps: list[dict[int, float]]


def _recognise(img: Image.Image, lang: str, height: int, tables: Any, raw: bool) -> _Run:
    import tesserocr

    api = _api(lang)
    api.SetPageSegMode(tesserocr.PSM.RAW_LINE if raw else tesserocr.PSM.SINGLE_LINE)
    # RAW_LINE feeds the whole image to the LSTM: keep the margins small
    api.SetImage(_prepare(img, height, 0.12 if raw else 0.5))
    api.Recognize()
    text = api.GetUTF8Text().strip()
    words = _timesteps(api.GetHOCRText(0))
    words.sort(key=lambda w: w[0])  # image (left-to-right) order, also for RTL lines
    steps: list[dict[int, float]] = []
    for _, w in words:
        steps += _matrix(tables, w)
    return _Run(height, text, steps)


# --------------------------------------------------------------------------- API


def score(
    image_crop: Image.Image,
    expected: str,
    lang: str,
    configs: tuple[tuple[int, bool], ...] = ((40, False), (40, True), (56, False), (56, True), (80, False)),
) -> dict[str, Any]:
    """Score `expected` against tesseract's LSTM posteriors for a one-line crop.

    Tries a few (text height, RAW_LINE?) configurations - tesseract is scale-sensitive and
    its line finder drops many Arabic lines - and keeps the one most favourable to the
    expected string (highest min char p, then lowest NLL); stops early at min p >= 0.9.
    """
    tables = tessdata_tables.load(f"{TESSDATA}{lang}.traineddata")
    exp = unicodedata.normalize("NFC", " ".join(expected.split()))
    vis = _visual(exp, lang in RTL_LANGS)
    # Encode unit by unit so unknown characters become wildcards instead of failing.
    units: list[tuple[str, list[int] | None]] = []
    i = 0
    while i < len(vis):
        for L in range(min(tables.max_len, len(vis) - i), 0, -1):
            enc = tables.encode(vis[i : i + L])
            if enc is not None and len(enc) == 1:
                units.append((vis[i : i + L], enc[0]))
                i += L
                break
        else:
            units.append((vis[i], None))  # not in this model's unicharset
            i += 1
    labels: list[int | None] = []
    owner: list[int] = []
    for k, (_, codes) in enumerate(units):
        for c in codes if codes is not None else [None]:
            labels.append(c)
            owner.append(k)

    best: dict[str, Any] | None = None
    best_key: tuple[float, float] = (-1.0, 0.0)
    for h, raw in configs:
        run = _recognise(image_crop, lang, h, tables, raw)
        nll, path = _ctc(run.steps, labels, tables.null)
        greedy = _greedy(run.steps, tables.null)
        nll_greedy, _ = _ctc(run.steps, list(greedy), tables.null)
        # per expected unit: best probability of its code(s) on the aligned timesteps
        seen: list[dict[int, float]] = [{} for _ in units]  # label index -> best p
        for t, s in enumerate(path):
            if s % 2 == 0:
                continue
            j = (s - 1) // 2
            lab = labels[j]
            d = run.steps[t]
            p = (1.0 - d.get(tables.null, 0.0)) if lab is None else d.get(lab, 0.0)
            seen[owner[j]][j] = max(seen[owner[j]].get(j, 0.0), p)
        per_char = []
        for k, (u, codes) in enumerate(units):
            n_codes = len(codes) if codes is not None else 1
            # every code of the unit must have been aligned somewhere; else ~FLOOR
            p = min(seen[k].values()) if len(seen[k]) == n_codes else FLOOR
            per_char.append({"char": u, "p": round(p, 3), "scorable": codes is not None})
        scorable = [c["p"] for c in per_char if c["scorable"] and c["char"] != " "]
        res = {
            "lang": lang,
            "height": h,
            "psm": "RAW_LINE" if raw else "SINGLE_LINE",
            "best_reading": run.text,
            "expected": exp,
            "nll_expected": round(nll, 3),
            "nll_best_path_labels": round(nll_greedy, 3),
            "margin": round(nll - nll_greedy, 3),  # 0 when expected == greedy reading
            "nll_per_char": round(nll / max(1, len(labels)), 3),
            "min_char_p": round(min(scorable), 3) if scorable else None,
            "mean_char_p": round(sum(scorable) / len(scorable), 3) if scorable else None,
            "weak_chars": [c for c in per_char if c["scorable"] and c["p"] < 0.5],
            "unscorable_chars": sorted({c["char"] for c in per_char if not c["scorable"]}),
            "timesteps": len(run.steps),
            "per_char": per_char,
        }
        key = (round(res["min_char_p"] or 0.0, 1), -res["nll_per_char"])
        if best is None or key > best_key:
            best, best_key = res, key
        if res["min_char_p"] is not None and res["min_char_p"] >= 0.9:
            break
    assert best is not None
    return best


def verdict(r: dict[str, Any], min_p: float = 0.3) -> bool:
    """A possible decision rule: every scorable expected char has p >= min_p on its
    aligned timesteps."""
    return r["min_char_p"] is not None and r["min_char_p"] >= min_p
