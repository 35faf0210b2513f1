"""`verify` on copy copyplate did not draw: Pillow in faces the manifest does not name,
manifests with no hints. Currency signs no reader knows are identified by their shape, so a
look-alike letter in their place still fails; a wrong decimal mark fails; copy on several
lines needs no `lines` hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from copyplate.fonts import coverage
from copyplate.pipeline.verify import verify_manifest

FACE = "/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-Bold.ttf"  # not a reference face


def _verify(tmp: Path, drawn: list[str], region: dict[str, object], locale: str) -> dict:
    font = ImageFont.truetype(FACE, 44)
    missing = [
        c for line in drawn for c in line if not c.isspace() and ord(c) not in coverage(Path(FACE))
    ]
    if missing:
        pytest.skip(f"{FACE} has no {missing}")
    img = Image.new("RGB", (720, 80 + 60 * len(drawn)), (240, 236, 228))
    d = ImageDraw.Draw(img)
    for i, line in enumerate(drawn):
        d.text((40, 40 + 60 * i), line, font=font, fill=(25, 25, 35))
    img.save(tmp / "a.png")
    box = [20, 20, 680, 40 + 60 * len(drawn)]
    man = {"image": "a.png", "locale": locale, "regions": [{"id": "r", "box": box, **region}]}
    (tmp / "a.json").write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")
    res = verify_manifest(tmp / "a.json", "a.json", only=["ocr"])
    (ocr,) = res["regions"][0]["findings"]
    return ocr


RUB = {"kind": "price", "text": "4\u00a0490,00\u00a0₽", "amount": "4490.00", "currency": "RUB"}


def test_a_sign_no_reader_knows_passes_by_its_shape(tmp_path: Path) -> None:
    f = _verify(tmp_path, ["4 490,00 ₽"], RUB, "ru-RU")
    assert f["passed"], f["message"]
    assert "₽" in f["message"]


@pytest.mark.parametrize("drawn", ["4 490,00 P", "4 490,00 $", "4 490.00 ₽"])
def test_a_look_alike_sign_or_a_wrong_mark_fails(tmp_path: Path, drawn: str) -> None:
    f = _verify(tmp_path, [drawn], RUB, "ru-RU")
    assert not f["passed"], f["message"]


def test_copy_on_several_lines_needs_no_lines_hint(tmp_path: Path) -> None:
    text = "Fresh picks for every room, this week only at Lumen."
    drawn = ["Fresh picks for every room,", "this week only at Lumen."]
    f = _verify(tmp_path, drawn, {"kind": "text", "text": text}, "en-US")
    assert f["passed"], f["message"]
    f = _verify(
        tmp_path,
        ["Fresh picks for every room,", "this week only at Lumens."],
        {"kind": "text", "text": text},
        "en-US",
    )
    assert not f["passed"]
