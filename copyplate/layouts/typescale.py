"""Type limits per size: a size's `type_scale` applied to the copy regions' px limits.

Small derived sizes (300x250 from a 1080x1080 master) scale their regions' min_font_px and
max_font_px down with the canvas, so a banner keeps the master's hierarchy instead of
failing on limits written for a canvas four times larger. The floor keeps type legible
(and readable by the OCR validator): a scale never takes a limit below `FLOOR_PX`, and a
region whose own min_font_px is already below the floor keeps it.
"""

from __future__ import annotations

import dataclasses

from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import CtaRegion, OutputSize, PriceRegion, TextRegion

# 10 px: the smallest size the OCR and contrast validators were seen to read reliably in
# the samples' fonts; display ads set legal lines at 9-10 px, copy at more.
FLOOR_PX = 10

TextLike = TextRegion | PriceRegion | CtaRegion


def font_limits(region: TextLike, size: OutputSize) -> tuple[int, int]:
    """(min_font_px, max_font_px) of `region` on `size`, its type scale applied."""
    k = size.type_scale
    if k >= 1:
        return region.min_font_px, region.max_font_px
    lo = max(min(FLOOR_PX, region.min_font_px), round(region.min_font_px * k))
    hi = max(lo, round(region.max_font_px * k))
    return lo, hi


def scaled_type(lc: LoadedCampaign, size_name: str) -> LoadedCampaign:
    """`lc` with every copy region's px limits those of `size_name` (unchanged, the same
    object, when the size has no type scale): what a job of that size renders with."""
    size = lc.size(size_name)
    if size.type_scale >= 1:
        return lc
    regions = []
    for r in lc.campaign.regions:
        if isinstance(r, TextLike):
            lo, hi = font_limits(r, size)
            r = r.model_copy(update={"min_font_px": lo, "max_font_px": hi})
        regions.append(r)
    return dataclasses.replace(lc, campaign=lc.campaign.model_copy(update={"regions": regions}))
