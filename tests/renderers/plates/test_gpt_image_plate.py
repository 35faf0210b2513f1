"""`gpt-image` plates from a local Images API: the generation request, the crop to the
canvas, repainting confined to the mask, and the calls kept for the report."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from copyplate.layouts.models import GptImage
from copyplate.renderers.plates.base import PlateRequest, plate_generator
from copyplate.renderers.plates.gpt_image import plate_prompt

REQ = PlateRequest(
    prompt="linen in morning light",
    width=1080,
    height=1920,
    palette=("#F2E8DC", "#9FB7A5"),
    seed=7,
    negative_prompt="people",
    mood="soft-light",
)


def test_generate_asks_for_no_text_and_fills_the_canvas(images_api: Any) -> None:
    gen = plate_generator("gpt-image:gpt-image-1-mini", GptImage(quality="low"))
    assert gen.model_id == "openai-images/gpt-image-1-mini@low"
    plate = gen.generate(REQ)
    assert plate.size == (1080, 1920) and plate.mode == "RGB"
    (seen,) = images_api.seen
    assert seen.path == "/v1/images/generations"
    assert seen.fields["size"] == "1024x1536"  # the portrait size nearest 9:16
    assert seen.fields["model"] == "gpt-image-1-mini" and seen.fields["quality"] == "low"
    assert "#9FB7A5" in seen.fields["prompt"] and "people" in seen.fields["prompt"]
    assert "text, letters" in plate_prompt(REQ)
    (call,) = gen.take_calls()  # type: ignore[attr-defined]
    assert call["endpoint"] == "images.generate" and call["cost_basis"] == "usage"
    assert gen.take_calls() == []  # type: ignore[attr-defined]


def test_inpaint_changes_only_the_masked_patch(images_api: Any) -> None:
    images_api.default = "scribble"  # it also paints outside the mask
    gen = plate_generator("gpt-image", GptImage())
    rng = np.random.default_rng(1)
    plate = Image.fromarray(rng.integers(0, 255, (1920, 1080, 3), dtype=np.uint8), "RGB")
    mask = Image.new("L", plate.size, 0)
    mask.paste(255, (100, 200, 500, 400))
    # The pipeline pastes the repaint through the mask (produce.py); do the same here.
    out = plate.copy()
    out.paste(gen.inpaint(plate, mask, REQ), (0, 0), mask)
    a, b = np.asarray(out), np.asarray(plate)
    outside = np.asarray(mask) == 0
    assert np.array_equal(a[outside], b[outside])
    assert not np.array_equal(a[~outside], b[~outside])
    (seen,) = images_api.seen
    assert seen.path == "/v1/images/edits" and seen.mask is not None
