"""Does a line say the expected copy? Scored, not read: forced alignment.

Verification is easier than recognition. Instead of comparing tesseract's one best reading
with the copy, the expected string is aligned with the recogniser's per-timestep
posteriors (CTC forward and Viterbi, `lstm`), and the copy is accepted when:

- every character of it has p >= `MIN_P` on the timesteps aligned to it (a typo, a wrong
  digit or a missing letter scores ~0 there: the recogniser saw something else), and
- no timestep the alignment leaves to "blank" holds a confident character of its own
  (`MAX_EXTRA`): an extra word or letter is ink the expected copy does not explain.

Characters a model does not know (Latin brand names in Arabic, Korean or Thai copy) are a
span that takes any timesteps; the ink the alignment puts there is cut out and aligned
again with the English model, so they are verified too, not skipped.

Why this beats the best reading: the reader's first choice is often a look-alike
(Thai ซ for ช, Greek ἑ for έ, a nukta dropped) while the expected character is its second
choice at high probability, and in mixed-script copy one model's garbage on the other
script's word sinks the whole reading.
"""

from __future__ import annotations

import math
import struct
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from copyplate.textlayout import BIDI_CONTROLS
from copyplate.validators.lstm import Steps, Tables, TablesError, Unit, fit_line, parse_hocr
from copyplate.validators.lstm import tables as load_tables
from copyplate.validators.readnorm import POINTS, normalise

MIN_P = 0.5
SURE_P = 0.9
MAX_EXTRA = 0.5
# (letter height in px, RAW_LINE?) tried in turn: tesseract is scale-sensitive, and its line
# mode returns nothing for many Arabic lines that the raw mode reads.
SETTINGS: tuple[tuple[int, bool], ...] = (
    (40, False),
    (40, True),
    (56, False),
    (56, True),
    (80, False),
)
_FLOOR = 0.003  # p of a class tesseract did not list (it lists p >= 0.01)
_FREE = -1  # a label that takes any timestep: a run of characters the model lacks
_WILD = -2  # one character the model lacks, outside a run: any non-blank timestep
_SIGN = -3  # a `sure` sign the model lacks: any timesteps, its shape judged by the caller

# (image, language, raw line?) -> (text, hOCR with lstm_choice_mode=1)
ReadHocr = Callable[[Image.Image, str, bool], tuple[str, str]]


@dataclass
class Score:
    ok: bool
    min_p: float
    extra: float
    reading: str
    weak: list[str] = field(default_factory=list)
    setting: tuple[int, bool] = (0, False)
    unverified: list[str] = field(default_factory=list)  # wildcards the caller must judge

    def describe(self) -> str:
        h, raw = self.setting
        mode = "raw lines" if raw else "lines"
        return (
            f"every character of the expected copy is tesseract's choice or a close second "
            f"(min p {self.min_p:.2f}, unexplained ink {self.extra:.2f}; {mode} at {h} px)"
        )


def visual(text: str, rtl: bool) -> str:
    """Logical to visual (left-to-right image) order. Keep the bidi controls in `text`:
    a mark before ₪ is what puts it left of the number."""
    if not rtl:
        return text
    import icu

    u = icu.UnicodeString(text)
    bidi = icu.Bidi()
    bidi.setPara(u, 1)
    out = []
    for i in range(bidi.countRuns()):
        start, length, run_rtl = bidi.getVisualRun(i)
        chunk = str(u[start : start + length])
        if run_rtl:  # reversed by base character; combining marks stay after their base
            units: list[str] = []
            for ch in chunk:
                if units and unicodedata.combining(ch):
                    units[-1] += ch
                else:
                    units.append(ch)
            chunk = "".join(reversed(units))
        out.append(chunk)
    return "".join(out)


