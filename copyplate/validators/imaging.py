"""Image work shared by validators (OpenCV): crops, glyph masks, rings around glyphs."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from copyplate.color import parse_hex
from copyplate.layouts.geometry import Rect
from copyplate.validators.base import AssetView, RegionSpec

Mask = NDArray[np.bool_]


def text_rect(asset: AssetView, region: RegionSpec, pad: int = 0) -> Rect:
    """Where the copy's ink is: the manifest's text_bbox when given, else the box."""
    x, y, w, h = region.m.text_bbox or region.m.box
    box = region.box
    # Never past the region's box: the copy cannot be outside it, the plate is.
    x0, y0 = max(box.x, int(x) - pad), max(box.y, int(y) - pad)
    x1, y1 = min(box.right, int(x) + int(w) + pad), min(box.bottom, int(y) + int(h) + pad)
    W, H = asset.image.size  # not `asset.gray`: a retry's one region needs no grey canvas
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    return Rect(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def glyph_coverage(
    rgb: NDArray[np.uint8], color: str | None, d_ink: NDArray[np.float32] | None = None
) -> NDArray[np.float32]:
    """How much of each pixel is glyph, 0..1: the pixel's position between the background
    and the ink colour. Thin antialiased strokes keep their partial coverage, where a
    threshold would drop them in one rendering and keep them in another. `d_ink`: the
    pixels' squared distances to `color`, flat, when already known."""
    if rgb.size == 0:
        return np.zeros(rgb.shape[:2], dtype=np.float32)
    if color:
        ink = np.array(parse_hex(color)[:3], dtype=np.float32)
        bg = _background(rgb, ink, _sq_distance(rgb, ink) if d_ink is None else d_ink)
    else:
        mask = glyph_mask(rgb, None).reshape(-1)
        if mask.all() or not mask.any():
            return mask.reshape(rgb.shape[:2]).astype(np.float32)
        px = rgb.reshape(-1, 3).astype(np.float32)
        ink, bg = np.median(px[mask], axis=0), np.median(px[~mask], axis=0)
    span = (ink - bg).astype(np.float32)
    denom = float(span @ span) or 1.0
    # The projection by OpenCV, not `@`: numpy hands a product over a whole crop to
    # OpenBLAS, whose threads then spin for a while after it, taking CPU from the other
    # workers (a warm 2-worker batch used ~20% more CPU).
    t = np.asarray(cv2.transform(np.subtract(rgb, bg, dtype=np.float32), span.reshape(1, 3)))
    out: NDArray[np.float32] = np.clip(t.reshape(rgb.shape[:2]) / denom, 0, 1).astype(np.float32)
    return out


def _sq_distance(rgb: NDArray[np.uint8], colour: NDArray[np.float32]) -> NDArray[np.float32]:
    """Squared RGB distance of every pixel to `colour`, flat. OpenCV's pass over the image
    is a third of numpy's; the values are exact (integers and quarters below 2**24 in
    float32), so the masks built on them are numpy's to the pixel."""
    d = np.subtract(rgb, colour, dtype=np.float32)
    out: NDArray[np.float32] = np.asarray(
        cv2.transform(cv2.multiply(d, d), _ONES), dtype=np.float32
    ).reshape(-1)
    return out


_ONES = np.ones((1, 3), np.float32)


