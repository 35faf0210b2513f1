"""Golden images compared with a tolerance. COPYPLATE_UPDATE_GOLDENS=1 rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image


def assert_matches_golden(
    image: Image.Image, path: Path, mean_tol: float = 1.0, frac_tol: float = 0.002
) -> None:
    """Mean absolute difference at most `mean_tol` (0-255) and at most `frac_tol` of the
    pixels off by more than 64: antialiasing may drift between FreeType builds, a moved,
    missing or different glyph may not."""
    if os.environ.get("COPYPLATE_UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
    assert path.is_file(), f"no golden {path}: run with COPYPLATE_UPDATE_GOLDENS=1 and look at it"
    want = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    got = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert got.shape == want.shape, f"size {got.shape} != golden {want.shape}"
    diff = np.abs(got - want).max(axis=2)
    mean = float(diff.mean())
    frac = float((diff > 64).mean())
    if mean > mean_tol or frac > frac_tol:
        out = path.with_suffix(".actual.png")
        image.save(out)
        raise AssertionError(
            f"{path.name}: mean diff {mean:.2f} (tol {mean_tol}), {frac:.2%} pixels off "
            f"(tol {frac_tol:.2%}); wrote {out}"
        )
