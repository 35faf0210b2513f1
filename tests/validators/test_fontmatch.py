"""The installed-face second opinion: copy another tool set in an installed font the
manifest does not name is matched glyph for glyph; a changed letter, digit, sign or word
is not, whichever face is tried."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from copyplate.fonts import FontFace, coverage
from copyplate.pipeline.verify import verify_manifest
from copyplate.textlayout import TextSetter
from copyplate.validators.fontmatch import (
    CLEARLY,
    MAX_RIVALS,
    FaceMatch,
    _at_end,
    _closer,
    _line_sets,
    _read_as_expected,
    _read_edits,
    _resemblance,
    _swaps,
    candidate_chains,
    installed_faces,
    match_installed,
)
from copyplate.validators.ocr import line_bands
from copyplate.validators.reference import render_line

DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
LOMA = "/usr/share/fonts/truetype/tlwg/Loma.ttf"
LOHIT = "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf"
SERIF = "/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf"


def _mask(font_file: str, lines: list[str], px: int, rtl: bool, lang: str) -> np.ndarray:
    """The ink of `lines` drawn by Pillow (Raqm) in `font_file`, as a glyph mask."""
    if not Path(font_file).is_file():
        pytest.skip(f"{font_file} is not installed (make setup)")
    font = ImageFont.truetype(font_file, px, layout_engine=ImageFont.Layout.RAQM)
    img = Image.new(
        "L", (40 + px * max(len(t) for t in lines), 40 + int(px * 1.6) * len(lines)), 255
    )
    d = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        d.text(
            (20, 20 + int(px * 1.6) * i),
            t,
            font=font,
            fill=0,
            direction="rtl" if rtl else "ltr",
            language=lang,
        )
    return np.asarray(img) < 128


def _match(
    font_file: str, drawn: list[str], expected: str, locale: str, rtl: bool = False, read: str = ""
) -> FaceMatch | None:
    mask = _mask(font_file, drawn, 44, rtl, locale.split("-")[0])
    return match_installed(mask, line_bands(mask), expected, locale, rtl, read)


AR_PRICE = "\u200f١٬٢٩٩٫٥٠\u00a0ر.س.\u200f"


def test_arabic_indic_digits_match_in_the_face_that_drew_them() -> None:
    found = _match(DEJAVU_BOLD, [AR_PRICE], AR_PRICE, "ar-SA", rtl=True)
    assert found is not None
    assert found.face.path.name == "DejaVuSans-Bold.ttf"
    assert 40 <= found.px <= 48


@pytest.mark.parametrize(
    "drawn",
    [
        "\u200f١٬٢٩٨٫٥٠\u00a0ر.س.\u200f",  # a wrong digit
        "\u200f١٬٢٩٩٬٥٠\u00a0ر.س.\u200f",  # group mark for the decimal mark
        "\u200f١٢٩٩٫٥٠\u00a0ر.س.\u200f",  # no group mark
    ],
)
def test_a_changed_digit_or_mark_matches_no_face(drawn: str) -> None:
    assert _match(DEJAVU_BOLD, [drawn], AR_PRICE, "ar-SA", rtl=True) is None


def test_a_letter_a_stroke_away_is_judged_against_what_the_reader_saw() -> None:
    # ซ differs from ช by a notch smaller than a stroke, which the glyph comparison
    # tolerates; the reader's favourite misreading. Set in the same face, whichever of the
    # two the image holds matches better.
    assert _match(LOMA, ["ช้อปเลย"], "ช้อปเลย", "th-TH", read="ซ้อปเลย") is not None
    assert _match(LOMA, ["ซ้อปเลย"], "ช้อปเลย", "th-TH", read="ซ้อปเลย") is None


def test_a_nukta_and_an_anusvara_count() -> None:
    want = "अभी ख़रीदें"
    assert _match(LOHIT, [want], want, "hi-IN", read="अभी खरीदें") is not None
    assert _match(LOHIT, [want], want, "hi-IN", read="अभी ख़रीदे") is not None
    assert _match(LOHIT, ["अभी खरीदें"], want, "hi-IN", read="अभी खरीदें") is None
    assert _match(LOHIT, ["अभी ख़रीदे"], want, "hi-IN", read="अभी ख़रीदे") is None


def test_copy_on_two_lines_finds_its_break() -> None:
    text = "Fresh picks for every room, this week only at Lumen."
    drawn = ["Fresh picks for every room,", "this week only at Lumen."]
    assert _match(SERIF, drawn, text, "en-US") is not None
    assert (
        _match(SERIF, ["Fresh picks for every room,", "this week only at Lumin."], text, "en-US")
        is None
    )
    assert (
        _match(SERIF, ["Fresh picks for every room,", "this week at Lumen."], text, "en-US") is None
    )


def test_an_extra_word_beside_the_copy_is_ink_left_unexplained() -> None:
    assert _match(SERIF, ["Shop now today"], "Shop now", "en-US") is None


def test_candidates_are_outline_faces_with_the_copys_characters() -> None:
    faces = installed_faces("ช้อปเลย")
    assert faces, "fontconfig lists no Thai face (make setup)"
    assert all(f.path.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc") for f in faces)
    assert all(ord("ก") in coverage(f.path, f.index) for f in faces)


def test_line_sets_break_at_spaces_or_between_clusters() -> None:
    assert _line_sets("a b c", 2) == [["a", "b c"], ["a b", "c"]]
    # a Thai vowel mark stays with its consonant
    assert ["ช้", "อ"] in _line_sets("ช้อ", 2)
    assert _line_sets("a b", 3) == []


def _verify(tmp: Path, drawn: str, want: str) -> dict[str, Any]:
    """`verify` of a manifest with no hints, for an Arabic price another tool drew."""
    mask = _mask(DEJAVU_BOLD, [drawn], 48, True, "ar")
    Image.fromarray(np.where(mask, 30, 245).astype(np.uint8)).convert("RGB").save(tmp / "a.png")
    h, w = mask.shape
    region = {"id": "price", "kind": "price", "box": [0, 0, w, h], "text": want}
    region |= {"amount": "1299.50", "currency": "SAR"}
    man = {"image": "a.png", "locale": "ar-SA", "regions": [region]}
    (tmp / "a.json").write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")
    (ocr,) = verify_manifest(tmp / "a.json", "a.json", only=["ocr"])["regions"][0]["findings"]
    assert isinstance(ocr, dict)
    return ocr


def test_verify_vouches_by_installed_face_and_still_fails_a_wrong_digit(tmp_path: Path) -> None:
    ok = _verify(tmp_path, AR_PRICE, AR_PRICE)
    assert ok["passed"], ok["message"]
    assert "installed face DejaVu Sans Bold" in ok["message"]
    bad = _verify(tmp_path, AR_PRICE.replace("٢", "٣"), AR_PRICE)
    assert not bad["passed"], bad["message"]


@pytest.mark.parametrize(
    ("drawn", "want", "locale", "rtl", "face"),
    [
        ("₹499,00", "₹499.00", "hi-IN", False, DEJAVU_BOLD),  # a comma for the decimal point
        ("نسوّق الآن", "تسوّق الآن", "ar-SA", True, DEJAVU_BOLD),  # one dot for two
    ],
)
def test_a_look_alike_a_dot_or_a_tail_away_fails(
    drawn: str, want: str, locale: str, rtl: bool, face: str
) -> None:
    assert _match(face, [want], want, locale, rtl) is not None
    assert _match(face, [drawn], want, locale, rtl) is None
    # and when the reader saw the look-alike there
    assert _match(face, [drawn], want, locale, rtl, read=drawn) is None
    assert _match(face, [want], want, locale, rtl, read=drawn) is not None


def test_each_disagreement_of_the_reader_is_a_rival_of_its_own() -> None:
    assert _read_edits("Estação", "Esteção") == ["Esteção"]
    # a mark the reader missed, and one it added, each alone
    assert "अभी खरीदें" in _read_edits("अभी ख़रीदें", "अभी खरीदें")
    assert _read_edits("Lumen", "Lumens") == ["Lumens"]
    # bidi controls in a reading are not disagreements
    assert _read_edits("Lumen", "\u200eLumen\u200f") == []


def test_a_line_with_too_many_look_alikes_gets_no_opinion() -> None:
    digits = "1234567890" * 6  # 60 digits, 9 swaps each: more rivals than are rendered
    assert len(_swaps(digits)) > MAX_RIVALS
    assert _match(DEJAVU_BOLD, [digits], digits, "en-US") is None


AR_HEADLINE = "تخفيضات الربيع من Lumen: خصم يصل إلى ٣٠٪"


def _verify_text(tmp: Path, font_file: str, drawn: str, want: str, px: int) -> dict[str, Any]:
    """`verify` of a manifest with no hints, for an Arabic headline another tool drew."""
    mask = _mask(font_file, [drawn], px, True, "ar")
    Image.fromarray(np.where(mask, 30, 245).astype(np.uint8)).convert("RGB").save(tmp / "t.png")
    h, w = mask.shape
    region = {"id": "headline", "kind": "text", "box": [0, 0, w, h], "text": want}
    man = {"image": "t.png", "locale": "ar-SA", "regions": [region]}
    (tmp / "t.json").write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")
    (ocr,) = verify_manifest(tmp / "t.json", "t.json", only=["ocr"])["regions"][0]["findings"]
    assert isinstance(ocr, dict)
    return ocr


def test_a_letter_a_dot_apart_at_a_small_size_is_judged_on_that_glyph() -> None:
    # FreeSerif Bold at 22 px: ب is narrower than ي, so every glyph after it moves; judged
    # on the whole rest of the line the two looked alike (and the copy failed unless a
    # reading said the word). Judged where they differ whichever way the line is lined up,
    # the two dots win on their own.
    assert _match_at(SERIF, AR_HEADLINE, 22, ()) is not None
    # a reading of the expected word excuses no look-alike actually drawn there
    for px in (20, 22):
        for drawn in (AR_HEADLINE.replace("يصل", "تصل"), AR_HEADLINE.replace("الربيع", "الرييع")):
            assert _match_at(SERIF, drawn, px, ()) is None
            assert _match_at(SERIF, drawn, px, (AR_HEADLINE,)) is None


def _match_at(font_file: str, drawn: str, px: int, readings: tuple[str, ...]) -> FaceMatch | None:
    mask = _mask(font_file, [drawn], px, True, "ar")
    return match_installed(mask, line_bands(mask), AR_HEADLINE, "ar-SA", True, "", readings)


def test_read_as_expected_excuses_letters_only() -> None:
    line = "خصم يصل إلى ٣٠٪"
    assert _read_as_expected(line, line.replace("يصل", "تصل"), ("خصم يصل الى 7٠١",))
    # the reader read the look-alike, or nothing of the word
    assert not _read_as_expected(line, line.replace("يصل", "تصل"), ("خصم تصل",))
    # a digit or a mark is never excused
    assert not _read_as_expected(line, line.replace("٣", "٢"), (line,))
    assert not _read_as_expected("19.99", "19,99", ("19.99",))
    # a word the line has twice must be read twice
    assert not _read_as_expected("من يصل من", "من يصل تن", ("من يصل",))


def test_verify_passes_a_small_serif_headline_and_fails_a_dot_apart(tmp_path: Path) -> None:
    ok = _verify_text(tmp_path, SERIF, AR_HEADLINE, AR_HEADLINE, 22)
    assert ok["passed"], ok["message"]
    bad = _verify_text(tmp_path, SERIF, AR_HEADLINE.replace("يصل", "تصل"), AR_HEADLINE, 22)
    assert not bad["passed"], bad["message"]


def test_a_hairline_face_that_vanishes_at_the_size_is_no_match() -> None:
    # Lato Hairline at 24 px leaves a single dot of ink, which correlated perfectly with
    # any copy and was then judged (and failed) in place of the face that drew it.
    hairline = "/usr/share/fonts/truetype/lato/Lato-Hairline.ttf"
    text = "Ανοιξιάτικες εκπτώσεις έως -30%"
    mask = _mask(SERIF, [text], 22, False, "el")
    if not Path(hairline).is_file():
        pytest.skip(f"{hairline} is not installed (make setup)")
    face = next(f for f in installed_faces(text) if str(f.path) == hairline)
    cols = np.flatnonzero(mask.any(axis=0))
    actual = np.pad(mask.astype(np.float32), 8)
    width = float(cols[-1] - cols[0] + 1)
    assert _resemblance((face,), text, 24, False, "el", actual, width) == 0.0


AR_BRAND = "تخفيضات الربيع من Lumen: خصم يصل إلى ٣٠٪"


def _pango_mask(tmp: Path, text: str, font: str, px: int) -> np.ndarray:
    """`text` drawn by Pango (fontconfig fallback for what `font` lacks), as a glyph mask."""
    exe = shutil.which("pango-view")
    if exe is None:
        pytest.skip("pango-view is not installed (make setup)")
    out = tmp / "p.png"
    subprocess.run(
        [exe, "-q", "--pixels", f"--font={font} {px}", "--background=white",
         "--foreground=black", f"--margin={px}", "--language=ar", "--rtl", "--no-auto-dir",
         f"--text={text}", "-o", str(out)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    with Image.open(out) as im:
        return np.asarray(im.convert("L")) < 128


def test_a_face_without_latin_is_matched_with_the_faces_its_latin_falls_back_to(
    tmp_path: Path,
) -> None:
    # KacstPoster has no Latin letters, digits or Latin punctuation: Pango sets "Lumen:" in
    # the sans-serif fallback. The face alone cannot set the copy, so only a chain of it
    # and its fallbacks can be the one that drew it.
    kacst = [c for c in candidate_chains(AR_BRAND) if c[0].family == "KacstPoster"]
    if not kacst:
        pytest.skip("KacstPoster is not installed (make setup)")
    assert all(len(c) > 1 for c in kacst)
    assert all(not f.missing("Lumen:") for c in kacst for f in c[1:2])
    mask = _pango_mask(tmp_path, AR_BRAND, "KacstPoster Medium", 40)
    found = match_installed(mask, line_bands(mask), AR_BRAND, "ar-SA", True)
    assert found is not None
    assert found.face.family == "KacstPoster" and len(found.chain) > 1
    assert "falling back to" in found.describe()
    for drawn in (AR_BRAND.replace("٣", "٢"), AR_BRAND.replace("Lumen", "Lumin")):
        mask = _pango_mask(tmp_path, drawn, "KacstPoster Medium", 40)
        assert match_installed(mask, line_bands(mask), AR_BRAND, "ar-SA", True) is None


def test_a_final_mark_a_pixel_off_the_rest_of_the_line_is_judged_by_its_shape() -> None:
    # Another renderer's hinting put the comma one pixel right of where copyplate's shaper
    # puts it: compared pixel for pixel in place, the full stop (less ink where the comma
    # is not) fitted better.
    if not Path(SERIF).is_file():
        pytest.skip(f"{SERIF} is not installed (make setup)")
    setter = TextSetter([FontFace(Path(SERIF), 0, "FreeSerif", "Bold")], "tr-TR", "ltr")
    px = 16
    comma = render_line(setter, "bu hafta Lumen,", px, pad=0, crop=False)
    stop = render_line(setter, "bu hafta Lumen.", px, pad=0, crop=False)
    for drawn, mine, theirs in ((comma, comma, stop), (stop, stop, comma)):
        ink = np.pad((drawn >= 0.5).astype(np.float32), ((0, 0), (0, 2)))
        cut = int(np.flatnonzero(ink.any(axis=0))[-1]) - 1  # the final mark's columns
        while ink[:, cut].any():
            cut -= 1
        ink[:, cut:] = np.roll(ink[:, cut:], 1, axis=1)
        ratio = _closer(np.pad(ink, 2 * px), mine, theirs, (2 * px, 2 * px), px, at_end=True)
        assert ratio is not None and ratio < CLEARLY
        # and the other mark, judged against the drawn one, loses clearly
        ratio = _closer(np.pad(ink, 2 * px), theirs, mine, (2 * px, 2 * px), px, at_end=True)
        assert ratio is not None and ratio > 1 / CLEARLY


def test_a_look_alike_at_the_line_end_is_told_from_one_inside_it() -> None:
    assert _at_end("Lumen.", "Lumen")
    assert _at_end("Lumen.", "Lumen,")
    assert _at_end("\u200f٣٠٪\u200f", "\u200f٢٠٪\u200f")
    assert not _at_end("Lumen.", "Lumon.")
