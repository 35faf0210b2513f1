from __future__ import annotations

from decimal import Decimal

import pytest

from copyplate.layouts.locales import LocaleProblem, locale_info


@pytest.mark.parametrize(
    "tag,script,direction",
    [
        ("ar-SA", "Arab", "rtl"),
        ("he-IL", "Hebr", "rtl"),
        ("ja-JP", "Jpan", "ltr"),
        ("zh-CN", "Hans", "ltr"),
        ("ko-KR", "Kore", "ltr"),
        ("th-TH", "Thai", "ltr"),
        ("hi-IN", "Deva", "ltr"),
        ("ru-RU", "Cyrl", "ltr"),
        ("el-GR", "Grek", "ltr"),
        ("vi-VN", "Latn", "ltr"),
    ],
)
def test_script_and_direction_from_cldr(tag: str, script: str, direction: str) -> None:
    info = locale_info(tag)
    assert (info.script, info.direction) == (script, direction)


def test_arabic_digits_follow_the_numbering_system() -> None:
    arab = locale_info("ar-SA", "arab").format_price(Decimal("1299.50"), "SAR")
    latn = locale_info("ar-SA", "latn").format_price(Decimal("1299.50"), "SAR")
    assert "١٬٢٩٩٫٥٠" in arab
    assert "1,299.50" in latn
    assert not any("0" <= ch <= "9" for ch in arab)


def test_symbol_placement_differs_by_locale() -> None:
    assert locale_info("de-DE").format_price(Decimal("5"), "EUR") == "5,00\xa0€"
    assert locale_info("en-US").format_price(Decimal("5"), "USD") == "$5.00"


@pytest.mark.parametrize("tag", ["xx-QQ", "en_US", "", "en-US-x-private!"])
def test_bad_tags_are_refused(tag: str) -> None:
    with pytest.raises(LocaleProblem):
        locale_info(tag)


def test_unsupported_numbering_system() -> None:
    with pytest.raises(LocaleProblem, match="numbering system"):
        locale_info("zh-CN", "hanidec")
