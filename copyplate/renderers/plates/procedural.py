"""Procedural abstract plates: the training data of the built-in plate model.

Six moods (gradient, soft light, bokeh, paper, fabric, duotone), each painted from a
palette of up to four colours. Small (the model works at 32x32), numpy only, seeded.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MOODS = ("gradient", "soft-light", "bokeh", "paper", "fabric", "duotone")
PALETTE_SIZE = 4

Array = NDArray[np.float64]


def _grid(n: int) -> tuple[Array, Array]:
    yy, xx = np.mgrid[0:n, 0:n] / max(n - 1, 1)
    return xx, yy


def _smooth_noise(rng: np.random.Generator, n: int, cells: int) -> Array:
    """Value noise: a coarse random grid, bilinearly upsampled to n x n, in [0, 1]."""
    g = rng.random((cells + 1, cells + 1))
    t = np.linspace(0, cells, n)
    i = np.minimum(t.astype(int), cells - 1)
    f = t - i
    f = f * f * (3 - 2 * f)
    rows = g[i][:, i] * (1 - f)[None, :] + g[i][:, i + 1] * f[None, :]
    rows2 = g[i + 1][:, i] * (1 - f)[None, :] + g[i + 1][:, i + 1] * f[None, :]
    out: Array = rows * (1 - f)[:, None] + rows2 * f[:, None]
    return out


def _ramp(t: Array, colours: Array) -> Array:
    """Map t in [0, 1] through a piecewise-linear ramp of colours (k x 3, 0..1)."""
    k = len(colours)
    pos = np.clip(t, 0, 1) * (k - 1)
    i = np.minimum(pos.astype(int), k - 2) if k > 1 else np.zeros_like(pos, dtype=int)
    f = (pos - i)[..., None]
    if k == 1:
        return np.broadcast_to(colours[0], (*t.shape, 3)).copy()
    return colours[i] * (1 - f) + colours[i + 1] * f  # type: ignore[no-any-return]


def paint(mood: str, palette: Array, rng: np.random.Generator, n: int = 32) -> Array:
    """One plate, n x n x 3 in [0, 1]. `palette`: k x 3 in [0, 1], k >= 1."""
    xx, yy = _grid(n)
    angle = rng.uniform(0, 2 * np.pi)
    along = (xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle) + 0.5
    cols = palette[rng.permutation(len(palette))]
    if mood == "gradient":
        return _ramp(along, cols[: max(2, min(3, len(cols)))] if len(cols) > 1 else cols)
    if mood == "soft-light":
        img = _ramp(along * 0.6 + 0.2, cols[:2] if len(cols) > 1 else cols)
        for _ in range(rng.integers(1, 4)):
            cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.2, 0.5)
            glow = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))[..., None]
            img = img * (1 - 0.5 * glow) + (0.5 * glow) * np.minimum(1, cols[-1] + 0.25)
        return img
    if mood == "bokeh":
        img = _ramp(along, cols[:2] if len(cols) > 1 else cols) * 0.7
        for _ in range(rng.integers(6, 14)):
            cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.04, 0.14)
            d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
            disc = np.clip((r - d) / (r * 0.35), 0, 1)[..., None] * rng.uniform(0.3, 0.8)
            c = np.minimum(1, cols[rng.integers(len(cols))] + 0.2)
            img = img * (1 - disc) + c * disc
        return img
    if mood == "paper":
        base = cols[0] * 0.9 + 0.1
        grain = _smooth_noise(rng, n, 16) - 0.5
        fibre = _smooth_noise(rng, n, 4) - 0.5
        paper: Array = np.clip(base + (grain * 0.06 + fibre * 0.08)[..., None], 0, 1)
        return paper
    if mood == "fabric":
        base = _ramp(along, cols[:2] if len(cols) > 1 else cols)
        f = rng.uniform(6, 10)
        weave = np.sin(xx * f * np.pi) * np.sin(yy * f * np.pi)
        return np.clip(base + (weave * 0.03)[..., None], 0, 1)
    if mood == "duotone":
        field = _smooth_noise(rng, n, int(rng.integers(2, 5)))
        pair = cols[:2] if len(cols) > 1 else np.stack([cols[0], cols[0] * 0.5])
        return _ramp(field, pair)
    msg = f"unknown mood {mood!r} (known: {', '.join(MOODS)})"
    raise ValueError(msg)


def random_palette(rng: np.random.Generator) -> Array:
    """2-4 colours that belong together: a hue family with one accent, as brands pick."""
    k = int(rng.integers(2, PALETTE_SIZE + 1))
    hue = rng.uniform(0, 1)
    out = []
    for j in range(k):
        h = (hue + (0.5 if j == k - 1 and rng.random() < 0.5 else rng.normal(0, 0.06))) % 1
        s = rng.uniform(0.15, 0.75)
        v = rng.uniform(0.35, 0.98)
        out.append(_hsv(h, s, v))
    return np.array(out)


def _hsv(h: float, s: float, v: float) -> list[float]:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]  # type: ignore[return-value]


def palette_planes(palette: Array, n: int) -> Array:
    """The conditioning input: PALETTE_SIZE colours (repeated to fill) as constant planes,
    (3 * PALETTE_SIZE) x n x n in [-1, 1]."""
    idx = [i % len(palette) for i in range(PALETTE_SIZE)]
    flat = (palette[idx].reshape(-1) * 2 - 1)[:, None, None]
    return np.broadcast_to(flat, (3 * PALETTE_SIZE, n, n)).copy()


def batch(rng: np.random.Generator, size: int, n: int = 32) -> tuple[Array, Array, Array]:
    """(images 3xnxn in [-1, 1], palette planes, mood ids) for training."""
    images, conds, moods = [], [], []
    for _ in range(size):
        pal = random_palette(rng)
        m = int(rng.integers(len(MOODS)))
        images.append(paint(MOODS[m], pal, rng, n).transpose(2, 0, 1) * 2 - 1)
        conds.append(palette_planes(pal, n))
        moods.append(m)
    return np.stack(images), np.stack(conds), np.array(moods)
