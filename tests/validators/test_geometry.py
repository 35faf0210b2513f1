"""geometry.clipping judges whether glyphs are complete, not whether ink touches the box:
copy set tight to its box or on a card filling it passes; copy running past the box or cut
by the image edge fails. Drawn with Pillow in DejaVu (not copyplate's renderer), with
manifests that carry no hints, as another tool would write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from copyplate.pipeline.verify import verify_manifest

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
TEXT = "Spring Sale"


def _asset(tmp: Path, box: list[int], at: tuple[int, int], card: bool = False) -> Path:
    img = Image.new("RGB", (400, 160), (236, 230, 218))
    d = ImageDraw.Draw(img)
    x, y, w, h = box
    if card:
        d.rounded_rectangle((x, y, x + w - 1, y + h - 1), radius=10, fill=(30, 60, 120))
    ink = (255, 255, 255) if card else (20, 20, 30)
    d.text(at, TEXT, font=ImageFont.truetype(FONT, 40), fill=ink, anchor="lt")
    img.save(tmp / "a.png")
    region = {"id": "headline", "kind": "text", "box": box, "text": TEXT}
    (tmp / "a.json").write_text(json.dumps({"image": "a.png", "regions": [region]}))
    return tmp / "a.json"


def _clipping(path: Path) -> dict[str, object]:
    res = verify_manifest(path, str(path), only=["geometry"])
    (region,) = res["regions"]
    return next(f for f in region["findings"] if f["check"] == "geometry.clipping")


def _ink(at: tuple[int, int]) -> list[int]:
    x0, t, r, b = ImageFont.truetype(FONT, 40).getbbox(TEXT, anchor="lt")
    return [at[0] + x0, at[1] + t, r - x0, b - t]


def test_copy_tight_to_its_box_is_not_clipped(tmp_path: Path) -> None:
    x, y, w, h = _ink((60, 50))
    f = _clipping(_asset(tmp_path, [x, y, w, h], (60, 50)))  # 0 px margin on every side
    assert f["passed"], f["message"]


def test_a_card_filling_the_box_is_not_clipped(tmp_path: Path) -> None:
    x, y, w, h = _ink((60, 50))
    f = _clipping(_asset(tmp_path, [x - 6, y - 6, w + 12, h + 12], (60, 50), card=True))
    assert f["passed"], f["message"]


def test_copy_running_past_the_box_is_clipped(tmp_path: Path) -> None:
    x, y, _, h = _ink((60, 50))
    font = ImageFont.truetype(FONT, 40)
    cut = 60 + round(font.getlength("Sprin") + font.getlength("g") / 2)  # through the "g"
    f = _clipping(_asset(tmp_path, [x - 4, y - 4, cut - x + 4, h + 8], (60, 50)))
    assert not f["passed"] and "right" in str(f["message"])


@pytest.mark.parametrize("at", [(-12, 50), (60, -12)])
def test_copy_cut_by_the_image_edge_is_clipped(tmp_path: Path, at: tuple[int, int]) -> None:
    x, y, w, h = _ink(at)
    box = [max(0, x), max(0, y), w + min(0, x), h + min(0, y)]
    f = _clipping(_asset(tmp_path, box, at))
    assert not f["passed"] and "image edge" in str(f["message"])


def test_stale_font_hints_are_ignored_by_the_glyph_check(tmp_path: Path) -> None:
    path = _asset(tmp_path, [40, 30, 320, 100], (60, 50))
    man = json.loads(path.read_text())
    man["regions"][0]["font_files"] = ["/nonexistent/OtherMachine-Bold.ttf#0"]
    path.write_text(json.dumps(man))
    res = verify_manifest(path, str(path), only=["glyphs"])
    (f,) = res["regions"][0]["findings"]
    assert f["passed"] and f["check"] != "glyphs.fonts", f
