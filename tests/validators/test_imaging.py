"""Glyph masks (validators/imaging.py): the OpenCV distance pass gives numpy's masks to the
pixel, on plates with copy, antialiased edges and an odd background median."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from copyplate.color import parse_hex
from copyplate.validators.imaging import glyph_coverage, glyph_mask

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _numpy_background(rgb: np.ndarray, ink: np.ndarray) -> np.ndarray:
    px = rgb.reshape(-1, 3).astype(np.float32)
    far = px[((px - ink) ** 2).sum(axis=1) > 80.0**2]
    if len(far) > 20_000:
        far = far[:: len(far) // 20_000]
    return np.median(far, axis=0) if len(far) else 255.0 - ink


def _numpy_mask(rgb: np.ndarray, color: str) -> np.ndarray:
    """The mask as first written, in plain numpy."""
    ink = np.array(parse_hex(color)[:3], dtype=np.float32)
    px = rgb.reshape(-1, 3).astype(np.float32)
    bg = _numpy_background(rgb, ink)
    d_ink = ((px - ink) ** 2).sum(axis=1)
    d_bg = ((px - bg) ** 2).sum(axis=1)
    gap = float(np.linalg.norm(ink - bg))
    return ((d_ink < d_bg) & (d_ink < max(40.0, gap * 0.5) ** 2)).reshape(rgb.shape[:2])


@pytest.mark.parametrize("seed", range(6))
def test_glyph_mask_is_numpys_to_the_pixel(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(40, 900)), int(rng.integers(20, 300))
    # a grainy plate (an even number of far pixels gives a half-integer median)
    plate = (rng.random((h, w, 3)) * rng.integers(10, 120) + rng.integers(0, 130)).astype(np.uint8)
    img = Image.fromarray(plate)
    colour = "#" + "".join(f"{int(v):02x}" for v in rng.integers(0, 256, 3))
    ImageDraw.Draw(img).text(
        (4, 2), "Spring 1 299,00 €", font=ImageFont.truetype(DEJAVU, max(8, h // 2)), fill=colour
    )
    rgb = np.asarray(img)
    want = _numpy_mask(rgb, colour)
    assert np.array_equal(glyph_mask(rgb, colour), want)
    # the same pixels through a view of a larger image, as region crops are
    big = np.zeros((h + 10, w + 10, 3), np.uint8)
    big[5 : 5 + h, 5 : 5 + w] = rgb
    assert np.array_equal(glyph_mask(big[5 : 5 + h, 5 : 5 + w], colour), want)
    cov = glyph_coverage(rgb, colour)
    assert cov.shape == rgb.shape[:2] and 0.0 <= float(cov.min()) <= float(cov.max()) <= 1.0
    # OpenCV's projection (no BLAS threads) is numpy's `@` to float32 rounding
    ink = np.array(parse_hex(colour)[:3], dtype=np.float32)
    bg = _numpy_background(rgb, ink)
    span = ink - bg
    t = ((rgb.reshape(-1, 3).astype(np.float32) - bg) @ span) / float(span @ span)
    np.testing.assert_allclose(cov, np.clip(t, 0, 1).reshape(rgb.shape[:2]), atol=1e-6)


@pytest.mark.parametrize(
    ("box", "rect"),
    [((0, 0, 300, 120), (20, 10, 200, 80)), ((40, 30, 400, 200), (40, 40, 280, 130))],
)
def test_region_coverage_reuses_the_boxs_distances_to_the_pixel(
    box: tuple[int, int, int, int], rect: tuple[int, int, int, int]
) -> None:
    """Coverage of a rect inside a region's box, sliced from the distances the box's mask
    measured, is the coverage of the rect's crop measured alone."""
    from pathlib import Path

    from copyplate.layouts.geometry import Rect
    from copyplate.validators.base import AssetView, RegionSpec
    from copyplate.validators.contract import Manifest, ManifestRegion
    from copyplate.validators.imaging import region_coverage, region_mask

    rng = np.random.default_rng(7)
    img = Image.fromarray((rng.random((160, 320, 3)) * 90 + 120).astype(np.uint8))
    ImageDraw.Draw(img).text(
        (25, 45), "Sale 1 299 €", font=ImageFont.truetype(DEJAVU, 40), fill="#1a2b3c"
    )
    m = ManifestRegion.model_validate(
        {"id": "h", "kind": "text", "box": list(box), "text": "Sale", "color": "#1a2b3c"}
    )
    man = Manifest.model_validate({"image": "t.png", "regions": [m]})
    view = AssetView(Path("<t>"), man, img, [RegionSpec(m, "en-US")])
    region_mask(view, view.regions[0])  # measures the box's distances first
    r = Rect(*rect)
    want = glyph_coverage(np.asarray(img)[max(0, r.y) : r.bottom, max(0, r.x) : r.right], "#1a2b3c")
    assert np.array_equal(region_coverage(view, view.regions[0], r), want)
