"""The foreign corpus generator (tests/corpus/foreign.py) keeps its own promises on a small
slice: every label complete, every image decodes, every manifest usable under the verify
contract and free of font hints (bar the stale ones it plants), every defect class there.

How well the validators do on it is measured by bench/bench_foreign.py; accuracy is not
asserted here yet."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from copyplate.pipeline.verify import verify_manifest
from tests.corpus.foreign import (
    DEFAULT_PER_LOCALE,
    DEFECTS,
    LOCALES,
    RENDERERS,
    catalogue,
    generate,
    plan_locale,
)

pytestmark = pytest.mark.slow

SLICE = ["en-US", "ar-SA", "ja-JP"]
LABEL_KEYS = {
    "manifest", "image", "locale", "script", "direction", "defect", "detail", "renderer",
    "post", "font", "font_file", "kind", "key", "region", "expected", "drawn", "lines", "px",
    "plate", "holder", "scheme", "canvas", "box", "hints",
}  # fmt: skip
HINT_KEYS = {"font_px", "font_files", "fonts", "font_chain", "lines", "runs", "color", "bold"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("foreign")
    labels = generate(out, SLICE, per_locale=8, seed=3)
    return out, labels


def test_labels_are_complete(corpus: tuple[Path, list[dict[str, Any]]]) -> None:
    out, labels = corpus
    assert labels == json.loads((out / "labels.json").read_text(encoding="utf-8"))
    assert len({lab["manifest"] for lab in labels}) == len(labels)
    for lab in labels:
        assert set(lab) >= LABEL_KEYS, LABEL_KEYS - set(lab)
        assert lab["defect"] == "clean" or lab["defect"] in DEFECTS
        assert lab["renderer"] in RENDERERS
        assert lab["post"] in ("none", "model", "jpeg")
        assert lab["locale"] in SLICE and lab["kind"] in ("text", "price", "cta")
        assert (out / lab["manifest"]).is_file() and (out / lab["image"]).is_file()
        if lab["defect"] == "clean":
            assert lab["drawn"] == lab["expected"]
            assert lab["contrast"] >= 4.5, lab["manifest"]
        elif lab["defect"] in ("typo", "missing_word", "extra_word", "wrong_digit"):
            assert lab["drawn"] != lab["expected"]
    assert {lab["renderer"] for lab in labels} == set(RENDERERS)


def test_every_image_decodes(corpus: tuple[Path, list[dict[str, Any]]]) -> None:
    out, labels = corpus
    for lab in labels:
        with Image.open(out / lab["image"]) as im:
            im.load()
            assert list(im.size) == lab["canvas"]
            assert im.format == ("JPEG" if lab["post"] == "jpeg" else "PNG")


def test_manifests_follow_the_verify_contract(corpus: tuple[Path, list[dict[str, Any]]]) -> None:
    out, labels = corpus
    for lab in labels:
        man = json.loads((out / lab["manifest"]).read_text(encoding="utf-8"))
        assert set(man) == {"image", "locale", "regions"}
        assert (out / lab["manifest"]).parent / man["image"] == out / lab["image"]
        (region,) = man["regions"]
        w, h = lab["canvas"]
        x, y, bw, bh = region["box"]
        assert x >= 0 and y >= 0 and bw > 0 and bh > 0 and x + bw <= w and y + bh <= h
        assert region["text"] == lab["expected"] and region["kind"] == lab["kind"]
        if lab["kind"] == "price":
            assert region["amount"] and region["currency"]
        # A designer's export: no font hints, except the stale ones planted on purpose.
        hints = set(region) & HINT_KEYS
        planted = {"stale_font": {"font_files"}, "stale_px": {"font_px"}}
        want = set().union(*(v for k, v in planted.items() if k in lab["hints"]))
        assert hints == want, (lab["manifest"], hints)
        if "font_files" in region:
            assert not Path(region["font_files"][0].rpartition("#")[0]).exists()
        res = verify_manifest(out / lab["manifest"], lab["manifest"])
        assert "error" not in res, res
        assert isinstance(res["passed"], bool) and len(res["regions"]) == 1


def test_every_defect_class_is_there(corpus: tuple[Path, list[dict[str, Any]]]) -> None:
    _, labels = corpus
    rtl = {"reversed_rtl", "unjoined_rtl"}
    for loc in SLICE:
        have = {lab["defect"] for lab in labels if lab["locale"] == loc}
        want = {"clean", *DEFECTS} - rtl | (
            {"reversed_rtl", "unjoined_rtl"} if loc == "ar-SA" else set()
        )
        assert have == want, (loc, want ^ have)


def test_the_full_plan_is_balanced() -> None:
    """Planned at full size (nothing drawn): clean assets at least as many as defective
    ones in every locale, every class in every locale it applies to, 40+ faces."""
    fonts: set[str] = set()
    for loc in LOCALES:
        specs = plan_locale(loc, DEFAULT_PER_LOCALE, 0)
        n = Counter(s.defect for s in specs)
        assert n["clean"] >= sum(v for k, v in n.items() if k != "clean"), loc
        for d in DEFECTS:
            if d == "reversed_rtl" and loc not in ("ar-SA", "he-IL"):
                continue
            if d == "unjoined_rtl" and loc != "ar-SA":
                continue
            assert n[d] >= 4, (loc, d)
        fonts |= {s.font.label for s in specs}
    assert len(fonts) >= 40, sorted(fonts)
    assert len(catalogue()) >= 40


def test_same_seed_same_corpus(tmp_path: Path) -> None:
    def digest(out: Path) -> str:
        h = hashlib.sha256()
        for p in sorted(out.rglob("*")):
            if p.is_file() and p.name != "corpus.json":
                h.update(p.relative_to(out).as_posix().encode())
                h.update(p.read_bytes())
        return h.hexdigest()

    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, ["he-IL"], per_locale=4, seed=11, renderers=["pillow_raqm", "chromium"])
    generate(b, ["he-IL"], per_locale=4, seed=11, renderers=["pillow_raqm", "chromium"])
    assert digest(a) == digest(b)
