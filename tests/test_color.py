"""Colour maths: the 8-bit lookup gives the formula's luminance exactly."""

from __future__ import annotations

import numpy as np

from copyplate.color import luminance_tails, relative_luminance


def test_eight_bit_lookup_is_the_formula() -> None:
    rgb = np.random.default_rng(7).integers(0, 256, (4096, 3)).astype(np.uint8)
    c = rgb.astype(np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    want = lin[:, 0] * 0.2126 + lin[:, 1] * 0.7152 + lin[:, 2] * 0.0722
    assert np.array_equal(relative_luminance(rgb), want)
    assert np.array_equal(relative_luminance(rgb.astype(np.float64)), want)
    assert float(relative_luminance((255, 255, 255))) == 1.0
    assert float(relative_luminance((0, 0, 0))) == 0.0


def test_tails_of_a_two_tone_crop() -> None:
    crop = np.zeros((10, 10, 3), np.uint8)
    crop[:, 5:] = 255
    assert luminance_tails(crop) == (0.0, 1.0)
