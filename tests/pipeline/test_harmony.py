"""Type harmony across locales (issue 14): planned over every locale before rendering, the
same in every executor, reported where a locale cannot take part, and in the ledger hash."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from copyplate.layouts.loader import LoadedCampaign, load_campaign
from copyplate.pipeline.harmony import HarmonyPlan, harmonised, natural_px, plan_harmony
from copyplate.pipeline.job import RunOptions
from copyplate.pipeline.ledger import Ledger, plan_hash
from copyplate.pipeline.run import run_batch
from tests.conftest import SAMPLES
from tests.renderers.copy.helpers import campaign, text_region

COPY = {
    "en-US": {"head": "Spring Sale"},
    "de-DE": {"head": "Frühjahrsverkauf für jedes Zimmer im ganzen Haus"},
    "zh-CN": {"head": "春季促销"},
    "ar-SA": {"head": "تخفيضات الربيع لكل غرفة في البيت"},
}


def harmony_campaign(
    tmp: Path, copy: dict[str, dict[str, Any]] = COPY, deck: bool = False
) -> LoadedCampaign:
    """The copy inline, or (`deck`) in a CSV deck, where each job's ledger hash holds only
    its own locale's copy."""
    top: dict[str, Any] = {}
    if deck:
        tmp.mkdir(parents=True, exist_ok=True)
        locs = list(copy)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(
            [["key", "type", *locs], ["head", "text", *(copy[x]["head"] for x in locs)]]
        )
        (tmp / "copy.csv").write_text(buf.getvalue(), encoding="utf-8")
        top = {"decks": [{"file": "copy.csv"}]}
        copy = {loc: {} for loc in copy}
    region = text_region(
        "head",
        min_font_px=16,
        max_font_px=120,
        max_lines=2,
        box={"x": 0.05, "y": 0.05, "w": 0.6, "h": 0.5},
        harmony={"max_spread": 1.2},
    )
    return campaign(tmp, [region], copy, 800, 400, top=top)


def manifest_px(out: Path, name: str) -> int:
    data = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
    px = data["regions"][0]["font_px"]
    assert isinstance(px, int)
    return px


def test_plan_keeps_every_locale_within_the_spread(tmp_path: Path) -> None:
    lc = harmony_campaign(tmp_path)
    natural = {loc: natural_px(lc, lc.campaign.regions[0], "s", "default", loc) for loc in COPY}  # type: ignore[arg-type]
    assert all(px is not None for px in natural.values())
    own = [px for px in natural.values() if px is not None]
    assert max(own) / min(own) > 1.5  # unharmonised, the short copy is set far larger
    plan = plan_harmony(lc)
    assert plan == plan_harmony(lc)  # deterministic: workers recomputing would agree
    assert plan == plan_harmony(lc, workers=2)  # measured in forked processes alike
    ((key, (low, top)),) = plan.bands
    assert key == ("s", "default", "head") and low == min(own) and top == int(low * 1.2)
    set_px = {}
    for loc in COPY:
        caps = plan.caps_for("s", "default", loc)
        capped = harmonised(lc, caps)
        px = natural_px(capped, capped.campaign.regions[0], "s", "default", loc)  # type: ignore[arg-type]
        assert px is not None
        set_px[loc] = px
    assert max(set_px.values()) / min(set_px.values()) <= 1.2
    assert set_px["zh-CN"] == top and natural["zh-CN"] != top  # capped at the band's top
    # The locale that set the band keeps its own size: nothing is made smaller than needed.
    assert min(set_px.values()) == low


def test_a_locale_that_cannot_fit_is_left_out_with_the_reason(tmp_path: Path) -> None:
    copy = {**COPY, "de-DE": {"head": "Donaudampfschifffahrtsgesellschaftskapitänsmützen " * 6}}
    lc = harmony_campaign(tmp_path, copy)
    plan = plan_harmony(lc)
    assert plan == plan_harmony(lc, workers=2)
    (note,) = plan.notes
    assert (note.locale, note.region, note.size) == ("de-DE", "head", "s")
    assert "does not fit" in note.reason and "at 16 px or more" in note.reason
    # The band comes from the locales that do fit.
    ((_, (low, _top)),) = plan.bands
    assert low >= 16 and plan.caps_for("s", "default", "de-DE") == {}


def test_run_applies_the_band_in_workers_and_resume_sees_it_move(tmp_path: Path) -> None:
    lc = harmony_campaign(tmp_path / "c", deck=True)
    opts = RunOptions(validate=False)
    serial, workers = tmp_path / "serial", tmp_path / "workers"
    run_batch(lc, serial, plate_backend="gradient", options=opts)
    run_batch(lc, workers, plate_backend="gradient", options=opts, workers=2)
    for loc in COPY:  # worker processes get the driver's plan, not their own
        assert manifest_px(serial, f"s/{loc}") == manifest_px(workers, f"s/{loc}")
    report = json.loads((serial / "report.json").read_text(encoding="utf-8"))
    (band,) = report["harmony"]["bands"]
    assert band["region"] == "head" and band["px"][1] == manifest_px(serial, "s/zh-CN")
    before = manifest_px(serial, "s/zh-CN")

    # Same inputs: reused. Another locale's longer copy lowers the band: zh-CN is redone
    # (its own copy did not change, its cap did) even when it alone is run.
    _, again = run_batch(lc, serial, ["zh-CN"], plate_backend="gradient", options=opts)
    assert again[0].reused
    longer = {**COPY, "de-DE": {"head": "Frühjahrsverkauf für jedes Zimmer, jeden Flur und Balkon"}}
    lc2 = harmony_campaign(tmp_path / "c", longer, deck=True)
    assert lc2.campaign == lc.campaign and lc2.copy["zh-CN"] == lc.copy["zh-CN"]
    _, redo = run_batch(lc2, serial, ["zh-CN"], plate_backend="gradient", options=opts)
    assert not redo[0].reused
    assert manifest_px(serial, "s/zh-CN") < before


