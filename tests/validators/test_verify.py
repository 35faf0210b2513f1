"""`copyplate verify`: the fixed contract, exit codes, and hostile input refused cleanly."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import run_cli
from tests.renderers.copy.helpers import campaign, text_region


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("verify", *args, timeout=300)


@pytest.fixture(scope="module")
def asset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real asset rendered by the pipeline: headline, price badge and a QR."""
    from copyplate.pipeline.asset import RenderedAsset, render_copy, write_asset
    from copyplate.pipeline.plan import Job

    tmp = tmp_path_factory.mktemp("verify")
    lc = campaign(
        tmp / "c",
        [
            text_region("headline", max_font_px=56, box={"x": 0.04, "y": 0.05, "w": 0.6, "h": 0.4}),
            {
                "id": "price",
                "kind": "price",
                "copy": "price",
                "font_role": "display",
                "color": "on-accent",
                "background": "accent",
                "shape": "pill",
                "box": {"x": 0.04, "y": 0.55, "w": 0.4, "h": 0.3},
                "min_font_px": 20,
                "max_font_px": 56,
            },
            {
                "id": "qr",
                "kind": "qr",
                "copy": "url",
                "box": {"x": 0.7, "y": 0.1, "w": 0.28, "h": 0.8},
            },
        ],
        {
            "de-DE": {
                "headline": "Frühlings-Sale: bis zu 30 % Rabatt",
                "price": {"amount": "49.99", "currency": "EUR"},
                "url": "https://lumen.example/de/fruehling",
            }
        },
        width=900,
        height=400,
    )
    job = Job("t", "de-DE", "s", "default")
    plate = Image.new("RGB", (900, 400), "#EFE7DA")
    image, layers = render_copy(lc, job, plate)
    write_asset(lc, RenderedAsset(job, image, layers), tmp / "out")
    return tmp / "out" / "s"


def edit(src: Path, dst: Path, fn: Any) -> Path:
    data = json.loads(src.read_text(encoding="utf-8"))
    fn(data)
    dst.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dst


def test_good_asset_passes_with_the_contract_shape(asset_dir: Path) -> None:
    m = asset_dir / "de-DE.json"
    r = run(str(m), "--json")
    assert r.returncode == 0, r.stdout[-2000:]
    [res] = json.loads(r.stdout)
    assert res["manifest"] == str(m) and res["passed"] is True
    assert [x["id"] for x in res["regions"]] == ["headline", "price", "qr"]
    checks = {f["check"] for x in res["regions"] for f in x["findings"]}
    families = {c.split(".")[0] for c in checks}
    assert {"ocr", "regex", "contrast", "qr", "geometry", "glyphs"} <= families
    for x in res["regions"]:
        for f in x["findings"]:
            assert {"check", "passed", "message"} <= set(f)


def test_wrong_copy_fails_with_exit_1_and_order_is_kept(asset_dir: Path, tmp_path: Path) -> None:
    shutil.copy(asset_dir / "de-DE.png", tmp_path / "de-DE.png")
    bad = edit(
        asset_dir / "de-DE.json",
        tmp_path / "bad.json",
        lambda d: d["regions"][0].update(
            text="Frühlings-Sale: bis zu 50 % Rabatt", lines=["Frühlings-Sale: bis zu 50 % Rabatt"]
        ),
    )
    r = run(str(bad), str(asset_dir / "de-DE.json"), "--json")
    assert r.returncode == 1
    first, second = json.loads(r.stdout)
    assert first["manifest"] == str(bad) and first["passed"] is False
    assert second["passed"] is True
    head = next(x for x in first["regions"] if x["id"] == "headline")
    assert any(f["check"] == "ocr.text" and not f["passed"] for f in head["findings"])