def _letters(text: str) -> str:
    """What is aligned: no spaces (word gaps are blanks to the recogniser), no bidi
    controls, no optional points (`readnorm.POINTS`)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(
        c for c in text if not c.isspace() and c not in BIDI_CONTROLS and ord(c) not in POINTS
    )


@dataclass(frozen=True)
class _Label:
    unit: int  # index into the units
    classes: tuple[int, ...]  # output indices that count, or (_FREE,), (_WILD,), (_SIGN,)


def _latin(text: str) -> bool:
    return unicodedata.category(text[0])[0] == "L" and ord(text[0]) < 0x250


# Arabic-Indic digits and the marks set with them. The Arabic model reads them poorly;
# the Persian one, trained on text set with (nearly) the same digits, reads them well.
_ARABIC_DIGITS = frozenset("٠١٢٣٤٥٦٧٨٩٫٬٪")


def _second_model(run: str) -> str | None:
    """The model that verifies a run of copy the locale's model cannot: English for a
    Latin word, Persian for Arabic-Indic digits; None for anything else."""
    if any("٠" <= c <= "٩" for c in run) and all(c in _ARABIC_DIGITS for c in run):
        return "fas"
    if any(_latin(c) for c in run) and all(_latin(c) or not c.isalpha() for c in run):
        return "eng"
    return None


def _free_runs(units: Sequence[Unit], lang: str) -> list[Unit]:
    """`units` where a run another model verifies is unknown as a whole: a Latin word the
    model only partly knows (Korean knows L, not u m e n), Arabic-Indic digits."""
    out = list(units)
    k = 0
    while k < len(out):
        end = k
        while end < len(out) and _latin(out[end].text):
            end += 1
        if end > k and any(u.codes is None for u in out[k:end]):
            out[k:end] = [Unit(u.text, None) for u in out[k:end]]
        if end == k and lang != "fas":
            while end < len(out) and out[end].text in _ARABIC_DIGITS:
                end += 1
            if _second_model("".join(u.text for u in out[k:end])) == "fas":
                out[k:end] = [Unit(u.text, None) for u in out[k:end]]
        k = max(end, k + 1)
    return out


def _labels(units: Sequence[Unit], free_runs: bool, sure: str = "") -> list[_Label]:
    """CTC labels of the units. A run of unknown characters with a letter in it (a Latin
    name in Korean copy) is one free label when `free_runs`; an unknown mark or sign on
    its own is a wildcard for one character."""
    out: list[_Label] = []
    k = 0
    while k < len(units):
        u = units[k]
        if u.codes is not None:
            out += [
                _Label(k, tuple(sorted({alt[c] for alt in u.codes})))
                for c in range(len(u.codes[0]))
            ]
            k += 1
            continue
        end = k
        while end < len(units) and units[end].codes is None:
            end += 1
        if free_runs and _second_model("".join(x.text for x in units[k:end])):
            out.append(_Label(k, (_FREE,)))
        else:
            out += [
                _Label(i, (_SIGN,) if normalise(units[i].text) in sure else (_WILD,))
                for i in range(k, end)
            ]
        k = end
    return out


def _ctc_path(logp: NDArray[np.float64], ident: list[object]) -> list[int]:
    """The Viterbi state path of a CTC alignment. `logp` columns: blank, then one per
    label; states alternate blank / label; equal neighbours need a blank between them."""
    t_len, n_labels = logp.shape[0], logp.shape[1] - 1
    n_states = 2 * n_labels + 1
    col = np.zeros(n_states, dtype=np.int64)
    col[1::2] = np.arange(1, n_labels + 1)
    skip = np.zeros(n_states, dtype=bool)
    skip[3::2] = [ident[j] != ident[j - 1] for j in range(1, n_labels)]
    emit = logp[:, col]
    vit = np.full(n_states, -np.inf)
    vit[:2] = emit[0, :2]
    back = np.zeros((t_len, n_states), dtype=np.int8)
    # rows: stay, come from the state before, skip a blank (where allowed); the cells no
    # state comes from stay -inf
    came = np.full((3, n_states), -np.inf)
    hop, cols = np.flatnonzero(skip), np.arange(n_states)
    for t in range(1, t_len):
        came[0] = vit
        came[1, 1:] = vit[:-1]
        came[2, hop] = vit[hop - 2]
        back[t] = best = came.argmax(axis=0)
        vit = came[best, cols] + emit[t]
    ends = [n_states - 1, n_states - 2] if n_states > 1 else [0]
    s = max(ends, key=lambda e: vit[e])
    path = [s]
    for t in range(t_len - 1, 0, -1):
        s -= int(back[t, s])
        path.append(s)
    return path[::-1]


@dataclass
class _Aligned:
    per_unit: list[float]
    extra: float
    free: dict[int, list[int]]  # a free label's first unit -> its timesteps (`_own_ink`)


def _own_ink(
    steps: Steps, t: Tables, label_at: list[int], labels: list[_Label], j: int
) -> list[int]:
    """The timesteps of free label `j` less those at its ends that show blank or the
    neighbouring label's character: a free label takes every timestep it can, so it
    starts inside the glyph before it and ends inside the glyph after it."""
    mine = [i for i, x in enumerate(label_at) if x == j]

    def top(i: int) -> int:
        d = steps.probs[i]
        return max(d, key=lambda c: d[c]) if d else t.null

    for end, near in ((0, j - 1), (-1, j + 1)):
        theirs = {t.null, t.space, *(labels[near].classes if 0 <= near < len(labels) else ())}
        while mine and top(mine[end]) in theirs:
            mine.pop(end)
    return mine


def _emissions(steps: Steps, t: Tables, which: list[int]) -> int:
    """How many characters the recogniser emitted on timesteps `which` (best class,
    repeats collapsed, blanks and spaces not counted)."""
    count, last = 0, -1
    for i in which:
        d = steps.probs[i]
        best = max(d, key=lambda c: d[c]) if d else t.null
        if best not in (t.null, t.space, *t.points) and best != last:
            count += 1
        last = best
    return count


def _align(
    steps: Steps,
    units: Sequence[Unit],
    t: Tables,
    free_runs: bool,
    framed: bool = False,
    sure: str = "",
) -> _Aligned | None:
    """Align `units` with `steps`; `framed`: anything may come before and after them (a
    Latin name found in a line of another script); `sure`: see `Aligner.score`."""
    labels = _labels(units, free_runs, sure)
    if framed:
        labels = [_Label(-1, (_FREE,)), *labels, _Label(-1, (_FREE,))]
    if not steps.probs or not labels:
        return None
    dense = np.zeros((len(steps.probs), max(t.num_outputs, t.null + 1)))
    for i, d in enumerate(steps.probs):
        for c, q in d.items():
            if 0 <= c < dense.shape[1]:
                dense[i, c] = q
    # no character: blank, a word space, or an optional mark the copy is compared without
    quiet = sorted({t.null, t.space, *t.points})
    blank = np.minimum(1.0, dense[:, quiet].sum(axis=1))
    cols = [blank]
    for lab in labels:
        if lab.classes in ((_FREE,), (_SIGN,)):
            cols.append(np.ones_like(blank))
        elif lab.classes == (_WILD,):
            cols.append(1.0 - blank)
        else:
            cols.append(np.minimum(1.0, dense[:, list(lab.classes)].sum(axis=1)))
    p = np.stack(cols, axis=1)
    ident: list[object] = [
        (j, lab.classes) if lab.classes[0] < 0 else lab.classes for j, lab in enumerate(labels)
    ]
    path = _ctc_path(np.log(np.clip(p, _FLOOR, 1.0)), ident)
    seen: list[dict[int, float]] = [{} for _ in units]
    label_at = [(s - 1) // 2 if s % 2 else -1 for s in path]
    free: dict[int, list[int]] = {}
    extra = 0.0
    for j, lab in enumerate(labels):
        if lab.classes[0] >= 0 or lab.unit < 0:
            continue
        mine = _own_ink(steps, t, label_at, labels, j)
        if lab.classes == (_FREE,):
            free[lab.unit] = mine
            n = next((i for i, u in enumerate(units[lab.unit :]) if u.codes is not None), None)
            chars = len(units) - lab.unit if n is None else n
            allowed = chars + max(2, round(0.3 * chars))
        elif lab.classes == (_SIGN,):
            allowed = 3  # a sign the model lacks reads as pieces (₪ as "fY)")
        else:
            allowed = 1
        # A free or wildcard label takes any ink, and hOCR leaves out the timesteps
        # between words, so a whole extra word could hide in one: count what it read.
        if _emissions(steps, t, mine) > allowed:
            extra = 1.0
    for step, s in enumerate(path):
        if s % 2:
            j = (s - 1) // 2
            lab = labels[j]
            if lab.unit < 0:
                continue
            seen[lab.unit][j] = max(seen[lab.unit].get(j, 0.0), float(p[step, j + 1]))
            continue
        # a blank state: ink here that neither neighbour explains is ink the copy lacks
        near = [j for j in (s // 2 - 1, s // 2) if 0 <= j < len(labels)]
        if any(labels[j].classes in ((_FREE,), (_SIGN,)) for j in near):
            continue
        # a wildcard explains only the ink it took, not its neighbourhood
        unexplained = (
            1.0
            - blank[step]
            - sum(float(p[step, j + 1]) for j in near if labels[j].classes[0] >= 0)
        )
        extra = max(extra, unexplained)
    per_unit = []
    for k, u in enumerate(units):
        if u.codes is None and free_runs:
            per_unit.append(math.nan)  # scored by the caller, run by run
            continue
        wanted = len(u.codes[0]) if u.codes else 1
        per_unit.append(min(seen[k].values()) if len(seen[k]) == wanted else 0.0)
    return _Aligned(per_unit, extra, free)


@dataclass
class Aligner:
    """Scores expected copy against the lines of a region, with `read` (see `ReadHocr`)."""

    read: ReadHocr
    tessdata: Path

    def tables(self, lang: str) -> Tables | None:
        try:
            return load_tables(self.tessdata / f"{lang}.traineddata")
        except (OSError, TablesError, ValueError, struct.error):
            return None

    def steps(
        self, line: Image.Image, lang: str, t: Tables, height: int, raw: bool
    ) -> tuple[Steps, Image.Image]:
        img = fit_line(line, height, 0.12 if raw else 0.5)
        text, hocr = self.read(img, lang, raw)
        return parse_hocr(hocr, t, text), img

    def score(
        self, lines: Sequence[Image.Image], expected: str, lang: str, rtl: bool, sure: str = ""
    ) -> Score | None:
        """The best of `SETTINGS` for `expected` over `lines` (black on white, top to
        bottom); None when the model cannot score most of the copy. Characters of `sure` (a
        price's currency sign and decimal marks, which look alike) need p >= `SURE_P`; one
        the model does not know is left to the caller (`Score.unverified`)."""
        t = self.tables(lang)
        if t is None:
            return None
        known = t.units(_letters(visual(expected, rtl)))
        if not known or sum(u.codes is not None for u in known) < 0.5 * len(known):
            return None
        units = _free_runs(known, lang)
        # a sign the model lacks is a wildcard here; the caller judges its shape
        unverified = [u.text for u in units if u.codes is None and normalise(u.text) in sure]
        # visual order of a right-to-left paragraph runs from its last line to its first
        ordered = list(lines[::-1] if rtl else lines)
        best: Score | None = None
        for height, raw in SETTINGS:
            got = [self.steps(line, lang, t, height, raw) for line in ordered]
            steps = Steps(
                [d for s, _ in got for d in s.probs],
                " | ".join(s.text.strip() for s, _ in got),
            )
            owner = [k for k, (s, _) in enumerate(got) for _ in s.probs]
            aligned = _align(steps, units, t, free_runs=True, sure=sure)
            if aligned is None:
                continue
            per_unit = list(aligned.per_unit)
            for k, where in aligned.free.items():
                per_unit[k] = self._verify_run(
                    units, k, where, owner, [img for _, img in got], sure
                )
            # scaled so that SURE_P on a `sure` character counts as MIN_P
            per_unit = [
                MIN_P * p / SURE_P if normalise(u.text) in sure else p
                for u, p in zip(units, per_unit, strict=True)
            ]
            scored = [p for p in per_unit if not math.isnan(p)]
            min_p = min(scored) if scored else 0.0
            weak = [u.text for u, p in zip(units, per_unit, strict=True) if p < MIN_P]
            ok = min_p >= MIN_P and aligned.extra < MAX_EXTRA
            score = Score(ok, min_p, aligned.extra, steps.text, weak, (height, raw), unverified)
            if best is None or (score.ok, score.min_p - score.extra) > (
                best.ok,
                best.min_p - best.extra,
            ):
                best = score
            if score.ok:
                break
        return best

    def _verify_run(
        self,
        units: Sequence[Unit],
        k: int,
        where: list[int],
        owner: list[int],
        images: list[Image.Image],
        sure: str,
    ) -> float:
        """The lowest p of a run the locale's model cannot read (`_second_model`), aligned
        again with the model for it on the same lines; 0 when that cannot vouch for it."""
        run = ""
        for u in units[k:]:
            if u.codes is not None:
                break
            run += u.text
        lang = _second_model(run)
        second = self.tables(lang) if lang else None
        if lang is None or second is None:
            return 0.0
        # The whole lines the run is on, with anything before and after the run: cropping
        # to the run would need x positions the timesteps only give roughly.
        lines = [images[i] for i in sorted({owner[s] for s in where})]
        run_units = second.units(run)
        best = 0.0
        for height, raw in SETTINGS[:3]:
            got = [self.steps(img, lang, second, height, raw)[0] for img in lines]
            joined = Steps([d for s in got for d in s.probs], "")
            aligned = _align(joined, run_units, second, free_runs=False, framed=True)
            if aligned is None or aligned.extra >= MAX_EXTRA:
                continue
            p = min(
                MIN_P * q / SURE_P if normalise(u.text) in sure else q
                for u, q in zip(run_units, aligned.per_unit, strict=True)
            )
            best = max(best, p)
            if best >= MIN_P:
                break
        return best