@pytest.mark.slow
def test_spring_sale_is_harmonised_in_every_size() -> None:
    """Issue 14's bar: headline, sub-line and price within 1.25x across the 17 locales."""
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    plan = plan_harmony(lc)
    assert not plan.notes
    for size in (s.name for s in lc.campaign.sizes):
        for rid in ("headline", "subline", "price"):
            px = []
            for loc in lc.campaign.locales:
                capped = harmonised(lc, plan.caps_for(size, "default", loc))
                region = next(r for r in capped.campaign.regions if r.id == rid)
                got = natural_px(capped, region, size, "default", loc)  # type: ignore[arg-type]
                assert got is not None, (size, rid, loc)
                px.append(got)
            assert max(px) / min(px) <= 1.25, (size, rid, sorted(px))


def test_the_plan_is_kept_in_the_ledger_and_a_rerun_uses_it(tmp_path: Path) -> None:
    """Issue 15: a rerun takes the plan from the ledger (kept under its inputs' hash)
    instead of setting every locale's copy again; --fresh plans anew."""
    lc = harmony_campaign(tmp_path / "c", deck=True)
    opts = RunOptions(validate=False)
    out = tmp_path / "out"
    run_batch(lc, out, plate_backend="gradient", options=opts)
    plan = plan_harmony(lc)
    key = f"harmony[{HarmonyPlan.shape()}]:{plan_hash(lc, ['s'], ['default'])}"
    ledger = Ledger(out / "ledger.sqlite")
    try:
        assert HarmonyPlan.from_json(ledger.memo(key)) == plan
        # The kept plan is what a rerun uses: one with a lower cap for zh-CN redoes zh-CN
        # alone, at that cap.
        caps = tuple((k, px - 4 if k[3] == "zh-CN" else px) for k, px in plan.caps)
        assert caps != plan.caps
        ledger.remember(key, HarmonyPlan(caps, plan.bands, plan.notes).as_json())
    finally:
        ledger.close()
    before = manifest_px(out, "s/zh-CN")
    _, again = run_batch(lc, out, plate_backend="gradient", options=opts)
    reused = {r.job.locale: r.reused for r in again}
    assert reused == {loc: loc != "zh-CN" for loc in COPY}
    assert manifest_px(out, "s/zh-CN") == before - 4
    _, fresh = run_batch(lc, out, plate_backend="gradient", options=opts, resume=False)
    assert not any(r.reused for r in fresh) and manifest_px(out, "s/zh-CN") == before


def test_a_run_into_another_folder_takes_the_plan_kept_beside_the_plates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15's warm run (plate cache warm, a new output folder) sets no copy to plan
    harmony: the plan is kept beside the plates under its inputs' and the fonts' identity.
    A damaged kept plan is planned again, and so is one after --fresh."""
    import copyplate.pipeline.run as run_module
    from copyplate.renderers.plates.cache import PlateCache

    planned: list[int] = []
    real = run_module.plan_harmony

    def counted(*a: Any, **k: Any) -> HarmonyPlan:
        planned.append(1)
        return real(*a, **k)

    monkeypatch.setattr(run_module, "plan_harmony", counted)
    lc = harmony_campaign(tmp_path / "c")
    opts = RunOptions(validate=False)

    def run(out: str, resume: bool = True) -> dict[str, int]:
        cache = PlateCache(tmp_path / "plates")
        run_batch(
            lc,
            tmp_path / out,
            plate_backend="gradient",
            options=opts,
            plate_cache=cache,
            resume=resume,
        )
        return {loc: manifest_px(tmp_path / out, f"s/{loc}") for loc in COPY}

    first = run("a")
    assert len(planned) == 1
    (kept,) = (tmp_path / "plates" / "plans").iterdir()
    assert run("b") == first and len(planned) == 1
    kept.write_text('{"key": "', encoding="utf-8")
    assert run("c") == first and len(planned) == 2
    assert run("d", resume=False) == first and len(planned) == 3


def test_the_fonts_identity_changes_with_a_font_file(tmp_path: Path) -> None:
    from copyplate.fonts import files_identity

    font = tmp_path / "Brand.ttf"
    font.write_bytes(b"\0" * 64)
    before = files_identity([font])
    assert files_identity([font, font]) == before
    font.write_bytes(b"\0" * 65)
    assert files_identity([font]) != before
    font.unlink()
    assert files_identity([font]) != before
