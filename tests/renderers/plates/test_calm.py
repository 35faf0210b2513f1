"""Layout-aware plates: calmer areas under the copy boxes, and a cache key that knows them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from copyplate.pipeline.asset import plate_request
from copyplate.renderers.plates.base import PlateRequest, calm_under
from tests.conftest import edit_json


def busy(w: int = 400, h: int = 300) -> Image.Image:
    rng = np.random.default_rng(3)
    small = rng.integers(0, 255, (h // 10, w // 10, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((w, h), Image.Resampling.NEAREST)


def req(boxes: list[list[int]], calm: float) -> PlateRequest:
    return PlateRequest("p", 400, 300, ("#000000",), extra={"copy_boxes": boxes, "calm": calm})


def test_calm_lowers_detail_under_the_boxes_only() -> None:
    plate = busy()
    out = calm_under(plate, req([[40, 40, 160, 80]], 1.0))
    a, b = np.asarray(plate.convert("L"), float), np.asarray(out.convert("L"), float)
    inside = (slice(50, 110), slice(50, 190))
    assert b[inside].std() < 0.25 * a[inside].std()
    # The luminance tails under copy come in: what the contrast check measures.
    assert np.percentile(b[inside], 98) - np.percentile(b[inside], 2) < 0.4 * (
        np.percentile(a[inside], 98) - np.percentile(a[inside], 2)
    )
    far = (slice(200, 300), slice(250, 400))
    assert (a[far] == b[far]).all()
    # Half strength is in between; no boxes, or strength 0, changes nothing.
    half = np.asarray(calm_under(plate, req([[40, 40, 160, 80]], 0.5)).convert("L"), float)
    assert b[inside].std() < half[inside].std() < a[inside].std()
    assert calm_under(plate, req([], 1.0)) is plate
    assert calm_under(plate, req([[0, 0, 10, 10]], 0.0)) is plate


def test_plate_request_carries_the_layout_only_when_asked(
    sample_copy: Callable[[str], Path],
) -> None:
    from copyplate.layouts.loader import load_campaign

    path = sample_copy("spring-sale")
    lc = load_campaign(path)
    size = lc.campaign.sizes[0]
    plain = plate_request(lc, size, "default")
    assert plain.extra == {}
    edit_json(path, lambda c: c["plate"].update(calm_under_copy=0.8))
    lc2 = load_campaign(path)
    aware = plate_request(lc2, size, "default")
    boxes = aware.extra["copy_boxes"]
    copy_regions = [r for r in lc2.campaign.regions if r.kind in ("text", "price", "cta")]
    assert len(boxes) == len(copy_regions) and aware.extra["calm"] == 0.8
    assert boxes[0] == lc2.region_rect(copy_regions[0], size).as_list()
    # The cache key includes the layout: moving a box makes another plate.
    assert aware.key("m") != plain.key("m")
    edit_json(path, lambda c: c["regions"][0]["box"].update(y=0.5))
    moved = plate_request(load_campaign(path), size, "default")
    assert moved.key("m") != aware.key("m")