def _background(
    rgb: NDArray[np.uint8], ink: NDArray[np.float32], d_ink: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Typical background colour: the median of pixels far from the ink (`d_ink`, squared
    distances); a sample suffices."""
    far = np.flatnonzero(d_ink > 80.0**2)
    if len(far) > 20_000:
        far = far[:: len(far) // 20_000]
    if not len(far):
        return 255.0 - ink
    sample: NDArray[np.float32] = np.median(rgb.reshape(-1, 3)[far].astype(np.float32), axis=0)
    return sample


def glyph_mask(
    rgb: NDArray[np.uint8], color: str | None, d_ink: NDArray[np.float32] | None = None
) -> Mask:
    """Pixels that belong to the glyphs.

    With the text colour known (our manifests record it) a pixel is ink when it is much
    closer to that colour than the crop's typical background. Otherwise Otsu splits the
    grey levels and the class that is rarer along the crop's border is the ink.
    """
    if rgb.size == 0:
        return np.zeros(rgb.shape[:2], dtype=bool)
    if color:
        ink = np.array(parse_hex(color)[:3], dtype=np.float32)
        d_ink = _sq_distance(rgb, ink) if d_ink is None else d_ink
        bg = _background(rgb, ink, d_ink)
        d_bg = _sq_distance(rgb, bg)
        gap = float(np.linalg.norm(ink - bg))
        mask = (d_ink < d_bg) & (d_ink < max(40.0, gap * 0.5) ** 2)
        return np.asarray(mask.reshape(rgb.shape[:2]), dtype=bool)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    _, th = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = th == 0
    border = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
    return np.asarray(dark if border.mean() < 0.5 else ~dark, dtype=bool)


def region_mask(asset: AssetView, region: RegionSpec, rect: Rect | None = None) -> Mask:
    """The glyph mask of the region's box, computed once per asset, sliced to `rect`
    (which must lie inside the box)."""
    box = region.box
    key = ("glyph_mask", region.id)
    if key not in asset.cache:
        d_ink = _ink_distance(asset, region)
        flat = None if d_ink is None else d_ink.reshape(-1)
        asset.cache[key] = glyph_mask(asset.crop(box), region.m.color, flat)
    mask: Mask = asset.cache[key]
    return mask if rect is None else _in_box(mask, box, rect)


def region_coverage(asset: AssetView, region: RegionSpec, rect: Rect) -> NDArray[np.float32]:
    """`glyph_coverage` of `rect` (inside the region's box), from the distances to the ink
    the region's mask measured: the same values, measured once."""
    rgb = asset.crop(rect)
    d_box = _ink_distance(asset, region)
    box = region.box
    if d_box is None or rgb.size == 0 or rect.x < box.x or rect.y < box.y:
        return glyph_coverage(rgb, region.m.color)
    d = _in_box(d_box, box, rect)
    if d.shape != rgb.shape[:2]:  # reaches past the box: measured alone
        return glyph_coverage(rgb, region.m.color)
    return glyph_coverage(rgb, region.m.color, d.reshape(-1))


def _in_box(a: NDArray[Any], box: Rect, rect: Rect) -> NDArray[Any]:
    """`a`, measured over the region's box, sliced to `rect` (inside the box)."""
    x0, y0 = max(0, rect.x - box.x), max(0, rect.y - box.y)
    return a[y0 : y0 + rect.h, x0 : x0 + rect.w]


def _ink_distance(asset: AssetView, region: RegionSpec) -> NDArray[np.float32] | None:
    """Squared distances of the box's pixels to the copy's colour, once per asset; None
    when the manifest names no colour."""
    if not region.m.color:
        return None
    key = ("ink_distance", region.id)
    if key not in asset.cache:
        ink = np.array(parse_hex(region.m.color)[:3], dtype=np.float32)
        rgb = asset.crop(region.box)
        asset.cache[key] = _sq_distance(rgb, ink).reshape(rgb.shape[:2])
    d: NDArray[np.float32] = asset.cache[key]
    return d


def ring(mask: Mask, inner: int, outer: int) -> Mask:
    """Background pixels between `inner` and `outer` px away from the glyphs."""
    m = mask.astype(np.uint8)

    def grow(r: int) -> Mask:
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        return np.asarray(cv2.dilate(m, disk) > 0, dtype=bool)

    return grow(outer) & ~grow(inner)


def runs(flags: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of each run of True in the 1-D array `flags`."""
    out: list[tuple[int, int]] = []
    start = None
    for i, f in enumerate([*flags.tolist(), False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i))
            start = None
    return out


def core(mask: Mask) -> Mask:
    """Glyph pixels away from antialiased edges (falls back to the mask for thin strokes)."""
    eroded = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return eroded if eroded.sum() >= 20 else mask


def without_holder(mask: NDArray[np.bool_], band: int = 3) -> NDArray[np.bool_]:
    """The glyph mask less what a card, pill or scrim behind the copy leaves in it: pieces
    that lie wholly along the box's edge (the holder's antialiased outline) and pieces
    that touch two of its sides (the plate showing past rounded ends and corners)."""
    h, w = mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    out = mask.copy()
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i][:4])
        sides = (x == 0) + (y == 0) + (x + bw == w) + (y + bh == h)
        along = (x + bw <= band or x >= w - band) or (y + bh <= band or y >= h - band)
        if (sides >= 2 and _hugs_border(labels == i, bw, bh)) or (sides and along):
            out[labels == i] = False
    return out


def _hugs_border(piece: Mask, bw: int, bh: int) -> bool:
    """Whether a piece that touches two sides of the crop is a holder's: it holds a corner
    of the crop (the plate past a rounded corner or end), or it all lies near the border
    (a rounded outline: within 0.3 of its radius). A glyph that a tight box touches on two
    sides (฿ at top and bottom, € at top and right) reaches further in."""
    h, w = piece.shape
    if piece[0, 0] or piece[0, w - 1] or piece[h - 1, 0] or piece[h - 1, w - 1]:
        return True
    ys, xs = np.nonzero(piece)
    depth = np.minimum(np.minimum(xs, w - 1 - xs), np.minimum(ys, h - 1 - ys))
    return float(depth.max()) <= max(3.0, 0.3 * min(bw, bh))
