"""Forced CTC alignment of an EXPECTED string against PP-OCRv6 (rapidocr wheel) logits.

Prototype (research only). Weights: `rapidocr/models/PP-OCRv6_rec_small.onnx`, shipped
inside the `rapidocr` 3.10.0 wheel (Apache-2.0 code and weights); the character list is
in the ONNX metadata (`character`). Runtime: onnxruntime (CPU). Nothing is downloaded.

Output of the rec model: [1, T, 18710] softmax probabilities; index 0 = CTC blank,
1..18708 = characters, 18709 = space.

score(image_crop, expected) -> dict (same spirit as tess_align.score).
"""

from __future__ import annotations

import math
import os
import time
import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageOps

FLOOR = 1e-6  # probabilities are clipped here before the log


@lru_cache(maxsize=2)
def model(path: str | None = None, threads: int = 1) -> tuple[Any, list[str], dict[str, int]]:
    import onnxruntime as ort

    if path is None:
        import rapidocr  # only to locate the wheel's model file

        path = os.path.join(os.path.dirname(rapidocr.__file__), "models", "PP-OCRv6_rec_small.onnx")
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    chars = ["<blank>", *meta["character"].split("\n"), " "]
    index = {c: i for i, c in enumerate(chars) if i > 0}
    return sess, chars, index


def _prepare(img: Image.Image, height: int = 48) -> np.ndarray:
    g = img.convert("RGB")
    # tight crop to the ink + a small margin, like a detector box
    lum = np.asarray(ImageOps.autocontrast(g.convert("L")))
    dark_text = lum.mean() > 128
    ink = lum < 128 if dark_text else lum > 128
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) and len(cols):
        m = max(2, (rows[-1] - rows[0]) // 8)
        g = g.crop((max(0, cols[0] - m), max(0, rows[0] - m), cols[-1] + 1 + m, rows[-1] + 1 + m))
    w = max(1, math.ceil(height * g.width / g.height))
    g = g.resize((w, height), Image.Resampling.BILINEAR)
    x = np.asarray(g, dtype=np.float32)[:, :, ::-1] / 255.0  # BGR, as PaddleOCR (cv2) feeds it
    x = (x - 0.5) / 0.5
    return x.transpose(2, 0, 1)[None]


def posteriors(img: Image.Image, threads: int = 1) -> np.ndarray:
    sess, _, _ = model(None, threads)
    out = sess.run(None, {sess.get_inputs()[0].name: _prepare(img)})[0][0]
    return out  # [T, C], rows sum to 1


def ctc_nll(
    logp: np.ndarray, labels: list[int], ident: list[Any] | None = None
) -> tuple[float, list[int]]:
    """CTC negative log-likelihood (forward algorithm) and the Viterbi state path.
    logp: [T, K] log-probabilities of blank (column 0) and of each label (columns 1..);
    labels: column of each target position; ident: identity of each target position
    (defaults to labels) - equal neighbours must be separated by a blank (CTC rule)."""
    ident = list(labels) if ident is None else list(ident)
    T = logp.shape[0]
    L = len(labels)
    if L == 0:
        return -float(logp[:, 0].sum()), [0] * T
    S = 2 * L + 1
    col = np.zeros(S, dtype=np.int64)  # state -> column in logp
    col[1::2] = np.arange(1, L + 1)
    skip = np.zeros(S, dtype=bool)  # s-2 -> s allowed
    skip[3::2] = [ident[j] != ident[j - 1] for j in range(1, L)]
    E = logp[:, col]  # [T, S]
    alpha = np.full(S, -np.inf)
    vit = np.full(S, -np.inf)
    alpha[:2] = E[0, :2]
    vit[:2] = E[0, :2]
    back = np.zeros((T, S), dtype=np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    ninf = np.array([-np.inf])
    for t in range(1, T):
        a1 = np.concatenate([ninf, alpha[:-1]])
        a2 = np.where(skip, np.concatenate([ninf, ninf, alpha[:-2]]), -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, a1), a2) + E[t]
        v1 = np.concatenate([ninf, vit[:-1]])
        v2 = np.where(skip, np.concatenate([ninf, ninf, vit[:-2]]), -np.inf)
        stack = np.stack([vit, v1, v2])
        back[t] = np.argmax(stack, axis=0)
        vit = stack.max(axis=0) + E[t]
    ends = [S - 1, S - 2] if S > 1 else [0]
    nll = -float(np.logaddexp.reduce(alpha[ends]))
    s = max(ends, key=lambda e: vit[e])
    path = [s]
    for t in range(T - 1, 0, -1):
        s -= int(back[t, s])
        path.append(s)
    return nll, path[::-1]


def greedy(probs: np.ndarray) -> list[int]:
    best = probs.argmax(axis=1)
    out, prev = [], -1
    for b in best:
        if b != prev and b != 0:
            out.append(int(b))
        prev = b
    return out


def score(image_crop: Image.Image, expected: str, threads: int = 1) -> dict[str, Any]:
    _, chars, index = model(None, threads)
    t0 = time.perf_counter()
    probs = posteriors(image_crop, threads)
    t_net = time.perf_counter() - t0
    exp = unicodedata.normalize("NFC", " ".join(expected.split()))
    ids: list[int | None] = [index.get(c) for c in exp]
    # columns: blank, then one column per expected position (wildcard = 1 - p(blank))
    cols = [probs[:, 0]]
    for i in ids:
        cols.append(1.0 - probs[:, 0] if i is None else probs[:, i])
    logp = np.log(np.clip(np.stack(cols, axis=1), FLOOR, 1.0))
    nll, path = ctc_nll(logp, list(range(1, len(ids) + 1)), list(exp))
    g = greedy(probs)
    glogp = np.log(np.clip(probs[:, [0, *g]], FLOOR, 1.0))
    nll_g, _ = ctc_nll(glogp, list(range(1, len(g) + 1)), g)
    per = np.zeros(len(ids))
    hit = np.zeros(len(ids), dtype=bool)
    for t, s in enumerate(path):
        if s % 2:
            j = (s - 1) // 2
            per[j] = max(per[j], float(np.exp(logp[t, j + 1])))
            hit[j] = True
    per[~hit] = FLOOR
    per_char = [
        {"char": c, "p": round(float(p), 3), "scorable": i is not None}
        for c, p, i in zip(exp, per, ids)
    ]
    sc = [d["p"] for d in per_char if d["scorable"] and d["char"] != " "]
    t_all = time.perf_counter() - t0
    return {
        "best_reading": "".join(chars[i] for i in g),
        "expected": exp,
        "nll_expected": round(nll, 3),
        "nll_best_path_labels": round(nll_g, 3),
        "margin": round(nll - nll_g, 3),
        "nll_per_char": round(nll / max(1, len(ids)), 3),
        "min_char_p": round(min(sc), 3) if sc else None,
        "mean_char_p": round(sum(sc) / len(sc), 3) if sc else None,
        "weak_chars": [d for d in per_char if d["scorable"] and d["p"] < 0.5],
        "unscorable_chars": sorted({d["char"] for d in per_char if not d["scorable"]}),
        "timesteps": int(probs.shape[0]),
        "ms_net": round(t_net * 1000, 1),
        "ms_total": round(t_all * 1000, 1),
        "per_char": per_char,
    }
