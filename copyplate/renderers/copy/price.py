"""`price`: a price badge. The copy is an amount + currency, formatted per locale by CLDR."""

from __future__ import annotations

from typing import ClassVar

from copyplate.color import parse_hex
from copyplate.layouts.models import PriceRegion, RegionBase
from copyplate.renderers.copy.base import Layer, RenderContext, add_price, copy_of, copy_renderers
from copyplate.renderers.copy.typeset import set_copy


@copy_renderers.register("price")
class PriceRenderer:
    name: ClassVar[str] = "price"
    kinds: ClassVar[tuple[str, ...]] = ("price",)

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, PriceRegion)
        lc = ctx.campaign
        text, price = copy_of(region, ctx)
        fill = parse_hex(lc.color(region.background)) if region.background else None
        layer = set_copy(region, ctx, text, region.shape, fill)
        layer.meta["renderer"] = self.name
        add_price(layer.meta, price)
        if fill is not None:
            layer.meta["background"] = lc.color(region.background or "")
        return layer
