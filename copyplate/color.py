"""Colour maths shared by the copy stage (contrast aids) and the contrast validator."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

RGBA = tuple[int, int, int, int]


def parse_hex(value: str) -> RGBA:
    """'#RRGGBB' or '#RRGGBBAA' as an RGBA tuple."""
    h = value.lstrip("#")
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    a = int(h[6:8], 16) if len(h) == 8 else 255
    return (r, g, b, a)


def to_hex(rgba: tuple[int, ...]) -> str:
    return "#" + "".join(f"{v:02X}" for v in rgba[:3])


def _linear(c: NDArray[np.float64]) -> NDArray[np.float64]:
    c = c / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


# The same values for 8-bit channels, looked up: a crop of pixels costs an index, not a
# power per channel (the contrast checks measure every asset's copy regions).
_LINEAR_U8 = _linear(np.arange(256, dtype=np.float64))


def relative_luminance(
    rgb: NDArray[np.float64] | NDArray[np.uint8] | tuple[int, ...],
) -> NDArray[np.float64]:
    """WCAG 2.x relative luminance of sRGB values (last axis: R, G, B)."""
    arr = np.asarray(rgb)
    lin: NDArray[np.float64]
    if arr.dtype == np.uint8:
        lin = _LINEAR_U8[arr[..., :3]]
    else:
        lin = _linear(arr.astype(np.float64)[..., :3])
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def wcag_ratio(l1: float, l2: float) -> float:
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def wcag_large_text(px: float, bold: bool) -> bool:
    """WCAG 2.2 'large scale' text: 18 pt (24 px) or 14 pt (18.66 px) bold."""
    return px >= 24 or (bold and px >= 18.66)


def luminance_tails(pixels: NDArray[np.uint8], tail: float = 2.0) -> tuple[float, float]:
    """The dark and light tails (percentiles) of the luminance of RGB pixels."""
    lum = relative_luminance(pixels.reshape(-1, pixels.shape[-1]))
    lo, hi = np.percentile(lum, [tail, 100 - tail])
    return float(lo), float(hi)


def worst_ratio(color: tuple[int, ...], tails: tuple[float, float]) -> float:
    """Contrast of `color` against the worse of the backdrop's two luminance tails."""
    lc = float(relative_luminance(color))
    return min(wcag_ratio(lc, tails[0]), wcag_ratio(lc, tails[1]))


def apca_lc(text: tuple[int, ...], background: tuple[int, ...]) -> float:
    """APCA-W3 0.0.98G-4g lightness contrast Lc (signed: positive = dark text on light)."""

    def y(c: tuple[int, ...]) -> float:
        r, g, b = ((v / 255.0) ** 2.4 for v in c[:3])
        lum = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
        return float(lum + (0.022 - lum) ** 1.414 if lum < 0.022 else lum)

    yt, yb = y(text), y(background)
    if abs(yb - yt) < 0.0005:
        return 0.0
    if yb > yt:
        sapc = (yb**0.56 - yt**0.57) * 1.14
        return 0.0 if sapc < 0.1 else (sapc - 0.027) * 100
    sapc = (yb**0.65 - yt**0.62) * 1.14
    return 0.0 if sapc > -0.1 else (sapc + 0.027) * 100


def apca_minimum(px: float, bold: bool) -> float:
    """APCA's bronze-level |Lc| for copy: 75 body text, 60 content, 45 headlines."""
    if px >= 36 or (bold and px >= 24):
        return 45.0
    if px >= 24 or (bold and px >= 16):
        return 60.0
    return 75.0