def test_a_stale_lines_hint_never_replaces_the_text(asset_dir: Path, tmp_path: Path) -> None:
    """`text` changed ("30 %" -> "3 %") while `lines`, `runs` and the fonts were left as
    they were: the hints say what the image shows, the contract says the copy is wrong."""
    shutil.copy(asset_dir / "de-DE.png", tmp_path / "de-DE.png")
    bad = edit(
        asset_dir / "de-DE.json",
        tmp_path / "stale.json",
        lambda d: d["regions"][0].update(text="Frühlings-Sale: bis zu 3 % Rabatt"),
    )
    [res] = json.loads(run(str(bad), "--json").stdout)
    head = next(x for x in res["regions"] if x["id"] == "headline")
    assert not head["passed"]
    assert any(f["check"] == "ocr.text" and not f["passed"] for f in head["findings"])


def test_hand_typed_price_fails_the_cldr_check(asset_dir: Path, tmp_path: Path) -> None:
    shutil.copy(asset_dir / "de-DE.png", tmp_path / "de-DE.png")
    bad = edit(
        asset_dir / "de-DE.json",
        tmp_path / "p.json",
        lambda d: d["regions"][1].update(text="€49.99"),
    )
    [res] = json.loads(run(str(bad), "--json").stdout)
    price = next(x for x in res["regions"] if x["id"] == "price")
    [f] = [f for f in price["findings"] if f["check"] == "regex.price"]
    assert not f["passed"] and "49,99" in f["message"] and "symbol" in f["message"]


def test_table_output_without_json(asset_dir: Path) -> None:
    r = run(str(asset_dir / "de-DE.json"))
    assert r.returncode == 0 and r.stdout.startswith("PASS")


HOSTILE: dict[str, Any] = {
    "truncated": '{"image": "de-DE.png", "regions": [',
    "not an object": "[1, 2]",
    "unknown kind": {
        "image": "de-DE.png",
        "regions": [{"id": "v", "kind": "video", "box": [0, 0, 10, 10]}],
    },
    "bad box": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [0, 0], "text": "x"}],
    },
    "text without copy": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [0, 0, 5, 5]}],
    },
    "escape": {"image": "../outside.png", "regions": []},
    "absolute": {"image": "/etc/passwd", "regions": []},
    "missing image": {"image": "nope.png", "regions": []},
    "not an image": {"image": "fake.png", "regions": []},
    "bomb": {"image": "bomb.png", "regions": []},
    # Issue 13: each of these exited 70 (or crashed OpenCV/Tesseract) instead of 2.
    "box outside the image": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [2000, 2000, 10, 10], "text": "x"}],
    },
    "box of zero size": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [10, 10, 0, 0], "text": "x"}],
    },
    "box partly outside": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [850, 350, 200, 200], "text": "x"}],
    },
    "1x1 png": {"image": "one.png", "regions": []},
    "ico": {"image": "icon.ico", "regions": []},
    "eps": {"image": "art.eps", "regions": []},
    "bad color": {
        "image": "de-DE.png",
        "regions": [
            {"id": "t", "kind": "text", "box": [0, 0, 5, 5], "text": "x", "color": "nonsense"}
        ],
    },
    "text_bbox of the wrong type": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [0, 0, 5, 5], "text": "x", "text_bbox": 1}],
    },
    "safe_area of the wrong type": {"image": "de-DE.png", "regions": [], "safe_area": "all"},
    "z of the wrong type": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [0, 0, 5, 5], "text": "x", "z": "1"}],
    },
    "lines of the wrong type": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [0, 0, 5, 5], "text": "x", "lines": "x"}],
    },
    "runs of the wrong type": {
        "image": "de-DE.png",
        "regions": [{"id": "t", "kind": "text", "box": [0, 0, 5, 5], "text": "x", "runs": ["x"]}],
    },
    "NUL in the image path": {"image": "de-DE.png\u0000.txt", "regions": []},
    "font_px past the limit": {
        "image": "de-DE.png",
        "regions": [
            {"id": "t", "kind": "text", "box": [0, 0, 5, 5], "text": "x", "font_px": 100000}
        ],
    },
    "too many regions": {
        "image": "de-DE.png",
        "regions": [
            {"id": f"r{i}", "kind": "text", "box": [0, 0, 5, 5], "text": "x"} for i in range(101)
        ],
    },
    "duplicate ids": {
        "image": "de-DE.png",
        "regions": [
            {"id": "a", "kind": "qr", "box": [0, 0, 5, 5], "payload": "x"},
            {"id": "a", "kind": "qr", "box": [0, 0, 5, 5], "payload": "x"},
        ],
    },
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_unusable_input_is_refused_with_exit_2(asset_dir: Path, tmp_path: Path, name: str) -> None:
    d = tmp_path / "m"
    d.mkdir()
    shutil.copy(asset_dir / "de-DE.png", d / "de-DE.png")
    (d / "fake.png").write_text("not a png", encoding="utf-8")
    (tmp_path / "outside.png").write_bytes((asset_dir / "de-DE.png").read_bytes())
    Image.new("1", (10_000, 10_000)).save(d / "bomb.png")  # 100 Mpx, a few KB
    Image.new("RGB", (1, 1)).save(d / "one.png")
    Image.new("RGB", (32, 32)).save(d / "icon.ico")
    Image.new("RGB", (32, 32)).save(d / "art.eps")  # would be handed to Ghostscript
    body = HOSTILE[name]
    f = d / "manifest.json"
    f.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    r = run(str(f), "--json")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    [res] = json.loads(r.stdout)
    assert res["manifest"] == str(f) and res["error"] and "passed" not in res
    assert len(res["error"].splitlines()) == 1


