"""`image` and `logo`: pictures from files inside the campaign folder, fitted to the box.

Image regions: photos and cut-outs (alpha, or a mask file), placed by fit and focal point,
anchor or smart crop, with an optional contact shadow; enlarging beyond `max_upscale` is a
finding (`image.resolution`), not a silent blur. Logo regions: the colour variant that
stands out from the plate under the box, at `scale` of the box, anchored."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from copyplate.color import parse_hex, relative_luminance, wcag_ratio
from copyplate.errors import RenderError
from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import ImageRegion, LogoRegion, RegionBase
from copyplate.layouts.sources import safe_path
from copyplate.renderers.copy.base import Layer, LayerMeta, RenderContext, copy_renderers
from copyplate.renderers.copy.imagery import (
    ANCHORS,
    ImageProblem,
    alpha_grid,
    contact_shadow,
    has_alpha,
    load_image,
    place,
    smart_focal,
)


def _path(lc: LoadedCampaign, region_id: str, rel: str) -> Path:
    target = safe_path(lc.root, rel)
    if isinstance(target, str):
        raise RenderError(f"region {region_id!r}: {target}")
    return target


def _load(lc: LoadedCampaign, region_id: str, rel: str, mask: str | None = None) -> Image.Image:
    try:
        return load_image(
            _path(lc, region_id, rel),
            rel,
            _path(lc, region_id, mask) if mask else None,
            mask or "",
        )
    except ImageProblem as e:
        raise RenderError(f"region {region_id!r}: {e}") from None


def ink_luminance(im: Image.Image) -> float:
    """Relative luminance of a logo's ink: the alpha-weighted mean colour."""
    px = np.asarray(im, np.float64)
    a = px[..., 3:4] / 255.0
    total = float(a.sum()) or 1.0
    rgb = (px[..., :3] * a).reshape(-1, 3).sum(axis=0) / total
    return float(relative_luminance(tuple(round(c) for c in rgb)))


def backdrop_luminance(ctx: RenderContext, rect: Rect) -> float | None:
    if ctx.backdrop is None:
        return None
    patch = np.asarray(ctx.backdrop.crop((rect.x, rect.y, rect.right, rect.bottom)), np.float64)
    return float(np.median(relative_luminance(patch)))


@copy_renderers.register("image")
class ImageRenderer:
    name: ClassVar[str] = "image"
    kinds: ClassVar[tuple[str, ...]] = ("logo", "image")

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        if isinstance(region, LogoRegion):
            return self._logo(region, ctx)
        assert isinstance(region, ImageRegion)
        return self._image(region, ctx)

    def _image(self, region: ImageRegion, ctx: RenderContext) -> Layer:
        rect = ctx.campaign.region_rect(region, ctx.size)
        im = _load(ctx.campaign, region.id, region.src, region.mask)
        meta: LayerMeta = {"renderer": self.name, "src": region.src, "fit": region.fit}
        focal: tuple[float, float] | None = None
        if region.focal is not None:
            focal = (region.focal.x, region.focal.y)
            meta["focal_source"] = "focal"
        elif region.fit == "cover" and region.crop != "anchor":
            fx, fy, how = smart_focal(im, rect.w, rect.h, region.crop)
            focal = (round(fx, 4), round(fy, 4))
            meta["focal_source"] = how
        else:
            meta["anchor"] = region.anchor
        if focal is not None:
            meta["focal"] = [focal[0], focal[1]]
        placed = place(im, rect.w, rect.h, region.fit, region.anchor, focal)
        meta["crop"] = placed.crop
        meta["scale"] = round(placed.scale, 4)
        layer = placed.image
        cutout = has_alpha(im)
        if cutout:
            # What copy must not cover: the product itself, not its shadow.
            meta["alpha_grid"] = alpha_grid(layer.getchannel("A"))
            meta["protect"] = region.protect
            if region.shadow is not None:
                s = region.shadow
                r, g, b, _ = parse_hex(ctx.campaign.color(s.color))
                layer = contact_shadow(layer, s.opacity, s.blur, s.offset, s.squash, (r, g, b))
                meta["shadow"] = True
        ok = placed.scale <= region.max_upscale
        finding = Finding(
            "image.resolution",
            region.id,
            ok,
            f"enlarged {placed.scale:.2f}x"
            if ok
            else f"image {region.src!r} would be enlarged {placed.scale:.2f}x to fill "
            f"{rect.w}x{rect.h}; max_upscale is {region.max_upscale}: supply a larger image",
            measured=round(placed.scale, 4),
            expected=region.max_upscale,
            bbox=rect.as_list(),
            # A larger file is the only fix; no relaxation of the layout makes pixels.
            action="none" if ok else "fail",
        )
        return Layer(region.id, rect, layer, region.z, meta, [finding])

    def _logo(self, region: LogoRegion, ctx: RenderContext) -> Layer:
        rect = ctx.campaign.region_rect(region, ctx.size)
        choices: dict[str, str] = {"default": region.src}
        choices.update({str(k): v for k, v in region.variants.items()})
        images = {k: _load(ctx.campaign, region.id, v) for k, v in choices.items()}
        chosen = "default"
        bg = backdrop_luminance(ctx, rect)
        if region.variants and bg is not None:
            # The variant that stands out most from the plate under the box.
            chosen = max(region.variants, key=lambda k: wcag_ratio(ink_luminance(images[k]), bg))
        im = images[chosen]
        w = max(1, round(rect.w * region.scale))
        h = max(1, round(rect.h * region.scale))
        placed = place(im, w, h, region.fit)
        ax, ay = ANCHORS[region.anchor]
        ox, oy = round(ax * (rect.w - w)), round(ay * (rect.h - h))
        layer = Image.new("RGBA", (rect.w, rect.h), (0, 0, 0, 0))
        layer.alpha_composite(placed.image, (ox, oy))
        # The logo's extent: over half opaque (resampling fringes are not the mark).
        solid = layer.getchannel("A").point(lambda v: 255 if v > 127 else 0)
        bbox = solid.getbbox() or (0, 0, rect.w, rect.h)
        ink = [rect.x + bbox[0], rect.y + bbox[1], bbox[2] - bbox[0], bbox[3] - bbox[1]]
        meta: LayerMeta = {
            "renderer": self.name,
            "src": choices[chosen],
            "variant": chosen,
            "ink_box": ink,
            "clear_space": region.clear_space,
            "min_px": region.min_px,
            "min_contrast": region.min_contrast,
            "scale": region.scale,
        }
        return Layer(region.id, rect, layer, region.z, meta)
