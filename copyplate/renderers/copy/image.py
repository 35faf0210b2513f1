"""`image`: logos and images from files inside the campaign folder, fitted to the box."""

from __future__ import annotations

from typing import ClassVar

from PIL import Image, ImageOps

from copyplate.errors import RenderError
from copyplate.layouts.models import ImageRegion, LogoRegion, RegionBase
from copyplate.layouts.sources import safe_path
from copyplate.limits import MAX_IMAGE_PIXELS
from copyplate.renderers.copy.base import Layer, LayerMeta, RenderContext, copy_renderers


@copy_renderers.register("image")
class ImageRenderer:
    name: ClassVar[str] = "image"
    kinds: ClassVar[tuple[str, ...]] = ("logo", "image")

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, LogoRegion | ImageRegion)
        lc = ctx.campaign
        rect = lc.region_rect(region, ctx.size)
        target = safe_path(lc.root, region.src)
        if isinstance(target, str):
            raise RenderError(f"region {region.id!r}: {target}")
        try:
            with Image.open(target) as src:
                if src.width * src.height > MAX_IMAGE_PIXELS:
                    msg = f"region {region.id!r}: image {region.src!r} is too large"
                    raise RenderError(msg)
                im = src.convert("RGBA")
        except (OSError, Image.DecompressionBombError) as e:
            raise RenderError(f"region {region.id!r}: cannot read {region.src!r}: {e}") from None
        if region.fit == "cover":
            fitted = ImageOps.fit(im, (rect.w, rect.h), Image.Resampling.LANCZOS)
        else:
            fitted = ImageOps.contain(im, (rect.w, rect.h), Image.Resampling.LANCZOS)
        layer = Image.new("RGBA", (rect.w, rect.h), (0, 0, 0, 0))
        layer.alpha_composite(fitted, ((rect.w - fitted.width) // 2, (rect.h - fitted.height) // 2))
        meta: LayerMeta = {"renderer": self.name, "src": region.src}
        return Layer(region.id, rect, layer, region.z, meta)
