"""Prices and calls to action drawn by other tools (issue 12): a display face's currency
sign that looks like none of the reference faces' is judged among every sign and digit
drawn in the face the price's digits were drawn in; a sign that touches a tight box is not
taken for a holder's edge; copy on a pill that stands out from the plate more than the
copy does from the pill is read from the pill's holes. Each with the matching defect (a
wrong sign or mark, a wrong letter), which still fails. Real fonts, real tesseract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from copyplate.fonts import coverage
from copyplate.pipeline.verify import verify_manifest
from copyplate.validators import symbols

NANUM = "/usr/share/fonts/truetype/nanum/NanumSquareRoundB.ttf"
KETER = "/usr/share/fonts/truetype/culmus/KeterYG-Bold.ttf"
SAWASDEE = "/usr/share/fonts/truetype/tlwg/Sawasdee-Bold.ttf"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
P052 = "/usr/share/fonts/opentype/urw-base35/P052-Bold.otf"

LIGHT, DARK = (240, 236, 228), (22, 40, 52)


def _verify(
    tmp: Path,
    face: str,
    drawn: str,
    region: dict[str, Any],
    locale: str,
    pill: bool = False,
    pad: int = 14,
) -> dict[str, Any]:
    """`drawn` set in `face` (on a light pill over a dark plate, or on a light plate),
    verified against `region` with no hints; the box is `pad` px from the ink (3 px past
    the pill when `pill`)."""
    if not Path(face).exists():
        pytest.skip(f"{face} is not installed")
    missing = [c for c in drawn if not c.isspace() and ord(c) not in coverage(Path(face))]
    if missing:
        pytest.skip(f"{face} has no {missing}")
    font = ImageFont.truetype(face, 48)
    img = Image.new("RGB", (640, 200), DARK if pill else LIGHT)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = d.textbbox((120, 70), drawn, font=font)
    if pill:
        p0, p1 = (x0 - 40, y0 - 22), (x1 + 40, y1 + 22)
        d.rounded_rectangle((*p0, *p1), radius=(p1[1] - p0[1]) // 2, fill=LIGHT)
        # the box a few pixels past the pill: the plate all along its border
        box = [p0[0] - 3, p0[1] - 3, p1[0] - p0[0] + 6, p1[1] - p0[1] + 6]
    else:
        box = [x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad]
    d.text((120, 70), drawn, font=font, fill=DARK)
    img.save(tmp / "a.png")
    man = {"image": "a.png", "locale": locale, "regions": [{"id": "r", "box": box, **region}]}
    (tmp / "a.json").write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")
    res = verify_manifest(tmp / "a.json", "a.json", only=["ocr"])
    (found,) = res["regions"][0]["findings"]
    return dict(found)


KRW = {"kind": "price", "text": "₩69,000", "amount": "69000", "currency": "KRW"}
ILS = {"kind": "price", "text": "\u200f549.90\u00a0\u200f₪", "amount": "549.90", "currency": "ILS"}
THB = {"kind": "price", "text": "฿259.00", "amount": "259", "currency": "THB"}
EUR = {"kind": "price", "text": "24,95\u00a0€", "amount": "24.95", "currency": "EUR"}


def test_a_won_sign_in_a_rounded_face_on_a_pill_passes(tmp_path: Path) -> None:
    # The reference faces' ₩ are nearer a W than this face's ₩ is to them.
    f = _verify(tmp_path, NANUM, "₩69,000", KRW, "ko-KR", pill=True)
    assert f["passed"], f["message"]
    assert "₩" in f["message"]


@pytest.mark.parametrize("drawn", ["$69,000", "W69,000", "₩69.000"])
def test_a_wrong_sign_or_mark_in_that_face_fails(tmp_path: Path, drawn: str) -> None:
    f = _verify(tmp_path, NANUM, drawn, KRW, "ko-KR", pill=True)
    assert not f["passed"], f["message"]


def test_a_display_face_shekel_sign_passes(tmp_path: Path) -> None:
    f = _verify(tmp_path, KETER, "₪ 549.90", ILS, "he-IL")
    assert f["passed"], f["message"]


@pytest.mark.parametrize("drawn", ["$ 549.90", "₪ 549,90"])
def test_a_wrong_sign_or_mark_in_the_display_face_fails(tmp_path: Path, drawn: str) -> None:
    f = _verify(tmp_path, KETER, drawn, ILS, "he-IL")
    assert not f["passed"], f["message"]


@pytest.mark.parametrize(
    ("face", "drawn", "region", "locale", "right"),
    [
        (SAWASDEE, "฿259.00", THB, "th-TH", True),
        (DEJAVU, "24,95 €", EUR, "es-ES", True),
        (SAWASDEE, "$259.00", THB, "th-TH", False),
        (DEJAVU, "24,95 $", EUR, "es-ES", False),
    ],
)
def test_a_sign_touching_a_tight_box_is_a_glyph_judged_by_its_shape(
    tmp_path: Path, face: str, drawn: str, region: dict[str, Any], locale: str, right: bool
) -> None:
    """Not a holder's edge: the right sign passes, a wrong one fails."""
    f = _verify(tmp_path, face, drawn, region, locale, pad=0)
    assert f["passed"] is right, f["message"]


