"""Vector shapes for badges and buttons, antialiased by supersampling."""

from __future__ import annotations

import functools
import math

from PIL import Image, ImageDraw

SUPERSAMPLE = 4


def shape_image(
    kind: str, size: tuple[int, int], fill: tuple[int, int, int, int], radius: float = 0.5
) -> Image.Image:
    """An RGBA image of `size` with the shape filled; `radius` is a fraction of the height."""
    return _shape(kind, size, fill, radius).copy()


# Every locale of a size draws the same badge (and the harmony plan draws each once more):
# supersampling and resizing it is most of a badge's cost, so each is drawn once.
@functools.lru_cache(maxsize=64)
def _shape(
    kind: str, size: tuple[int, int], fill: tuple[int, int, int, int], radius: float
) -> Image.Image:
    w, h = size
    s = SUPERSAMPLE
    big = Image.new("RGBA", (w * s, h * s), (0, 0, 0, 0))
    d = ImageDraw.Draw(big)
    box = (0, 0, w * s - 1, h * s - 1)
    if kind == "pill":
        d.rounded_rectangle(box, radius=min(w, h) * s / 2, fill=fill)
    elif kind == "rect":
        d.rounded_rectangle(box, radius=max(0.0, radius) * h * s, fill=fill)
    elif kind == "circle":
        d.ellipse(box, fill=fill)
    elif kind == "burst":
        cx, cy = w * s / 2, h * s / 2
        rx, ry = w * s / 2, h * s / 2
        pts = []
        n = 16
        for i in range(2 * n):
            r = 1.0 if i % 2 == 0 else 0.86
            a = math.pi * i / n
            pts.append((cx + rx * r * math.cos(a), cy + ry * r * math.sin(a)))
        d.polygon(pts, fill=fill)
    return big.resize((w, h), Image.Resampling.LANCZOS)


def text_area(kind: str, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Padding (left, top, right, bottom) that keeps text inside the shape's flat part."""
    w, h = size
    if kind == "pill":
        return (round(h * 0.4), round(h * 0.14), round(h * 0.4), round(h * 0.14))
    if kind == "rect":
        return (round(h * 0.25), round(h * 0.14), round(h * 0.25), round(h * 0.14))
    if kind in ("circle", "burst"):
        # The largest axis-aligned rectangle inside an ellipse is w/sqrt2 x h/sqrt2.
        k = (1 - 1 / math.sqrt(2)) / 2 + (0.05 if kind == "burst" else 0.02)
        return (round(w * k), round(h * k), round(w * k), round(h * k))
    return (0, 0, 0, 0)
