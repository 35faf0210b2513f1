"""`gradient`: a procedural plate from the palette: soft multi-point gradient, light blooms
and fine grain. Deterministic, fast, no model: the fallback and the test workhorse."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from PIL import Image, ImageFilter

from copyplate.color import parse_hex
from copyplate.renderers.plates.base import PlateRequest, plate_generators


@plate_generators.register("gradient")
class GradientPlate:
    name: ClassVar[str] = "gradient"

    @property
    def model_id(self) -> str:
        return "copyplate/gradient@2"

    def generate(self, req: PlateRequest) -> Image.Image:
        rng = np.random.default_rng(req.seed)
        # Work small and upscale: a soft plate has no detail worth computing at full size.
        w = max(16, req.width // 8)
        h = max(16, req.height // 8)
        cols = np.array([parse_hex(c)[:3] for c in req.palette], dtype=np.float64)
        yy, xx = np.mgrid[0:h, 0:w]
        xx = xx / max(w - 1, 1)
        yy = yy / max(h - 1, 1)
        pts = rng.uniform(-0.2, 1.2, size=(len(cols), 2))
        d = np.stack([(xx - px) ** 2 + (yy - py) ** 2 for px, py in pts])
        weights = np.exp(-d / rng.uniform(0.08, 0.25))
        weights /= weights.sum(axis=0, keepdims=True)
        img = np.tensordot(weights.transpose(1, 2, 0), cols, axes=([2], [0]))
        for _ in range(int(rng.integers(3, 7))):  # light blooms, like out-of-focus highlights
            cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
            bloom = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
            img += bloom[..., None] * rng.uniform(10, 35)
        small = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
        big = small.resize((req.width, req.height), Image.Resampling.BICUBIC)
        big = big.filter(ImageFilter.GaussianBlur(radius=max(req.width, req.height) / 200))
        grain = rng.normal(0, 2.0, size=(req.height, req.width, 1))
        out = np.clip(np.asarray(big, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
        return Image.fromarray(out, "RGB")

    def inpaint(self, plate: Image.Image, mask: Image.Image, req: PlateRequest) -> Image.Image:
        """Replace the masked pixels with a calm fill: the mean colour of the ring around them."""
        base = np.asarray(plate.convert("RGB"), dtype=np.float64)
        m = np.asarray(mask.convert("L")) > 127
        ring = np.asarray(mask.convert("L").filter(ImageFilter.MaxFilter(15))) > 127
        ring &= ~m
        fill = base[ring].mean(axis=0) if ring.any() else base.mean(axis=(0, 1))
        out = base.copy()
        out[m] = fill
        return Image.fromarray(out.astype(np.uint8), "RGB")
