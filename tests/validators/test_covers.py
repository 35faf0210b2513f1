"""`geometry.covers_product`: copy over a cut-out's visible alpha beyond its tolerance."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from copyplate.findings import Finding
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.asset import RenderedAsset, render_copy
from copyplate.pipeline.plan import Job
from copyplate.pipeline.produce import validate
from tests.renderers.copy.helpers import campaign, text_region
from tests.renderers.copy.images import cutout, salient_photo

JOB = Job("t", "en-US", "s", "default")


def product_campaign(tmp: Path, text_box: dict[str, float], src: Image.Image) -> LoadedCampaign:
    tmp.mkdir(parents=True, exist_ok=True)
    src.save(tmp / "p.png")
    product = {
        "id": "product",
        "kind": "image",
        "src": "p.png",
        "fit": "contain",
        "box": {"x": 0.5, "y": 0.0, "w": 0.5, "h": 1.0},
        "protect": 0.05,
    }
    head = text_region("head", color="ink", box=text_box, max_lines=1, z=1, max_font_px=40)
    return campaign(tmp, [product, head], {"en-US": {"head": "New bottle"}})


def covers(lc: LoadedCampaign) -> list[Finding]:
    image, layers = render_copy(lc, JOB, Image.new("RGB", (800, 400), "#FFFFFF"))
    found = validate(lc, RenderedAsset(JOB, image, layers))
    return [f for f in found["head"] if f.check == "geometry.covers_product"]


def test_copy_over_the_product_is_caught(tmp_path: Path) -> None:
    lc = product_campaign(tmp_path, {"x": 0.55, "y": 0.5, "w": 0.4, "h": 0.15}, cutout())
    [f] = covers(lc)
    assert not f.passed and f.measured > 0.05 and f.extra == {"product": "product"}
    assert "copy covers" in f.message and f.action == "retypeset"


def test_copy_beside_the_product_passes(tmp_path: Path) -> None:
    # The bottle is narrow: the box's transparent margin may hold copy.
    lc = product_campaign(tmp_path, {"x": 0.02, "y": 0.5, "w": 0.45, "h": 0.15}, cutout())
    [f] = covers(lc)
    assert f.passed and f.measured == 0


def test_a_photo_is_not_a_product(tmp_path: Path) -> None:
    lc = product_campaign(tmp_path, {"x": 0.55, "y": 0.5, "w": 0.4, "h": 0.15}, salient_photo())
    assert covers(lc) == []


def test_checks_geometry_includes_covers_product(tmp_path: Path) -> None:
    from copyplate.pipeline.asset import manifest
    from copyplate.validators.base import validate_asset
    from copyplate.validators.manifest import view_of

    lc = product_campaign(tmp_path, {"x": 0.55, "y": 0.5, "w": 0.4, "h": 0.15}, cutout())
    image, layers = render_copy(lc, JOB, Image.new("RGB", (800, 400), "#FFFFFF"))
    view = view_of(
        tmp_path / "a.json", manifest(lc, RenderedAsset(JOB, image, layers), "a.png"), image
    )
    got = validate_asset(view, only=["geometry"])
    assert "geometry.covers_product" in {f.check for f in got["head"]}
    assert not any(f.check.startswith("ocr") for f in got["head"])
