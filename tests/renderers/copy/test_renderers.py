"""Renderers on real fonts and real decoders: what a designer and a scanner would check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from copyplate import textlayout
from copyplate.color import luminance_tails, parse_hex, worst_ratio
from copyplate.errors import InputError, MissingCapability
from copyplate.renderers.copy.barcode import ean13_modules
from copyplate.renderers.copy.base import renderer_for
from tests.renderers.copy.helpers import campaign, render, replace_copy, text_region


def ink_bbox(layer_image: Image.Image) -> tuple[int, int, int, int] | None:
    return layer_image.getchannel("A").getbbox()


def test_text_stays_inside_its_box_at_every_width(tmp_path: Path) -> None:
    for i, w in enumerate((0.2, 0.35, 0.5, 0.9)):
        lc = campaign(
            tmp_path / str(i),
            [text_region(box={"x": 0.05, "y": 0.05, "w": w, "h": 0.9})],
            {"vi-VN": {"t": "Khuyến mãi mùa xuân: giảm đến 30% Ấ Ỗ Ữ"}},
        )
        _, layers = render(lc, "vi-VN")
        layer = layers[0]
        if layer.ok:
            assert 24 <= layer.meta["font_px"] <= 64
            # The layer is the box; ink touching its edge would mean something was cut.
            ink = ink_bbox(layer.image)
            assert ink is not None
        else:
            assert [f.check for f in layer.findings] == ["geometry.fit"]
            assert ink_bbox(layer.image) is None  # nothing half-drawn


def test_copy_that_cannot_fit_fails_with_a_finding(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [text_region(min_font_px=40, max_lines=1, box={"x": 0, "y": 0, "w": 0.3, "h": 0.2})],
        {"en-US": {"t": "This headline is far too long for such a small box"}},
    )
    _, [layer] = render(lc, "en-US")
    [f] = layer.findings
    assert f.check == "geometry.fit" and not f.passed and f.action == "retypeset"
    assert "40 px" in f.message


def test_missing_glyph_is_a_finding_and_never_a_box(tmp_path: Path) -> None:
    lc = campaign(tmp_path, [text_region()], {"en-US": {"t": "Sale now"}})
    replace_copy(lc, "en-US", "t", "Sale \U00013000 now")
    _, [layer] = render(lc, "en-US")
    checks = {f.check for f in layer.findings}
    assert "glyphs.missing" in checks
    assert layer.meta["lines"] and "\U00013000" in layer.meta["text"]


@pytest.mark.parametrize(
    "locale,text", [("ar-SA", "تسوّق الآن من Lumen"), ("he-IL", "לקנייה עכשיו")]
)
def test_start_alignment_mirrors_for_rtl(tmp_path: Path, locale: str, text: str) -> None:
    lc = campaign(
        tmp_path,
        [text_region(align="start", max_font_px=30)],
        {locale: {"t": text}, "en-US": {"t": "Shop now at Lumen"}},
    )
    _, [rtl] = render(lc, locale)
    _, [ltr] = render(lc, "en-US")
    w = rtl.rect.w
    r_ink, l_ink = ink_bbox(rtl.image), ink_bbox(ltr.image)
    assert r_ink is not None and l_ink is not None
    assert w - r_ink[2] < 6 and r_ink[0] > w / 3  # flush right
    assert l_ink[0] < 6 and l_ink[2] < 2 * w / 3  # flush left


def test_direction_override_per_region(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [text_region(align="start", direction="ltr", max_font_px=30)],
        {"ar-SA": {"t": "SKU 123 رقم"}},
    )
    _, [layer] = render(lc, "ar-SA")
    ink = ink_bbox(layer.image)
    assert ink is not None and ink[0] < 6
    assert layer.meta["direction"] == "ltr"


def test_contrast_aid_auto_swaps_or_scrims_on_a_dark_plate(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path, [text_region(contrast_aid="auto", color="ink")], {"en-US": {"t": "Spring Sale"}}
    )
    _, [layer] = render(lc, "en-US", plate_color="#151515")
    assert layer.meta["contrast_aid"] == "swap:paper"
    assert layer.meta["color"] == "#FFFFFF"
    # Without an aid the ink colour is kept, whatever the plate.
    lc2 = campaign(
        tmp_path / "none",
        [text_region(contrast_aid="none", color="ink")],
        {"en-US": {"t": "Spring Sale"}},
    )
    _, [plain] = render(lc2, "en-US", plate_color="#151515")
    assert plain.meta["contrast_aid"] == "none" and plain.meta["color"] == "#111111"


def test_scrim_brings_contrast_up_on_a_busy_plate(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path, [text_region(contrast_aid="scrim", color="ink")], {"en-US": {"t": "Spring Sale"}}
    )
    size = lc.campaign.sizes[0]
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 255, (size.height // 8, size.width // 8, 3), dtype=np.uint8)
    busy = Image.fromarray(noise).resize((size.width, size.height), Image.Resampling.NEAREST)
    from copyplate.pipeline.asset import render_copy
    from copyplate.pipeline.plan import Job

    before = worst_ratio(parse_hex("#111111"), luminance_tails(np.asarray(busy)))
    image, [layer] = render_copy(lc, Job("t", "en-US", "s", "default"), busy)
    assert layer.meta["contrast_aid"] == "scrim"
    x, y, w, h = layer.meta["text_bbox"]
    around = np.asarray(image)[y : y + h, x : x + w]
    text = parse_hex(layer.meta["color"])
    # Pixels of the scrim (not the glyphs) now sit far from the text colour.
    bg = around[np.abs(around.astype(int) - np.array(text[:3])).sum(axis=2) > 200]
    after = worst_ratio(text, luminance_tails(bg))
    assert before < 2.0 < 4.5 <= after


def test_qr_decodes_and_has_whole_pixel_modules_and_quiet_zone(tmp_path: Path) -> None:
    url = "https://lumen.example/de/fruehling?utm_campaign=spring27"
    lc = campaign(
        tmp_path,
        [
            {
                "id": "qr",
                "kind": "qr",
                "copy": "qr",
                "ecc": "Q",
                "box": {"x": 0.55, "y": 0.1, "w": 0.4, "h": 0.8},
            }
        ],
        {"en-US": {"qr": url}},
    )
    image, [layer] = render(lc, "en-US", plate_color="#777777")
    assert layer.ok, layer.findings
    m = layer.meta
    assert m["ecc"] == "Q" and m["module_px"] >= 4 and m["quiet_zone_modules"] == 4
    x, y, side, _ = m["symbol_box"]
    assert side == (m["modules"] + 8) * m["module_px"]
    # The quiet zone is light all round: four modules of plain background.
    q = 4 * m["module_px"]
    sym = np.asarray(image.convert("L"))[y : y + side, x : x + side]
    for band in (sym[:q], sym[-q:], sym[:, :q], sym[:, -q:]):
        assert band.min() == 255
    [res] = zxingcpp.read_barcodes(image)
    assert res.text == url and res.format == zxingcpp.BarcodeFormat.QRCode


def test_qr_too_small_for_min_module_is_a_finding(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [
            {
                "id": "qr",
                "kind": "qr",
                "payload": "https://lumen.example/x",
                "min_module_px": 6,
                "box": {"x": 0.0, "y": 0.0, "w": 0.15, "h": 0.3},
            }
        ],
        {"en-US": {}},
    )
    _, [layer] = render(lc, "en-US")
    assert [f.check for f in layer.findings] == ["qr.module_size"]


@pytest.mark.parametrize(
    "symbology,digits",
    [("ean13", "5901234123457"), ("ean13", "4006381333931"), ("upca", "036000291452")],
)
def test_barcodes_decode_to_their_digits(tmp_path: Path, symbology: str, digits: str) -> None:
    lc = campaign(
        tmp_path,
        [
            {
                "id": "b",
                "kind": "barcode",
                "symbology": symbology,
                "payload": digits,
                "min_module_px": 3,
                "box": {"x": 0.05, "y": 0.1, "w": 0.9, "h": 0.6},
            }
        ],
        {"en-US": {}},
    )
    image, [layer] = render(lc, "en-US")
    assert layer.ok, layer.findings
    res = zxingcpp.read_barcodes(image)
    # A UPC-A symbol is an EAN-13 with a leading 0; decoders may report either form.
    read = [r.text[1:] if symbology == "upca" and len(r.text) == 13 else r.text for r in res]
    assert read == [digits]


def test_ean13_module_pattern_matches_gs1() -> None:
    mods = ean13_modules("5901234123457")
    assert len(mods) == 95 and mods[:3] == "101" and mods[45:50] == "01010"
    # Leading '5' gives parity LGGLLG: '9' from the L set, then '0' from the G set.
    assert mods[3:10] == "0001011" and mods[10:17] == "0100111"
    assert mods[50:57] == "1100110"  # right half: '1' from the R set


def test_wrong_check_digit_fails_the_region(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [
            {
                "id": "b",
                "kind": "barcode",
                "symbology": "ean13",
                "copy": "b",
                "box": {"x": 0.05, "y": 0.1, "w": 0.9, "h": 0.6},
            }
        ],
        {"en-US": {"b": "5901234123457"}},
    )
    replace_copy(lc, "en-US", "b", "5901234123458")
    _, [layer] = render(lc, "en-US")
    assert [f.check for f in layer.findings] == ["barcode.check_digit"]
    assert ink_bbox(layer.image) is None


def test_price_badge_and_cta_use_brand_tokens(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [
            {
                "id": "p",
                "kind": "price",
                "copy": "p",
                "font_role": "display",
                "color": "on-accent",
                "background": "accent",
                "shape": "pill",
                "box": {"x": 0.05, "y": 0.1, "w": 0.4, "h": 0.3},
                "min_font_px": 20,
                "max_font_px": 60,
            },
            {
                "id": "c",
                "kind": "cta",
                "copy": "c",
                "font_role": "display",
                "color": "on-accent",
                "box": {"x": 0.5, "y": 0.1, "w": 0.4, "h": 0.3},
                "min_font_px": 20,
                "max_font_px": 40,
            },
        ],
        {"de-DE": {"p": {"amount": "49.99", "currency": "EUR"}, "c": "Jetzt shoppen"}},
    )
    image, layers = render(lc, "de-DE")
    p, c = layers
    assert p.ok and c.ok
    assert p.meta["text"] == "49,99\xa0€" and p.meta["amount"] == "49.99"
    px = np.asarray(image)
    assert tuple(px[p.rect.y + p.rect.h // 2, p.rect.x + p.rect.w // 8]) == (0xC8, 0x46, 0x2B)


def test_unknown_renderer_and_wrong_kind_are_clear() -> None:
    with pytest.raises(InputError, match="unknown copy renderer 'nope'"):
        renderer_for("text", "nope")
    with pytest.raises(InputError, match="cannot draw regions of kind 'text'"):
        renderer_for("text", "qr")


def test_missing_raqm_is_a_missing_capability(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never fall back to basic layout: without Raqm, Arabic would be drawn unjoined."""
    monkeypatch.setattr(textlayout.features, "check", lambda name: False)
    with pytest.raises(MissingCapability, match="Raqm"):
        textlayout.require_raqm()


def test_a_badge_drawn_from_the_cache_is_a_fresh_image() -> None:
    from copyplate.renderers.copy.shapes import shape_image

    a = shape_image("pill", (120, 40), (200, 70, 43, 255))
    a.paste((0, 0, 0, 0), (0, 0, 120, 40))
    b = shape_image("pill", (120, 40), (200, 70, 43, 255))
    assert b.getpixel((60, 20)) == (200, 70, 43, 255)
    assert b.getpixel((0, 0))[3] < 255  # the rounded end is not filled
