from __future__ import annotations

from copyplate.fonts import FontIndex, uncovered


def test_primary_style_wins_over_secondary_names() -> None:
    """fontconfig lists 'Bold' as a secondary style of 'SemiCondensed Bold'."""
    face = FontIndex.system().find("Noto Sans", "Bold")
    assert face is not None
    assert face.path.name == "NotoSans-Bold.ttf"


def test_hebrew_font_has_no_digits_so_chains_need_fallback() -> None:
    idx = FontIndex.system()
    hebrew = idx.find("Noto Sans Hebrew", "Regular")
    latin = idx.find("Noto Sans", "Regular")
    assert hebrew is not None and latin is not None
    text = "עד 30% הנחה"
    assert "3" in hebrew.missing(text)
    assert uncovered(text, [hebrew]) != []
    assert uncovered(text, [hebrew, latin]) == []


def test_collection_faces_resolve_with_index() -> None:
    jp = FontIndex.system().find("Noto Sans CJK JP", "Bold")
    assert jp is not None and jp.path.suffix == ".ttc"
    assert jp.missing("春のセール") == []
