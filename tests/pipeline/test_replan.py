"""Region-only retries: what changes, what must not, and that attempts are bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from copyplate.pipeline.asset import render_copy
from copyplate.pipeline.plan import Job
from copyplate.pipeline.produce import produce
from copyplate.pipeline.replan import MAX_ATTEMPTS
from copyplate.renderers.plates.base import PlateRequest, plate_generator
from tests.renderers.copy.helpers import campaign, text_region


def outside_equal(a: Image.Image, b: Image.Image, box: list[int]) -> bool:
    x, y, w, h = box
    pa, pb = np.asarray(a).copy(), np.asarray(b).copy()
    pa[y : y + h, x : x + w] = 0
    pb[y : y + h, x : x + w] = 0
    return bool((pa == pb).all())


def test_low_contrast_region_is_fixed_alone(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [
            text_region(
                "head",
                color="ink",
                contrast_aid="none",
                max_font_px=48,
                box={"x": 0.05, "y": 0.05, "w": 0.9, "h": 0.4},
            ),
            text_region(
                "sub",
                color="paper",
                font_role="body",
                max_font_px=30,
                box={"x": 0.05, "y": 0.55, "w": 0.9, "h": 0.35},
            ),
        ],
        {"en-US": {"head": "Spring Sale", "sub": "Fresh picks for every room"}},
    )
    job = Job("t", "en-US", "s", "default")
    plate = Image.new("RGB", (800, 400), "#202020")  # dark: the ink headline cannot be read
    before, _ = render_copy(lc, job, plate)
    asset = produce(lc, job, plate, {})
    assert asset.ok, {
        k: [f.message for f in v if not f.passed] for k, v in asset.validation.items()
    }
    [attempt, *_] = asset.attempts["head"]
    assert (
        attempt["because"][0].startswith("contrast.")
        and attempt["changed"] == {"contrast_aid": "swap"}
        and attempt["passed"]
    )
    assert "sub" not in asset.attempts
    head = next(x for x in asset.layers if x.region == "head")
    assert outside_equal(before, asset.image, head.rect.as_list())
    assert not outside_equal(before, asset.image, [0, 0, 0, 0])  # the headline did change


def test_unfixable_region_stops_after_bounded_attempts(tmp_path: Path) -> None:
    grey = {"ink": "#777777", "paper": "#7A7A7A", "accent": "#747474", "on-accent": "#797979"}
    lc = campaign(
        tmp_path,
        [
            text_region(
                "head",
                color="ink",
                contrast_aid="none",
                box={"x": 0.1, "y": 0.1, "w": 0.8, "h": 0.5},
            )
        ],
        {"en-US": {"head": "Spring Sale"}},
        colors=grey,
    )
    job = Job("t", "en-US", "s", "default")
    plate = Image.new("RGB", (800, 400), "#787878")
    gen = plate_generator("gradient")
    req = PlateRequest("p", 800, 400, ("#787878",))
    before, _ = render_copy(lc, job, plate)
    asset = produce(lc, job, plate, {}, inpaint=lambda p, m: gen.inpaint(p, m, req))
    assert not asset.ok
    attempts = asset.attempts["head"]
    assert 1 <= len(attempts) <= MAX_ATTEMPTS
    assert [a["changed"] for a in attempts][:2] == [
        {"contrast_aid": "swap"},
        {"contrast_aid": "scrim"},
    ]
    assert all(not a["passed"] for a in attempts)
    box = next(x for x in asset.layers if x.region == "head").rect.as_list()
    assert outside_equal(before, asset.image, box)
