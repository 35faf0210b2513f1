"""`ocr.text` on copy copyplate set itself: the rendered reference in the manifest's fonts
decides first, so such a region costs one rendering and no reading; anything the reference
does not vouch for (a changed word, copy a model generated) is still read."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from copyplate.pipeline.verify import verify_manifest
from copyplate.validators import ocr
from tests.renderers.copy.helpers import campaign, text_region


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from copyplate.pipeline.asset import RenderedAsset, render_copy, write_asset
    from copyplate.pipeline.plan import Job

    tmp = tmp_path_factory.mktemp("ocr")
    lc = campaign(
        tmp / "c",
        [text_region("headline", max_font_px=48, box={"x": 0.05, "y": 0.1, "w": 0.9, "h": 0.5})],
        {"de-DE": {"headline": "Frühlings-Sale: bis zu 30 % Rabatt"}},
        width=800,
        height=300,
    )
    job = Job("t", "de-DE", "s", "default")
    image, layers = render_copy(lc, job, Image.new("RGB", (800, 300), "#EFE7DA"))
    write_asset(lc, RenderedAsset(job, image, layers), tmp / "out")
    return tmp / "out" / "s" / "de-DE.json"


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the real reader is asked, by method."""
    rd = ocr.reader()
    calls: Counter[str] = Counter()
    for name in ("read", "hocr", "symbols"):
        real = getattr(rd, name)

        def counted(*a: Any, _real: Any = real, _name: str = name, **k: Any) -> Any:
            calls[_name] += 1
            return _real(*a, **k)

        monkeypatch.setattr(rd, name, counted)
    return calls


def _ocr(path: Path, edit: Any = None) -> dict[str, Any]:
    if edit is not None:
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data["regions"][0])
        path = path.with_name("edited.json")
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = verify_manifest(path, path.name, only=["ocr"])
    (finding,) = res["regions"][0]["findings"]
    return dict(finding)


def test_own_copy_is_proven_by_the_reference_without_a_reading(
    manifest: Path, readings: Counter[str]
) -> None:
    f = _ocr(manifest)
    assert f["passed"], f["message"]
    assert f["extra"]["second_opinion"] == "rendered-reference"
    assert sum(readings.values()) == 0, readings


def test_a_changed_word_is_not_vouched_for_and_is_read(
    manifest: Path, readings: Counter[str]
) -> None:
    def edit(r: dict[str, Any]) -> None:
        r["text"] = "Frühlings-Sale: bis zu 50 % Rabatt"

    f = _ocr(manifest, edit)
    assert not f["passed"], f["message"]
    assert readings["read"] >= 1
    assert "30" in f["measured"]


def test_generated_copy_is_read_even_in_a_named_font(
    manifest: Path, readings: Counter[str]
) -> None:
    f = _ocr(manifest, lambda r: r.update(generated=True))
    assert f["passed"], f["message"]
    assert f.get("extra", {}).get("second_opinion") != "rendered-reference"
    assert readings["read"] >= 1


def test_a_warmed_reader_loads_no_model_while_it_checks(manifest: Path) -> None:
    """`Reader.warm` (a pool's worker before its first job) makes every engine a region of
    its locale is read with, failing or not: the region's time is then its own."""
    rd = ocr.reader()
    rd.warm("de-DE")
    made = dict(rd._apis)
    assert len(made) >= 4
    f = _ocr(manifest, lambda r: r.update(text="Frühlings-Sale: bis zu 50 % Rabatt"))
    assert not f["passed"]  # every reading and the alignment were tried
    assert rd._apis == made


def test_the_readings_do_not_depend_on_which_language_reads_first(
    monkeypatch: pytest.MonkeyPatch, manifest: Path
) -> None:
    """Chinese, Japanese and Korean copy is read with the locale's model before the
    combined one (cost only): the same readings are made, each keyed by its place in
    `languages` order, which is the order a failure reports them in."""
    from copyplate.validators.manifest import load_asset

    asset = load_asset(manifest)
    region = asset.regions[0]
    langs = ocr.reader().languages(region.locale)

    def readings() -> list[tuple[tuple[int, int, int], str, str]]:
        return list(ocr.OcrValidator._readings(asset, region, "x" * 99, langs, (False,)))

    before = readings()
    monkeypatch.setattr(ocr, "SINGLE_FIRST", frozenset({langs[-1]}))
    after = readings()
    assert [at for at, _, _ in before] == sorted(at for at, _, _ in before)
    assert after[0][0] == (0, 1, 0)  # the locale's model alone read first
    assert sorted(after) == before