def test_allow_root_lets_an_image_live_elsewhere(asset_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    shutil.copy(asset_dir / "de-DE.png", tmp_path / "shared.png")
    m = edit(
        asset_dir / "de-DE.json",
        tmp_path / "m" / "x.json",
        lambda d: d.update(image="../shared.png"),
    )
    assert run(str(m), "--json").returncode == 2
    assert run(str(m), "--json", "--allow-root", str(tmp_path)).returncode == 0


def test_mixed_unusable_and_failed_exits_2(asset_dir: Path, tmp_path: Path) -> None:
    f = tmp_path / "broken.json"
    f.write_text("{", encoding="utf-8")
    r = run(str(asset_dir / "de-DE.json"), str(f), "--json")
    assert r.returncode == 2
    ok, broken = json.loads(r.stdout)
    assert ok["passed"] is True and "error" in broken


def test_unknown_check_names_are_refused_with_exit_2(asset_dir: Path) -> None:
    """A typo in a CI gate (`--checks OCR`) ran zero checks and passed everything."""
    for bad in ("OCR", "nope", "ocr,nope"):
        r = run(str(asset_dir / "de-DE.json"), "--checks", bad)
        assert r.returncode == 2, (bad, r.stderr)
        assert "--checks" in r.stderr and "ocr" in r.stderr and "Traceback" not in r.stderr
    assert run(str(asset_dir / "de-DE.json"), "--checks", "ocr,regex").returncode == 0


def test_a_16_bit_png_is_read_at_its_true_levels(asset_dir: Path, tmp_path: Path) -> None:
    """Pillow's convert("RGB") clips 16-bit grey at 255 (a white image); scale it."""
    import numpy as np

    grey = np.asarray(Image.open(asset_dir / "de-DE.png").convert("L"), dtype=np.uint16) * 257
    Image.fromarray(grey).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    m = edit(asset_dir / "de-DE.json", tmp_path / "m.json", lambda d: d.update(image="deep.png"))
    [res] = json.loads(run(str(m), "--json", "--checks", "ocr").stdout)
    head = next(x for x in res["regions"] if x["id"] == "headline")
    assert head["passed"], head


def test_an_exif_rotated_image_is_read_upright(asset_dir: Path, tmp_path: Path) -> None:
    """A camera or phone export keeps its pixels sideways and says so in EXIF; the boxes
    are pixels of the image as shown."""
    upright = Image.open(asset_dir / "de-DE.png").convert("RGB")
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # stored turned left
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 CW to display
    sideways.save(tmp_path / "rot.jpg", quality=98, exif=exif.tobytes())
    m = edit(asset_dir / "de-DE.json", tmp_path / "m.json", lambda d: d.update(image="rot.jpg"))
    r = run(str(m), "--json", "--checks", "ocr,qr")
    assert r.returncode == 0, r.stdout[-1500:]


def test_font_hints_outside_allowed_places_are_not_opened(asset_dir: Path, tmp_path: Path) -> None:
    """`/etc/passwd#0` and `/dev/zero#0` as fonts: the hint is dropped (the pixels and the
    contract decide), never read; font paths are confined like image paths."""
    shutil.copy(asset_dir / "de-DE.png", tmp_path / "de-DE.png")
    for spec in ("/etc/passwd#0", "/dev/zero#0", "../outside.ttf#0"):

        def hostile(d: Any, spec: str = spec) -> None:
            head = d["regions"][0]
            head.update(font_files=[spec], font_chain=[spec])
            head["runs"] = [[{"text": line, "font": spec}] for line in head["lines"]]

        m = edit(asset_dir / "de-DE.json", tmp_path / "m.json", hostile)
        r = run(str(m), "--json")
        assert r.returncode == 0, (spec, r.stdout[-1500:], r.stderr[-500:])
        assert "Traceback" not in r.stderr


def test_hints_outside_their_region_are_ignored(asset_dir: Path, tmp_path: Path) -> None:
    shutil.copy(asset_dir / "de-DE.png", tmp_path / "de-DE.png")

    def hostile(d: Any) -> None:
        d["regions"][0]["text_bbox"] = [5000, 5000, 10, 10]
        d["safe_area"] = [500, 500, 5000, 5000]

    r = run(str(edit(asset_dir / "de-DE.json", tmp_path / "m.json", hostile)), "--json")
    assert r.returncode == 0, r.stdout[-1500:]


def test_a_catastrophic_pattern_is_matched_in_linear_time(asset_dir: Path, tmp_path: Path) -> None:
    """`(a+)+` against "a"*40+"!" backtracks for hours in Python's re; RE2 is linear."""
    import time

    shutil.copy(asset_dir / "de-DE.png", tmp_path / "de-DE.png")
    m = edit(
        asset_dir / "de-DE.json",
        tmp_path / "m.json",
        lambda d: d["regions"][0].update(text="a" * 40 + "!", pattern="(a+)+"),
    )
    t0 = time.monotonic()
    r = run(str(m), "--json", "--checks", "regex")
    assert time.monotonic() - t0 < 60 and r.returncode == 1
    [res] = json.loads(r.stdout)
    [f] = [f for f in res["regions"][0]["findings"] if f["check"] == "regex.pattern"]
    assert not f["passed"]


@pytest.mark.parametrize(
    ("locale", "text", "ok"),
    [
        # a campaign's numbering_system "arab" in ar-AE (CLDR's default there is latn)
        ("ar-AE", "\u200f١٩٩٫٠٠\xa0ر.س.\u200f", True),
        ("ar-AE", "\u200f199.00\xa0ر.س.\u200f", True),
        ("ar-SA", "\u200f١٩٩٫٠٠\xa0ر.س.\u200f", True),
        # Arabic-Indic digits in another locale's format, or in a locale whose native
        # digits are others, are still wrong
        ("ar-AE", "ر.س.\xa0١٩٩٫٠٠", False),
        ("fa-IR", "\u200f١٩٩٫٠٠\xa0ر.س.\u200f", False),
        ("en-US", "SAR\xa0١٩٩.٠٠", False),
    ],
)
def test_price_in_the_locales_native_digits(locale: str, text: str, ok: bool) -> None:
    from copyplate.validators.manifest import parse_manifest, view_of
    from copyplate.validators.regex import RegexValidator

    man = parse_manifest(
        {
            "image": "a.png",
            "locale": locale,
            "regions": [
                {
                    "id": "price",
                    "kind": "price",
                    "box": [0, 0, 10, 10],
                    "text": text,
                    "amount": "199.00",
                    "currency": "SAR",
                }
            ],
        }
    )
    view = view_of(Path("a.json"), man, Image.new("RGB", (10, 10)))
    [f] = [f for f in RegexValidator().validate(view, view.regions[0]) if f.check == "regex.price"]
    assert f.passed is ok, f.message
