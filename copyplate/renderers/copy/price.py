"""`price`: a price badge. The copy is an amount + currency, formatted per locale by CLDR."""

from __future__ import annotations

from typing import ClassVar

from copyplate.color import parse_hex
from copyplate.layouts.models import Price, PriceRegion, RegionBase
from copyplate.renderers.copy.base import Layer, RenderContext, copy_renderers
from copyplate.renderers.copy.typeset import set_copy


@copy_renderers.register("price")
class PriceRenderer:
    name: ClassVar[str] = "price"
    kinds: ClassVar[tuple[str, ...]] = ("price",)

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, PriceRegion)
        lc = ctx.campaign
        key = lc.copy_key(region.copy_key, ctx.variant)
        value = lc.copy_value(key, ctx.locale)
        assert isinstance(value, Price)  # the loader refuses anything else
        fill = parse_hex(lc.color(region.background)) if region.background else None
        layer = set_copy(region, ctx, lc.text(key, ctx.locale), region.shape, fill)
        layer.meta.update(
            {
                "renderer": self.name,
                "amount": str(value.amount),
                "currency": value.currency,
                "numbering_system": lc.locale(ctx.locale).numbering_system,
            }
        )
        if fill is not None:
            layer.meta["background"] = lc.color(region.background or "")
        return layer
