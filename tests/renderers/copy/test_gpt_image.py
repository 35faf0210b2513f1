"""`gpt-image` copy regions, end to end against a local Images API: what is sent, what is
taken back, and how the validators gate it (ship, re-ask relaxed, fall back to typeset)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.asset import manifest_data
from copyplate.pipeline.plan import Job
from copyplate.pipeline.produce import produce
from copyplate.pipeline.replan import composite
from copyplate.renderers.copy.gpt_image import Frame
from tests.renderers.copy.helpers import campaign, text_region

HEADLINE = "Spring sale starts today"
BOX = {"x": 0.05, "y": 0.05, "w": 0.9, "h": 0.3}


def make(tmp: Path, **gpt: Any) -> LoadedCampaign:
    return campaign(
        tmp,
        [
            text_region("headline", backend="gpt-image", box=BOX),
            text_region(
                "legal",
                font_role="body",
                box={"x": 0.05, "y": 0.7, "w": 0.9, "h": 0.2},
                min_font_px=14,
                max_font_px=24,
            ),
        ],
        {"en-US": {"headline": HEADLINE, "legal": "Offer valid while stocks last."}},
        top={"gpt_image": {"max_retries": 1, "max_wait_s": 2, **gpt}},
    )


def plate() -> Image.Image:
    rng = np.random.default_rng(3)
    base = np.full((400, 800, 3), (216, 224, 234), dtype=np.int16)
    base += rng.integers(-6, 7, size=base.shape, dtype=np.int16)
    return Image.fromarray(base.clip(0, 255).astype(np.uint8), "RGB")


def run(lc: LoadedCampaign) -> tuple[Any, dict[str, Any], Image.Image]:
    p = plate()
    asset = produce(lc, Job("t", "en-US", "s", "default"), p, {"model": "test"})
    return asset, {r["id"]: r for r in manifest_data(lc, asset, "a.png")["regions"]}, p


def outside_box_unchanged(lc: LoadedCampaign, asset: Any, p: Image.Image) -> None:
    """Every pixel outside the headline's box is what the plate and the other layers make."""
    rest = composite(p, [x for x in asset.layers if x.region != "headline"])
    a = np.asarray(asset.image).copy()
    b = np.asarray(rest).copy()
    box = lc.region_rect(lc.campaign.regions[0], lc.campaign.sizes[0])
    a[box.y : box.bottom, box.x : box.right] = 0
    b[box.y : box.bottom, box.x : box.right] = 0
    assert np.array_equal(a, b)


def test_a_region_drawn_right_ships_from_gpt_image(tmp_path: Path, images_api: Any) -> None:
    # The service also paints over everything outside the mask: none of that is taken.
    images_api.default = "scribble"
    lc = make(tmp_path)
    asset, regions, p = run(lc)
    head = regions["headline"]
    assert asset.ok
    assert head["backend"] == "gpt-image" and head["generated"] is True
    assert "fallback" not in head and "attempts" not in head
    (ocr,) = [f for f in head["findings"] if f["check"].startswith("ocr")]
    assert ocr["check"] == "ocr.text" and ocr["message"] == "reads back exactly"
    assert all(f["passed"] for f in head["findings"])
    assert regions["legal"]["backend"] == "typeset"
    (call,) = head["calls"]
    assert call["status"] == "ok" and call["cost_usd"] > 0 and call["seconds"] > 0
    outside_box_unchanged(lc, asset, p)
    # Inside the box the answer was taken: the fake's calm fill is there, not the plate.
    box = lc.region_rect(lc.campaign.regions[0], lc.campaign.sizes[0])
    assert asset.image.getpixel((box.x + 2, box.y + 2)) == (246, 242, 235)


def test_the_request_carries_the_composite_the_mask_and_the_copy(
    tmp_path: Path, images_api: Any
) -> None:
    lc = make(tmp_path, mask_margin_px=8, quality="medium")
    run(lc)
    (seen,) = images_api.seen
    assert seen.fields["size"] == "1536x1024" and seen.fields["quality"] == "medium"
    prompt = seen.fields["prompt"]
    assert f'"{HEADLINE}"' in prompt and "English" in prompt and "left-to-right" in prompt
    assert "#111111" in prompt  # the region's colour token, resolved
    # Transparent mask pixels are exactly the box plus 8 px, scaled into the API image.
    frame = Frame.fit(800, 400, "1536x1024")
    alpha = np.asarray(seen.mask.getchannel("A"))
    ys, xs = np.nonzero(alpha == 0)
    box = lc.region_rect(lc.campaign.regions[0], lc.campaign.sizes[0])
    s = frame.scale
    assert abs(xs.min() - (frame.x + (box.x - 8) * s)) <= 1
    assert abs(ys.min() - (frame.y + (box.y - 8) * s)) <= 1
    assert abs(xs.max() + 1 - (frame.x + (box.right + 8) * s)) <= 1
    assert abs(ys.max() + 1 - (frame.y + (box.bottom + 8) * s)) <= 1
    assert set(np.unique(alpha)) == {0, 255}
    # The image sent is the plate (nothing is drawn below the headline), letterboxed.
    sent = np.asarray(seen.image.convert("RGB"), dtype=np.int16)
    mid = sent[frame.y + 100, frame.x + 700]
    assert np.abs(mid - np.array([216, 224, 234])).max() <= 8


def test_a_region_drawn_wrong_is_re_asked_then_falls_back_to_typeset(
    tmp_path: Path, images_api: Any
) -> None:
    images_api.default = "typo"
    lc = make(tmp_path, relaxed_retries=2)
    asset, regions, p = run(lc)
    head = regions["headline"]
    assert asset.ok
    assert head["backend"] == "typeset" and not head.get("generated")
    assert head["fallback"]["from"] == "gpt-image"
    assert head["fallback"]["because"] == ["ocr.text"]
    attempts = head["attempts"]
    assert [a["backend"] for a in attempts] == ["gpt-image", "gpt-image", "typeset"]
    assert [a["changed"] for a in attempts] == [
        {"prompt_relax": 1},
        {"prompt_relax": 2},
        {"backend": "typeset"},
    ]
    # Three asks, each prompt more relaxed; each call costed and kept.
    prompts = [s.fields["prompt"] for s in images_api.seen]
    assert len(prompts) == 3 and len(set(prompts)) == 3
    assert "in the style of Noto Sans" in prompts[0] and "plainest" in prompts[2]
    assert len(head["calls"]) == 3
    outside_box_unchanged(lc, asset, p)


def test_a_service_that_cannot_answer_falls_back_at_once(tmp_path: Path, images_api: Any) -> None:
    images_api.default = ("status", 500)
    lc = make(tmp_path, relaxed_retries=2, max_retries=1)
    asset, regions, p = run(lc)
    head = regions["headline"]
    assert asset.ok and head["backend"] == "typeset"
    assert "backend.service" in head["fallback"]["because"]
    assert "gave up after 2 tries: 500" in head["fallback"]["message"]
    assert len(images_api.seen) == 2  # no relaxed re-ask of a service that is down
    (call,) = head["calls"]
    assert call["status"] == "error" and call["tries"] == 2
    outside_box_unchanged(lc, asset, p)


def test_a_malformed_answer_falls_back(tmp_path: Path, images_api: Any) -> None:
    images_api.then("malformed-b64")
    asset, regions, _ = run(make(tmp_path))
    assert asset.ok and regions["headline"]["backend"] == "typeset"
    assert regions["headline"]["calls"][0]["status"] == "malformed"
