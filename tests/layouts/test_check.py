"""`copyplate check`: every problem at once, located, and never a traceback."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from copyplate.cli import main
from copyplate.layouts.loader import check_campaign, load_campaign
from tests.conftest import SAMPLES, edit_json, run_cli


def errors_of(path: Path) -> list[str]:
    _, problems = check_campaign(path)
    return [p.format() for p in problems if p.severity == "error"]


def test_samples_are_valid() -> None:
    files = sorted(str(p) for p in SAMPLES.glob("*/campaign.json"))
    assert len(files) >= 2
    r = run_cli("check", *files)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_spring_sale_has_the_17_locales_and_3_sizes() -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    assert sorted(lc.campaign.locales) == sorted(
        [
            "en-US",
            "de-DE",
            "fr-FR",
            "es-ES",
            "pt-BR",
            "pl-PL",
            "tr-TR",
            "ru-RU",
            "el-GR",
            "vi-VN",
            "ar-SA",
            "he-IL",
            "ja-JP",
            "zh-CN",
            "ko-KR",
            "hi-IN",
            "th-TH",
        ]
    )
    assert {(s.width, s.height) for s in lc.campaign.sizes} == {
        (1080, 1080),
        (1080, 1920),
        (1200, 628),
    }
    kinds = {r.kind for r in lc.campaign.regions}
    assert {"text", "price", "cta", "qr"} <= kinds
    # Mixed runs the typesetter must handle: Latin brand inside RTL, digits inside Thai.
    assert "Lumen" in lc.text("headline", "ar-SA")
    assert "Lumen" in lc.text("headline", "he-IL")
    assert any(ch.isdigit() for ch in lc.text("legal", "th-TH"))


def test_prices_come_from_cldr_not_from_the_deck() -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    assert lc.text("price", "de-DE") == "49,99\xa0€"
    assert lc.text("price", "en-US") == "$49.99"
    ar = lc.text("price", "ar-SA")
    assert "١٩٩" in ar and "ر.س." in ar  # Arabic-Indic digits and the riyal symbol
    assert lc.text("price", "ja-JP") == "￥7,480"


def test_product_launch_has_ean13_and_long_legal() -> None:
    lc = load_campaign(SAMPLES / "product-launch" / "campaign.json")
    assert any(r.kind == "barcode" and r.symbology == "ean13" for r in lc.campaign.regions)
    assert len(lc.text("legal", "de-DE")) > 300


def test_broken_copy_reports_every_problem_with_pointer_and_line(
    sample_copy: Callable[[str], Path],
) -> None:
    path = sample_copy("spring-sale")

    def breakit(c: dict[str, Any]) -> None:
        c["regions"][0]["copy"] = "headlin"  # unknown copy key
        c["regions"][1]["min_font_px"] = 60  # > max_font_px 40
        c["regions"][2]["background"] = "acent"  # unknown colour token
        c["regions"][3]["box"]["w"] = 0.95  # leaves the canvas
        c["regions"][4]["colour"] = "ink"  # unknown key
        c["brand"]["fonts"]["body"]["Thai"] = [{"family": "No Such Font", "style": "Bold"}]
        del c["locales"]["de-DE"]["copy"]["qr_url"]  # locale missing a key

    edit_json(path, breakit)
    r = run_cli("check", str(path))
    assert r.returncode == 2
    lines = r.stdout.strip().splitlines()
    expect = {
        "/regions/0/copy": "unknown copy key 'headlin' (did you mean 'headline'?)",
        "/regions/1/min_font_px": "larger than max_font_px",
        "/regions/2/background": "unknown colour token 'acent'",
        "/regions/3/box": "outside the canvas",
        "/regions/4/colour": "unknown key 'colour' (did you mean 'color'?)",
        "/brand/fonts/body/Thai/0": "'No Such Font' is not installed",
        "/locales/de-DE": "has no copy for 'qr_url'",
    }
    for pointer, text in expect.items():
        hits = [ln for ln in lines if f": {pointer}: " in ln and text in ln]
        assert hits, f"no line for {pointer} containing {text!r} in:\n{r.stdout}"
        # file:line:col: pointer: message
        head = hits[0].split(": ")[0]
        assert head.count(":") == 2 and head.split(":")[1].isdigit(), hits[0]
    assert "Traceback" not in r.stderr


def test_locale_without_a_font_is_named(sample_copy: Callable[[str], Path]) -> None:
    path = sample_copy("spring-sale")

    def only_latin(c: dict[str, Any]) -> None:
        for role in c["brand"]["fonts"].values():
            role.pop("Thai")

    edit_json(path, only_latin)
    errs = errors_of(path)
    thai = [e for e in errs if "th-TH" in e]
    assert thai and all("strings.csv" in e for e in thai)
    assert all("no font of role" in e and "U+0E" in e for e in thai)


def test_copy_deck_problems_point_into_the_deck(sample_copy: Callable[[str], Path]) -> None:
    path = sample_copy("product-launch")
    deck = path.parent / "copy" / "de-DE.json"
    edit_json(deck, lambda d: d["price"].update(currency="EURO"))
    errs = errors_of(path)
    assert any(e.startswith(f"{deck}:") and "/price/currency" in e for e in errs), errs


def test_wrong_check_digit_is_caught(sample_copy: Callable[[str], Path]) -> None:
    path = sample_copy("product-launch")
    edit_json(path, lambda c: c["locales"]["en-US"]["copy"].update(ean="5901234123458"))
    errs = errors_of(path)
    assert any("check digit" in e and "should end in 7" in e for e in errs), errs


def test_currency_precision(sample_copy: Callable[[str], Path]) -> None:
    path = sample_copy("product-launch")
    deck = path.parent / "copy" / "ja-JP.json"
    edit_json(deck, lambda d: d["price"].update(amount="19800.50"))
    assert any("JPY prices have 0 decimal places" in e for e in errors_of(path))


def test_unreadable_deck_does_not_cascade(sample_copy: Callable[[str], Path]) -> None:
    """A deck that cannot be read might define any key: no 'missing copy' noise after it."""
    path = sample_copy("spring-sale")
    edit_json(path, lambda c: c["decks"].append({"file": "../../outside.csv"}))
    errs = errors_of(path)
    assert len(errs) == 1 and "/decks/1/file" in errs[0] and "leaves the campaign folder" in errs[0]


def test_duplicate_json_keys_are_errors(tmp_path: Path) -> None:
    src = (SAMPLES / "spring-sale" / "campaign.json").read_text(encoding="utf-8")
    d = tmp_path / "c"
    import shutil

    shutil.copytree(SAMPLES / "spring-sale", d)
    (d / "campaign.json").write_text(
        src.replace('"version": 1,', '"version": 1,\n  "id": "x",', 1), encoding="utf-8"
    )
    errs = errors_of(d / "campaign.json")
    assert any("/id: key appears twice" in e for e in errs), errs


def test_csv_deck_locale_column_must_be_declared(sample_copy: Callable[[str], Path]) -> None:
    path = sample_copy("spring-sale")
    csv = path.parent / "copy" / "strings.csv"
    text = csv.read_text(encoding="utf-8").replace(",th-TH\n", ",th-XX\n", 1)
    csv.write_text(text, encoding="utf-8")
    errs = errors_of(path)
    assert any("strings.csv:1:" in e and "'th-XX' is not a locale" in e for e in errs), errs


# --- hostile input: one line, exit 2, never a traceback ------------------------------------


HOSTILE: dict[str, bytes] = {
    "truncated": b'{"version": 1, "id": "x", "brand": {',
    "wrong types": b'{"version": "one", "id": 5, "name": [], "brand": 3, "sizes": {}, '
    b'"plate": null, "regions": "all", "locales": []}',
    "array root": b"[1, 2, 3]",
    "empty": b"",
    "not utf8": b'{"name": "\xff\xfe"}',
    "nan": b'{"version": NaN}',
    "deep nesting": b"[" * 200_000 + b"]" * 200_000,
    "moderate nesting": b'{"plate": ' + b"[" * 100 + b"]" * 100 + b"}",
    "long string in range": b'{"name": "' + b"x" * 2_000_000 + b'"}',
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_json_gets_a_clean_error(tmp_path: Path, name: str) -> None:
    f = tmp_path / "campaign.json"
    f.write_bytes(HOSTILE[name])
    r = run_cli("check", str(f))
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    assert r.stdout.strip(), "no problem reported"
    assert all(ln.startswith(str(f)) for ln in r.stdout.strip().splitlines())
    assert all(len(ln) < 2000 for ln in r.stdout.splitlines()), "message echoes huge input"


def test_100_mb_string_is_refused_by_size(tmp_path: Path) -> None:
    f = tmp_path / "campaign.json"
    with f.open("wb") as fh:
        fh.write(b'{"version": 1, "name": "')
        chunk = b"a" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
        fh.write(b'"}')
    r = run_cli("check", str(f))
    assert r.returncode == 2
    assert "input files are limited to" in r.stdout
    assert r.stdout.count("\n") == 1


def test_missing_file_and_directory(tmp_path: Path) -> None:
    r = run_cli("check", str(tmp_path / "nope.json"), str(tmp_path))
    assert r.returncode == 2
    assert "does not exist" in r.stdout and "is a directory" in r.stdout


@pytest.mark.parametrize(
    "field,value",
    [
        ("deck", "../../../etc/passwd"),
        ("deck", "/etc/passwd"),
        ("font", "../../../usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
        ("symlink", "copy/escape.json"),
    ],
)
def test_paths_may_not_leave_the_campaign_folder(
    sample_copy: Callable[[str], Path], field: str, value: str
) -> None:
    path = sample_copy("product-launch")
    if field == "symlink":
        outside = path.parent.parent / "secret.json"
        outside.write_text('{"headline": "x"}', encoding="utf-8")
        os.symlink(outside, path.parent / "copy" / "escape.json")

    def edit(c: dict[str, Any]) -> None:
        if field == "font":
            c["brand"]["fonts"]["body"]["default"] = [{"file": value}]
        else:
            c["locales"]["en-US"]["deck"] = value

    edit_json(path, edit)
    errs = errors_of(path)
    assert any("leaves the campaign folder" in e or "is absolute" in e for e in errs), errs


def test_in_process_main_returns_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.json"
    f.write_text("{", encoding="utf-8")
    assert main(["check", str(f)]) == 2
    assert main(["check", str(SAMPLES / "spring-sale" / "campaign.json")]) == 0
    out = capsys.readouterr().out
    assert "invalid JSON" in out


# --- issue 13: bad input that used to pass or hang ---------------------------------------


def _csv_price(path: Path, value: str) -> None:
    deck = path.parent / "copy" / "strings.csv"
    lines = deck.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("price,"):
            cells = line.split(",")
            cells[2] = value
            lines[i] = ",".join(cells)
    deck.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("value", ["1E-999999999 USD", "19.999 USD", "0.001 USD"])
def test_prices_are_never_rounded(
    sample_copy: Callable[[str], Path], tmp_path: Path, value: str
) -> None:
    """ "1E-999999999" EUR passed and rendered "€0.00"; over-precise amounts were rounded."""
    path = sample_copy("spring-sale")
    _csv_price(path, value)
    errs = errors_of(path)
    assert any("decimal places" in e or "must be written" in e for e in errs), errs
    # Inline in the campaign JSON too.
    from copyplate.errors import LayoutError
    from tests.renderers.copy.helpers import campaign

    region = {
        "id": "price",
        "kind": "price",
        "copy": "price",
        "font_role": "display",
        "box": {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.5},
    }
    price = {"amount": value.split()[0], "currency": "USD"}
    with pytest.raises(LayoutError, match=r"decimal places|price"):
        campaign(tmp_path / "inline", [region], {"en-US": {"price": price}})


def test_formatting_an_over_precise_price_refuses_to_round() -> None:
    from decimal import Decimal

    from copyplate.layouts.locales import LocaleProblem, locale_info

    info = locale_info("de-DE")
    assert info.format_price(Decimal("19.90"), "EUR").startswith("19,90")
    with pytest.raises(LocaleProblem, match="2 decimal places"):
        info.format_price(Decimal("19.999"), "EUR")


def test_a_number_written_as_a_string_is_refused(sample_copy: Callable[[str], Path]) -> None:
    path = sample_copy("spring-sale")
    edit_json(path, lambda d: d["sizes"][0].update(width="1080"))
    errs = errors_of(path)
    assert any("/sizes/0/width" in e for e in errs), errs


def test_a_qr_payload_over_capacity_fails_check(sample_copy: Callable[[str], Path]) -> None:
    """It passed `check` and then aborted the whole batch with no report."""
    path = sample_copy("spring-sale")
    url = "https://lumen.example/" + "x" * 5000
    edit_json(path, lambda d: d["locales"]["en-US"]["copy"].update(qr_url=url))
    errs = errors_of(path)
    assert any("does not fit a QR code" in e for e in errs), errs


def test_a_catastrophic_pattern_is_checked_in_linear_time(
    sample_copy: Callable[[str], Path],
) -> None:
    import time

    path = sample_copy("spring-sale")

    def hostile(d: Any) -> None:
        d["regions"][0]["checks"] = {"pattern": "(a+)+"}
        d["locales"]["en-US"]["copy"]["headline"] = "a" * 40 + "!"

    edit_json(path, hostile)
    t0 = time.monotonic()
    errs = errors_of(path)
    assert time.monotonic() - t0 < 30
    assert any("does not match" in e for e in errs), errs


def test_a_pattern_re2_cannot_run_is_refused(sample_copy: Callable[[str], Path]) -> None:
    path = sample_copy("spring-sale")
    edit_json(path, lambda d: d["regions"][0].update(checks={"pattern": r"(a)\1"}))
    errs = errors_of(path)
    assert any("RE2" in e for e in errs), errs


def test_harmony_errors_name_the_key_with_line_and_column(
    sample_copy: Callable[[str], Path],
) -> None:
    path = sample_copy("spring-sale")
    edit_json(path, lambda c: c["regions"][0]["harmony"].update(max_spread=0.5))
    (err,) = errors_of(path)
    assert "/regions/0/harmony/max_spread" in err and "greater than or equal to 1" in err
    assert err.startswith(f"{path}:") and err.split(":")[1].isdigit()
    edit_json(path, lambda c: c["regions"][0].update(harmony={"max_sprad": 1.2}))
    (err,) = errors_of(path)
    assert "unknown key 'max_sprad'" in err and "did you mean 'max_spread'" in err


# --- issue 17: image and logo regions ----------------------------------------------------


def test_image_and_logo_problems_are_each_located(sample_copy: Callable[[str], Path]) -> None:
    from PIL import Image

    path = sample_copy("product-launch")
    Image.new("RGBA", (40, 40)).save(path.parent / "ok.png")
    Image.new("1", (9000, 8000)).save(path.parent / "huge.png")

    def edit(c: dict[str, Any]) -> None:
        box = {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}
        c["regions"] += [
            {"id": "prod", "kind": "image", "src": "ok.png", "mask": "../m.png", "box": box},
            {"id": "pic", "kind": "image", "src": "huge.png", "box": box},
            {
                "id": "mark",
                "kind": "logo",
                "src": "ok.png",
                "box": box,
                "variants": {"light": "missing.png"},
            },
        ]

    edit_json(path, edit)
    errs = errors_of(path)
    n = len(errs)
    assert any("/mask" in e and "leaves the campaign folder" in e for e in errs), errs
    assert any("/src" in e and "9000x8000; the limit is 64,000,000 pixels" in e for e in errs)
    assert any("/variants/light" in e and "'missing.png' does not exist" in e for e in errs)

    def structural(c: dict[str, Any]) -> None:
        c["regions"][-1]["anchor"] = "middle"
        c["regions"][-2]["shadow"] = {"opacity": 2}

    edit_json(path, structural)
    r = run_cli("check", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "anchor" in r.stdout and "'middle'" in r.stdout and "opacity" in r.stdout, r.stdout
    assert n >= 3
