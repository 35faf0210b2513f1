"""Golden images of the cases typesetters get wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import zxingcpp

from tests.golden import assert_matches_golden
from tests.renderers.copy.helpers import campaign, render, text_region

GOLDENS = Path(__file__).with_name("goldens")

CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    # Latin brand name and Arabic-Indic digits inside Arabic: joining, order, fallback.
    "arabic_latin": ("ar-SA", "تخفيضات الربيع من Lumen: خصم ٣٠٪ على Aura", {}),
    # Noto Sans Hebrew has no digits: 30% comes from the fallback, order stays RTL.
    "hebrew_digits": ("he-IL", "מבצע האביב של Lumen: עד 30% הנחה", {}),
    # No spaces between Thai words: breaks come from the dictionary.
    "thai_breaks": (
        "th-TH",
        "ของแต่งบ้านชิ้นใหม่สำหรับทุกห้องเฉพาะสัปดาห์นี้ที่ Lumen เท่านั้น",
        {"max_font_px": 34, "box": {"x": 0.05, "y": 0.05, "w": 0.5, "h": 0.9}},
    ),
    # No line may start with 。 or a small kana.
    "japanese_kinsoku": (
        "ja-JP",
        "在庫がなくなり次第終了します。表示価格は税込です。ギフトカードは対象外です。",
        {"max_font_px": 30, "box": {"x": 0.05, "y": 0.05, "w": 0.42, "h": 0.9}},
    ),
    # Conjuncts: स्प्रिं, क्ष, त्र must shape to ligatures, not halant sequences.
    "devanagari_conjuncts": ("hi-IN", "स्प्रिंग सेल: क्षत्रिय संग्रह पर 30% तक की छूट", {}),
    # Stacked diacritics above capitals must not be clipped.
    "vietnamese_stacked": ("vi-VN", "ẤN ĐỘ Ữ Ỗ Ặ — Khuyến mãi giảm đến 30%", {}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_text_golden(tmp_path: Path, name: str) -> None:
    locale, text, extra = CASES[name]
    lc = campaign(
        tmp_path,
        [text_region(**{"max_lines": 4, **extra})],
        {locale: {"t": text}},
        width=640,
        height=240,
    )
    image, [layer] = render(lc, locale)
    assert layer.ok, layer.findings
    assert_matches_golden(image, GOLDENS / f"{name}.png")


def test_qr_golden(tmp_path: Path) -> None:
    url = "https://lumen.example/sa/spring?utm_campaign=spring27"
    lc = campaign(
        tmp_path,
        [{"id": "q", "kind": "qr", "copy": "q", "box": {"x": 0.1, "y": 0.1, "w": 0.8, "h": 0.8}}],
        {"ar-SA": {"q": url}},
        width=300,
        height=300,
    )
    image, _ = render(lc, "ar-SA", plate_color="#E9DCC4")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]
    assert_matches_golden(image, GOLDENS / "qr.png", mean_tol=0.0, frac_tol=0.0)


def test_ean13_golden(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [
            {
                "id": "e",
                "kind": "barcode",
                "symbology": "ean13",
                "payload": "5901234123457",
                "min_module_px": 3,
                "box": {"x": 0.05, "y": 0.1, "w": 0.9, "h": 0.8},
            }
        ],
        {"de-DE": {}},
        width=400,
        height=200,
    )
    image, _ = render(lc, "de-DE", plate_color="#E9DCC4")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["5901234123457"]
    assert_matches_golden(image, GOLDENS / "ean13.png", mean_tol=0.5, frac_tol=0.001)
