"""Every sample campaign in every locale and size: rendered, decoded, read back, glyph-checked."""

from __future__ import annotations

import functools
import json
import statistics
from pathlib import Path
from typing import Any

import pytest
import uharfbuzz as hb
import zxingcpp
from PIL import Image

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import run_batch
from copyplate.pipeline.verify import verify_manifest
from tests.conftest import SAMPLES
from tests.ocr import best_similarity, read_region

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it

CAMPAIGNS = sorted(p.parent.name for p in SAMPLES.glob("*/campaign.json"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict[str, Any], Path]]:
    out: list[tuple[dict[str, Any], Path]] = []
    for name in CAMPAIGNS:
        lc = load_campaign(SAMPLES / name / "campaign.json")
        root = tmp_path_factory.mktemp(name)
        _, results = run_batch(lc, root, plate_backend="gradient")
        assert len(results) == len(lc.campaign.locales) * len(lc.campaign.sizes)
        for r in results:
            mpath = root / r.manifest
            out.append((json.loads(mpath.read_text(encoding="utf-8")), mpath))
    return out


def test_every_asset_passes_the_copy_stage(rendered: list[tuple[dict[str, Any], Path]]) -> None:
    failed = [
        (m["locale"], m["size"], r["id"], f["message"])
        for m, _ in rendered
        for r in m["regions"]
        for f in r["findings"]
        if not f["passed"]
    ]
    assert not failed
    assert len(rendered) == 17 * 3 + 6 * 2 + 4 * 2 + 3 * 2


def test_manifests_follow_the_verify_contract(
    rendered: list[tuple[dict[str, Any], Path]],
) -> None:
    for m, path in rendered:
        image = Image.open(path.parent / m["image"])
        assert image.format == "PNG" and image.info.get("icc_profile")
        assert (m["width"], m["height"]) == image.size
        for r in m["regions"]:
            x, y, w, h = r["box"]
            assert x >= 0 and y >= 0 and x + w <= image.width and y + h <= image.height
            if r["kind"] in ("text", "cta"):
                assert r["text"] and r["font"] and r["font_px"] >= r["min_font_px"]
            if r["kind"] == "price":
                assert r["amount"] and r["currency"] and r["text"]


def test_codes_decode_to_their_payloads(rendered: list[tuple[dict[str, Any], Path]]) -> None:
    n = 0
    for m, path in rendered:
        image = Image.open(path.parent / m["image"])
        for r in m["regions"]:
            if r["kind"] in ("qr", "barcode"):
                x, y, w, h = r["box"]
                res = zxingcpp.read_barcodes(image.crop((x, y, x + w, y + h)))
                assert [c.text for c in res] == [r["payload"]], (m["locale"], m["size"])
                n += 1
    assert n == 17 * 3 + 6 * 2


@functools.lru_cache(maxsize=64)
def _hb_font(spec: str) -> hb.Font:
    path, index = spec.rsplit("#", 1)
    blob = hb.Blob.from_file_path(path)
    return hb.Font(hb.Face(blob, int(index)))


def test_no_drawn_run_has_a_glyph_its_font_lacks(
    rendered: list[tuple[dict[str, Any], Path]],
) -> None:
    """HarfBuzz returns glyph 0 (.notdef) for a character a font cannot draw."""
    runs = 0
    for m, _ in rendered:
        for r in m["regions"]:
            for line in r.get("runs", []):
                for run in line:
                    buf = hb.Buffer()
                    buf.add_str(run["text"])
                    buf.guess_segment_properties()
                    hb.shape(_hb_font(run["font"]), buf)
                    gids = [g.codepoint for g in buf.glyph_infos]
                    assert 0 not in gids, (m["locale"], r["id"], run)
                    runs += 1
    assert runs > 300


def test_raw_tesseract_mostly_reads_back(rendered: list[tuple[dict[str, Any], Path]]) -> None:
    """Raw tesseract, no validator smarts: most regions read back (nearly) exactly. It drops
    Arabic-Indic digits and misreads bold CJK and short RTL words (design.md), so this is
    a sanity floor; exact read-back is what `copyplate verify` proves below."""
    sims: list[float] = []
    for m, path in rendered:
        image = Image.open(path.parent / m["image"]).convert("RGB")
        for r in m["regions"]:
            if r["kind"] in ("text", "price", "cta"):
                sims.append(best_similarity(read_region(image, r, m["locale"]), r["text"]))
    assert statistics.median(sims) == 1.0
    assert sum(s >= 0.9 for s in sims) / len(sims) >= 0.85


def test_every_sample_asset_verifies(rendered: list[tuple[dict[str, Any], Path]]) -> None:
    """The whole gate: OCR, regex/CLDR, contrast, RTL, codes, geometry, glyphs."""
    failed = []
    for _, path in rendered:
        res = verify_manifest(path, str(path))
        assert "error" not in res, res
        for region in res["regions"]:
            failed += [
                (path.parent.name, path.stem, region["id"], f["check"], f["message"])
                for f in region["findings"]
                if not f["passed"]
            ]
    assert not failed, failed[:10]


def test_kettle_launch_places_its_imagery(rendered: list[tuple[dict[str, Any], Path]]) -> None:
    kettle = [m for m, _ in rendered if m["campaign"] == "kettle-one-launch"]
    assert len(kettle) == 8
    crops = set()
    for m in kettle:
        r = {x["id"]: x for x in m["regions"]}
        assert r["product"]["shadow"] and "1" in "".join(r["product"]["alpha_grid"])
        assert r["photo"]["focal_source"] == "saliency"
        # The plant sits at x = 1090..1370 of the 1600 px photo: the crop keeps it.
        x, _, w, _ = r["photo"]["crop"]
        assert x <= 1090 and x + w >= 1370
        crops.add((m["size"], tuple(r["photo"]["crop"])))
        assert r["logo"]["variant"] == "dark"  # a light plate under the logo
        checks = {f["check"] for f in r["headline"]["findings"]}
        assert {"geometry.covers_product"} <= checks
    # The same size crops the same in every locale.
    assert len(crops) == 2
