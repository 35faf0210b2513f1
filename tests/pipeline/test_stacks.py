"""Stacks (issue 14): regions flowing in a group box, resolved per job with the real
typesetter and fonts; the final boxes are what the manifest records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from copyplate.errors import StackFitError
from copyplate.layouts.geometry import Rect
from copyplate.layouts.loader import LoadedCampaign
from copyplate.pipeline.ledger import job_hash
from copyplate.pipeline.plan import Job
from copyplate.pipeline.run import run_batch
from copyplate.pipeline.stacks import resolve_stacks
from tests.renderers.copy.helpers import campaign, text_region

GROUP = {"x": 0.05, "y": 0.05, "w": 0.6, "h": 0.9}  # 480x450 px at (40, 25) on 800x500

COPY: dict[str, dict[str, Any]] = {
    "en-US": {
        "head": "Spring Sale",
        "sub": "Everything half price",
        "price": {"amount": "19.99", "currency": "USD"},
    },
    # The same regions, a headline that needs two lines.
    "de-DE": {
        "head": "Jetzt zugreifen und sparen",
        "sub": "Alles zum halben Preis",
        "price": {"amount": "19.99", "currency": "EUR"},
    },
    "ar-SA": {
        "head": "تخفيضات الربيع",
        "sub": "كل شيء بنصف السعر",
        "price": {"amount": "19.99", "currency": "SAR"},
    },
}


def _stacked(rid: str, **kw: Any) -> dict[str, Any]:
    r = text_region(rid, **kw)
    del r["box"]
    return r


def _campaign(tmp: Path, box: dict[str, float] = GROUP, **stack: Any) -> LoadedCampaign:
    regions = [
        _stacked("head", min_font_px=20, max_font_px=64, max_lines=2, valign="top"),
        _stacked("sub", font_role="body", min_font_px=14, max_font_px=28, max_lines=2),
        {
            "id": "price",
            "kind": "price",
            "copy": "price",
            "font_role": "display",
            "color": "on-accent",
            "background": "accent",
            "shape": "pill",
            "min_font_px": 16,
            "max_font_px": 40,
            "align": "start",
        },
    ]
    st = {"id": "copy", "regions": ["head", "sub", "price"], "box": box, "gap": 0.03, **stack}
    return campaign(tmp, regions, COPY, 800, 500, top={"stacks": [st]})


def _boxes(lc: LoadedCampaign, locale: str) -> dict[str, tuple[Rect, int]]:
    out = resolve_stacks(lc, "s", "default", locale)
    size = out.size("s")
    return {
        r.id: (out.region_rect(r, size), int(getattr(r, "max_font_px", 0)))
        for r in out.campaign.regions
    }


def test_a_two_line_headline_pushes_what_follows_down(tmp_path: Path) -> None:
    lc = _campaign(tmp_path / "c")
    gap = round(0.03 * 450)
    en, de = _boxes(lc, "en-US"), _boxes(lc, "de-DE")
    for boxes in (en, de):
        head, sub, price = boxes["head"][0], boxes["sub"][0], boxes["price"][0]
        assert head.y == 25 and head.x == 40 and head.w == 480  # full width, at the top
        assert sub.y == head.bottom + gap and price.y == sub.bottom + gap
        assert price.x == 40 and price.w < 480  # a badge hugs its price, at the start
    # The German headline takes two lines at the same size; everything after it moves down
    # by that line, and no region is shrunk (the stack has room).
    assert en["head"][1] == de["head"][1] == 64
    assert de["head"][0].h > 1.5 * en["head"][0].h
    assert de["sub"][0].y - en["sub"][0].y == de["head"][0].h - en["head"][0].h
    assert en["sub"][1] == de["sub"][1] == 28 and en["price"][1] == 40


def test_the_stack_shrinks_type_only_when_it_cannot_fit(tmp_path: Path) -> None:
    roomy = _boxes(_campaign(tmp_path / "a"), "de-DE")
    # 480x140 px: the three regions at their natural sizes need far more.
    tight_box = {"x": 0.05, "y": 0.05, "w": 0.6, "h": 0.28}
    tight = _boxes(_campaign(tmp_path / "b", tight_box), "de-DE")
    group = Rect(40, 25, 480, 140)
    ids = ("head", "sub", "price")
    assert all(tight[i][0].inside(group) for i in ids)
    gap = round(0.03 * 140)
    assert sum(tight[i][0].h for i in ids) + 2 * gap <= 140
    # Smaller than the roomy stack's sizes, but each still within its own limits.
    assert tight["head"][1] < roomy["head"][1]
    assert tight["head"][1] >= 20 and tight["sub"][1] >= 14 and tight["price"][1] >= 16
    # Stacked top to bottom in reading order, never overlapping.
    assert (
        tight["head"][0].bottom <= tight["sub"][0].y < tight["sub"][0].bottom <= tight["price"][0].y
    )


def test_a_stack_that_cannot_fit_at_min_font_px_fails_naming_it(tmp_path: Path) -> None:
    # 70 px passes `check` (one line of each at its min needs 64 px), but the badge's
    # padding and the copy's real line boxes do not fit.
    lc = _campaign(tmp_path / "c", {"x": 0.05, "y": 0.05, "w": 0.6, "h": 0.14})
    with pytest.raises(StackFitError) as e:
        resolve_stacks(lc, "s", "default", "de-DE")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("stack 'copy' on size 's' (de-DE, 480x70 px box): head, sub, price")
    assert "with every region at its min_font_px, the box has 70 px" in msg


def test_rtl_mirrors_a_column_badge_and_reverses_a_row(tmp_path: Path) -> None:
    col = _campaign(tmp_path / "col")
    en, ar = _boxes(col, "en-US"), _boxes(col, "ar-SA")
    group_right = 40 + 480
    # Column: same top-to-bottom order; the badge moves to the start of the line, right.
    assert ar["head"][0].y < ar["sub"][0].y < ar["price"][0].y
    assert en["price"][0].x == 40 and ar["price"][0].right == group_right
    assert ar["head"][0].x == 40 and ar["head"][0].w == 480

    row = _campaign(tmp_path / "row", {"x": 0.02, "y": 0.3, "w": 0.96, "h": 0.3}, direction="row")
    en, ar = _boxes(row, "en-US"), _boxes(row, "ar-SA")
    left, right = 16, 16 + 768
    # Left to right in English, starting at the left edge; right to left in Arabic,
    # starting at the right edge.
    assert en["head"][0].x == left
    assert en["head"][0].right <= en["sub"][0].x and en["sub"][0].right <= en["price"][0].x
    assert ar["head"][0].right == right
    assert ar["price"][0].right <= ar["sub"][0].x and ar["sub"][0].right <= ar["head"][0].x
    # Bare copy is as tall as the row; the badge hugs its price, centred (valign middle).
    assert all(ar[i][0].h == en[i][0].h == 150 for i in ("head", "sub"))
    badge = ar["price"][0]
    assert badge.h < 150 and abs((badge.y - 150) - (150 + 150 - badge.bottom)) <= 1


def test_end_and_space_between_alignment_along_a_column(tmp_path: Path) -> None:
    end = _boxes(_campaign(tmp_path / "e", align="end"), "en-US")
    assert end["price"][0].bottom == 25 + 450  # packed to the bottom of the group
    spread = _boxes(_campaign(tmp_path / "s", align="space-between"), "en-US")
    assert spread["head"][0].y == 25 and spread["price"][0].bottom == 25 + 450


def test_the_manifest_records_the_final_boxes_and_validators_pass(tmp_path: Path) -> None:
    lc = _campaign(tmp_path / "c")
    out = tmp_path / "out"
    _, results = run_batch(lc, out, locales=["de-DE", "ar-SA"], plate_backend="gradient")
    assert all(r.passed and not r.error for r in results), [(r.error, r.findings) for r in results]
    for r in results:
        manifest = json.loads((out / r.manifest).read_text(encoding="utf-8"))
        want = _boxes(lc, r.job.locale)
        for region in manifest["regions"]:
            rect, px = want[region["id"]]
            assert region["box"] == rect.as_list()
            assert region["font_px"] == px  # the final render kept the measured size
        lines = {m["id"]: m["lines"] for m in manifest["regions"]}
        if r.job.locale == "de-DE":
            assert len(lines["head"]) == 2


def test_the_job_hash_covers_the_stack(tmp_path: Path) -> None:
    a = _campaign(tmp_path / "a")
    b = _campaign(tmp_path / "b", gap=0.05)
    job = Job(a.campaign.id, "en-US", "s", "default")
    assert job_hash(a, job, "m", {}) != job_hash(b, job, "m", {})
    # Resolution is a pure function of the campaign, copy and fonts: the same every time.
    assert _boxes(a, "ar-SA") == _boxes(_campaign(tmp_path / "a2"), "ar-SA")


@pytest.mark.slow
def test_the_flow_sample_passes_in_its_smallest_derived_sizes(tmp_path: Path) -> None:
    from copyplate.layouts.loader import load_campaign
    from tests.conftest import SAMPLES

    lc = load_campaign(SAMPLES / "flow-sale" / "campaign.json")
    assert any(lc.direction(t) == "rtl" for t in lc.campaign.locales)
    out = tmp_path / "out"
    _, results = run_batch(lc, out, sizes=["300x250", "728x90"], plate_backend="gradient")
    assert len(results) == 2 * len(lc.campaign.locales)
    assert all(r.passed and not r.error for r in results), [(r.error, r.findings) for r in results]
    boxes = {}
    for r in results:
        manifest = json.loads((out / r.manifest).read_text(encoding="utf-8"))
        boxes[r.job.name] = {m["id"]: m["box"] for m in manifest["regions"]}
        assert all(m["font_px"] >= 10 for m in manifest["regions"])  # the legible floor
    # The leaderboard's column became a row: left to right in English, mirrored in Arabic.
    en, ar = boxes["728x90/en-US"], boxes["728x90/ar-SA"]
    assert en["headline"][0] < en["subline"][0] < en["price"][0] < en["cta"][0]
    assert ar["headline"][0] > ar["subline"][0] > ar["price"][0] > ar["cta"][0]
