"""`cta`: a call-to-action button, a brand-coloured vector shape with its label."""

from __future__ import annotations

from typing import ClassVar

from copyplate.color import parse_hex
from copyplate.layouts.models import CtaRegion, RegionBase
from copyplate.renderers.copy.base import Layer, RenderContext, copy_of, copy_renderers
from copyplate.renderers.copy.typeset import set_copy


@copy_renderers.register("cta")
class CtaRenderer:
    name: ClassVar[str] = "cta"
    kinds: ClassVar[tuple[str, ...]] = ("cta",)

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, CtaRegion)
        lc = ctx.campaign
        fill = parse_hex(lc.color(region.background))
        text, _ = copy_of(region, ctx)
        layer = set_copy(region, ctx, text, region.shape, fill, radius=region.corner_radius)
        layer.meta.update({"renderer": self.name, "background": lc.color(region.background)})
        return layer
