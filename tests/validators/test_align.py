"""Forced alignment of the expected copy with tesseract's LSTM posteriors (`align`, `lstm`),
on lines Pillow draws in faces copyplate does not use: the exact copy is accepted; a typo, a
missing or extra word, a wrong decimal mark, and a Latin name spelled wrong inside Korean
copy are not."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from copyplate.validators.align import Score, visual
from copyplate.validators.lstm import tables
from copyplate.validators.ocr import line_bands, reader
from copyplate.validators.readnorm import normalise

SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"
NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
GREEK = "/usr/share/fonts/opentype/neohellenic/GFSNeohellenicBold.otf"


def _line(text: str, face: str, px: int = 40) -> Image.Image:
    if not Path(face).is_file():
        pytest.fail(f"{face} is missing: make setup installs it")
    font = ImageFont.truetype(face, px)
    x0, y0, x1, y1 = font.getbbox(text)
    img = Image.new("L", (x1 - x0 + 40, y1 - y0 + 40), 255)
    ImageDraw.Draw(img).text((20 - x0, 20 - y0), text, font=font, fill=0)
    return img


def _score(drawn: str, expected: str, lang: str, face: str, sure: str = "") -> Score:
    score = reader().aligner.score([_line(drawn, face)], expected, lang, False, sure)
    # None: the model cannot score most of the copy, which is no acceptance either
    return score or Score(False, 0.0, 1.0, "")


def test_the_exact_copy_is_accepted_and_every_defect_is_not() -> None:
    text = "Spring sale on every lamp this week"
    assert _score(text, text, "eng", SERIF).ok
    typo = _score(text, "Spring sale on every lamp this waek", "eng", SERIF)
    assert not typo.ok and typo.min_p < 0.5
    assert not _score(text, "Spring sale on every new lamp this week", "eng", SERIF).ok
    extra = _score(text, "Spring sale on every lamp", "eng", SERIF)
    assert not extra.ok and extra.extra >= 0.5  # ink the expected copy does not explain


def test_a_price_needs_its_decimal_mark_read_with_near_certainty() -> None:
    sure = "$€.,"
    assert _score("$49.99", "$49.99", "eng", SERIF, sure).ok
    assert not _score("$49.99", "$49,99", "eng", SERIF, sure).ok
    assert not _score("€49.99", "$49.99", "eng", SERIF, sure).ok


def test_a_latin_name_in_korean_copy_is_verified_by_the_english_model() -> None:
    drawn = "이번 주 Lumen에서만"
    assert _score(drawn, drawn, "kor", NANUM).ok
    assert not _score(drawn, "이번 주 Lumon에서만", "kor", NANUM).ok
    assert not _score(drawn, "이번 주 Lumen Aura에서만", "kor", NANUM).ok


def test_a_sign_the_model_lacks_takes_one_character_not_an_extra_word() -> None:
    # Greek tesseract has no %: it is a wildcard for one character, not for "% στα"
    assert tables(reader().tessdata / "ell.traineddata").units("%")[0].codes is None
    expected = "Ανοιξιάτικες εκπτώσεις έως -30%"
    assert not _score(expected + " στα", expected, "ell", GREEK).ok


def test_units_group_characters_that_mean_the_same() -> None:
    ara = tables(reader().tessdata / "ara.traineddata")
    (three,) = ara.units("٣")
    western = ara.units("3")[0].codes
    assert three.codes is not None and western is not None
    assert set(western) <= set(three.codes)  # a 3 read for ٣ counts
    kor = tables(reader().tessdata / "kor.traineddata")
    (syllable,) = kor.units("집")
    assert syllable.codes is not None and len(syllable.codes[0]) > 1  # Hangul is recoded


def test_visual_order_of_right_to_left_copy_keeps_latin_runs_and_marks() -> None:
    assert visual("abc", False) == "abc"
    assert visual("שלום Lumen", True) == "Lumen םולש"
    shin_dot = unicodedata.normalize("NFD", "שׁל")
    assert visual(shin_dot, True) == "ל" + shin_dot[:2]


def test_polytonic_readings_of_monotonic_greek_compare_equal() -> None:
    assert normalise("ἑως") == normalise("έως") == normalise("ὲως")
    assert normalise("εως") != normalise("έως")  # a missing tonos still differs
    assert normalise("ἑώς") != normalise("έως")  # and one on another letter


def test_lines_that_touch_are_split_at_the_valley_between_them() -> None:
    mask = np.zeros((80, 200), dtype=bool)
    mask[5:35, 10:190] = True  # line one
    mask[45:75, 10:190] = True  # line two
    mask[35:45, 50:52] = True  # a dot bridging them: no empty row in between
    (a, cut), (cut2, b) = line_bands(mask)
    assert (a, b) == (5, 75) and cut == cut2 and 35 <= cut <= 45
    tall = np.zeros((60, 200), dtype=bool)
    tall[0:20, 20:22] = True  # ascenders only above the x-height
    tall[0:20, 80:82] = True
    tall[20:50, 10:190] = True
    assert line_bands(tall) == [(0, 50)]


ARABIC = "/usr/share/fonts/opentype/lateef/Lateef-Bold.ttf"


def _rtl_line(text: str, px: int = 56, basic: bool = False) -> Image.Image:
    engine = ImageFont.Layout.BASIC if basic else ImageFont.Layout.RAQM
    font = ImageFont.truetype(ARABIC, px, layout_engine=engine)
    shown = text[::-1] if basic else text  # without a shaper nothing reorders either
    kw = {} if basic else {"direction": "rtl"}
    x0, y0, x1, y1 = font.getbbox(shown, **kw)
    img = Image.new("L", (x1 - x0 + 40, y1 - y0 + 40), 255)
    ImageDraw.Draw(img).text((20 - x0, 20 - y0), shown, font=font, fill=0, **kw)
    return img


def test_arabic_indic_digits_are_verified_by_the_persian_model() -> None:
    text = "خصم يصل إلى ٣٠٪"
    aligner = reader().aligner
    good = aligner.score([_rtl_line(text)], text, "ara", True)
    assert good is not None and good.ok, good
    wrong = aligner.score([_rtl_line("خصم يصل إلى ٣٧٪")], text, "ara", True)
    assert wrong is None or not wrong.ok


def test_unjoined_arabic_is_told_from_the_ink_without_a_named_font(tmp_path: Path) -> None:
    import json

    from copyplate.pipeline.verify import verify_manifest

    text = "اختيارات جديدة لكل ركن في بيتك"
    verdicts = []
    for name, basic in (("joined", False), ("unjoined", True)):
        line = _rtl_line(text, 40, basic)
        img = Image.new("RGB", (line.width + 40, line.height + 40), "white")
        img.paste(line.convert("RGB"), (20, 20))
        img.save(tmp_path / f"{name}.png")
        box = [10, 10, line.width + 20, line.height + 20]
        region = {"id": "r", "kind": "text", "box": box, "text": text}
        man = {"image": f"{name}.png", "locale": "ar-SA", "regions": [region]}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")
        res = verify_manifest(path, path.name, only=["rtl"])
        (finding,) = [f for f in res["regions"][0]["findings"] if f["check"] == "rtl.order"]
        verdicts.append(finding["passed"])
    assert verdicts == [True, False]