CTA = {"kind": "cta", "text": "Kupuję"}


def test_a_call_to_action_on_a_pill_brighter_than_the_plate_reads(tmp_path: Path) -> None:
    # Along the box's border the plate outweighs the pill: the pill was taken for the ink.
    f = _verify(tmp_path, P052, "Kupuję", CTA, "pl-PL", pill=True)
    assert f["passed"], f["message"]


def test_a_wrong_letter_on_that_pill_fails(tmp_path: Path) -> None:
    f = _verify(tmp_path, P052, "Kupuje", CTA, "pl-PL", pill=True)
    assert not f["passed"], f["message"]


def _ink(face: str, text: str) -> np.ndarray:
    font = ImageFont.truetype(face, 48)
    img = Image.new("L", (240, 100), 0)
    ImageDraw.Draw(img).text((10, 10), text, font=font, fill=255)
    return np.asarray(img) >= 128


def test_a_sign_is_judged_in_the_face_its_digits_were_drawn_in() -> None:
    if not Path(KETER).exists():
        pytest.skip(f"{KETER} is not installed")
    digits = [(c, _ink(KETER, c)) for c in "54990"]
    faces = symbols.drawn_in(digits, "₪")
    assert Path(KETER) in [f.path for f in faces]
    sign = _ink(KETER, "₪")
    assert not symbols.is_symbol(sign, "₪")[0]  # the reference faces' ₪ look otherwise
    assert symbols.is_symbol(sign, "₪", faces=faces)[0]
    for other in "$€₦5":
        assert not symbols.is_symbol(_ink(KETER, other), "₪", faces=faces)[0], other


def test_chamfer_score_is_numpys_nan_statistics_to_the_bit() -> None:
    """`_score` sorts once for every template instead of np.nanpercentile's row-by-row
    pass: the rankings (and so every sign's verdict) must be exactly numpy's."""
    import warnings

    rng = np.random.default_rng(7)
    for k in range(60):
        ink = rng.random((40, symbols.SIDE, symbols.SIDE)) < rng.random() * 0.4
        ink[k % 40] = False  # a template with no ink at all: NaN, as numpy says
        g = (rng.random((symbols.SIDE, symbols.SIDE)) < 0.2).astype(np.float32)
        dg = symbols._distance(g)
        dist = np.stack([symbols._distance(i.astype(np.float32)) for i in ink])
        ab = dist[:, g > 0]
        ba = np.where(ink, dg[None], np.nan).reshape(len(ink), -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = (
                ab.mean(axis=1)
                + np.nanmean(ba, axis=1)
                + np.percentile(ab, 95, axis=1)
                + np.nanpercentile(ba, 95, axis=1)
            ) / 4
        got = symbols._score(g, dg, symbols.Stack.of(ink, dist))
        assert np.array_equal(got, want, equal_nan=True)


def test_drawn_in_ranks_the_faces_as_scoring_them_one_at_a_time_does() -> None:
    """`drawn_in` scores every face's digits in one array: the faces it returns, and their
    order, must be those of scoring each face on its own."""
    from copyplate.validators.fontmatch import installed_faces

    digits = [(c, _ink(DEJAVU, c)) for c in "2490"]
    seen = {}
    for c, m in digits:
        if c not in seen and (g := symbols.normalised(m)) is not None:
            seen[c] = (g, symbols._distance(g))
    ranked = []
    for face in installed_faces("€" + "".join(seen)):
        refs = [symbols._template(face, c) for c in seen]
        if any(r is None for r in refs):
            continue
        far = [
            float(symbols._score(g, dg, symbols.Stack.of(r[0][None] > 0, r[1][None]))[0])
            for (g, dg), r in zip(seen.values(), refs, strict=True)
            if r is not None
        ]
        ranked.append((sum(far) / len(far), str(face.path), face.index))
    ranked.sort()
    got = symbols.drawn_in(digits, "€")
    assert len(ranked) > symbols.DRAWN_IN
    assert [(str(f.path), f.index) for f in got] == [r[1:] for r in ranked[: symbols.DRAWN_IN]]
    assert Path(DEJAVU) == got[0].path  # the digits' own face is nearest
