"""Logo rules on rendered assets: clear space, minimum size, contrast with the plate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.findings import Finding
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.asset import RenderedAsset, render_copy
from copyplate.pipeline.plan import Job
from copyplate.pipeline.produce import validate
from tests.renderers.copy.helpers import campaign, text_region

JOB = Job("t", "en-US", "s", "default")


def mark(color: tuple[int, int, int]) -> Image.Image:
    """A 200x100 logo whose ink is inset 10 px on every side."""
    im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    im.paste((*color, 255), (10, 10, 190, 90))
    return im


def logo_campaign(tmp: Path, text_x: float = 0.26, **logo: Any) -> LoadedCampaign:
    tmp.mkdir(parents=True, exist_ok=True)
    mark((20, 20, 20)).save(tmp / "dark.png")
    mark((245, 245, 245)).save(tmp / "light.png")
    spec = {
        "id": "logo",
        "kind": "logo",
        "src": "dark.png",
        "variants": {"dark": "dark.png", "light": "light.png"},
        "box": {"x": 0.05, "y": 0.05, "w": 0.2, "h": 0.2},
        "anchor": "top-left",
        "clear_space": 0.5,
        "min_px": 30,
    }
    spec.update(logo)
    head = text_region(
        "head",
        color="ink",
        box={"x": text_x, "y": 0.05, "w": 0.6, "h": 0.2},
        max_lines=1,
        min_font_px=20,
        max_font_px=40,
    )
    return campaign(tmp, [spec, head], {"en-US": {"head": "Spring Sale"}})


def findings(lc: LoadedCampaign, plate: str = "#FFFFFF") -> dict[str, Finding]:
    image, layers = render_copy(lc, JOB, Image.new("RGB", (800, 400), plate))
    found = validate(lc, RenderedAsset(JOB, image, layers))
    return {f.check: f for f in found["logo"]}


def test_copy_inside_the_clear_space_is_caught(tmp_path: Path) -> None:
    got = findings(logo_campaign(tmp_path))
    f = got["logo.clearspace"]
    assert not f.passed and f.measured == ["head"] and f.action == "retypeset"
    assert "32 px" in f.message  # half of the 64 px high ink
    assert got["logo.size"].passed and got["logo.contrast"].passed


def test_copy_outside_the_clear_space_passes(tmp_path: Path) -> None:
    got = findings(logo_campaign(tmp_path, text_x=0.32))
    assert got["logo.clearspace"].passed


def test_logo_below_min_px_fails_for_good(tmp_path: Path) -> None:
    f = findings(logo_campaign(tmp_path, text_x=0.4, min_px=70))["logo.size"]
    assert not f.passed and f.measured == 64 and f.action == "fail"


def test_logo_that_disappears_into_the_plate_fails_contrast(tmp_path: Path) -> None:
    # Only the dark variant is allowed, on a dark plate.
    lc = logo_campaign(tmp_path, text_x=0.4, variants={})
    f = findings(lc, plate="#262626")["logo.contrast"]
    assert not f.passed and f.measured < 1.5
    # With both variants the light one is drawn and the same plate passes.
    ok = findings(logo_campaign(tmp_path / "v", text_x=0.4), plate="#262626")["logo.contrast"]
    assert ok.passed and ok.measured > 10
