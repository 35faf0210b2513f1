"""Derived sizes (issue 14): `WxH` and presets from the nearest campaign size, and a
derived size that cannot hold its copy failing with the region named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from copyplate.errors import InputError
from copyplate.layouts.derive import PRESETS, derive_sizes, nearest_master, size_spec
from copyplate.layouts.loader import load_campaign
from copyplate.layouts.models import TextRegion
from copyplate.layouts.typescale import font_limits, scaled_type
from tests.conftest import SAMPLES
from tests.renderers.copy.helpers import campaign, text_region


def _stacked(rid: str, **kw: Any) -> dict[str, Any]:
    r = text_region(rid, **kw)
    del r["box"]
    return r


def test_size_specs_and_presets() -> None:
    assert size_spec("1080x1350") == (1080, 1350)
    assert size_spec("iab-leaderboard") == (728, 90) == PRESETS["iab-leaderboard"]
    assert size_spec("square") is None and size_spec("0x10") is None
    assert size_spec("1080X1350") is None  # size names are lower-case slugs


def test_derived_size_takes_the_nearest_aspect_and_its_boxes() -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    sizes = lc.campaign.sizes
    assert nearest_master(sizes, 1080, 1350).name == "square"  # 0.8 is nearer 1.0 than 0.56
    assert nearest_master(sizes, 1920, 1080).name == "landscape"
    out, added = derive_sizes(lc, ["square", "1080x1350", "1920x1080", "nope"])
    assert added == ["1080x1350", "1920x1080"]  # known and unknown names are left alone
    portrait, wide = out.size("1080x1350"), out.size("1920x1080")
    assert (portrait.width, portrait.height) == (1080, 1350)
    assert portrait.safe_area.top == round(54 * 1350 / 1080)
    headline = next(r for r in out.campaign.regions if r.id == "headline")
    assert headline.boxes["1080x1350"] == headline.box  # square's box, in fractions
    assert headline.boxes["1920x1080"] == headline.boxes["landscape"]
    rect = out.region_rect(headline, wide)
    assert rect.w == round(0.56 * 1920) and rect.h == round(0.32 * 1080)
    assert derive_sizes(out, ["1080x1350"]) == (out, [])  # deriving twice adds nothing
    assert [s.name for s in lc.campaign.sizes] == ["square", "story", "landscape"]


def test_a_derived_size_too_small_for_its_copy_fails_naming_the_region() -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    with pytest.raises(InputError) as e:
        derive_sizes(lc, ["728x90"])
    msg = str(e.value)
    assert "\n" not in msg
    # Type is scaled to the leaderboard (x0.1433, floored at 10 px), but the CTA's
    # 233x11 px button still cannot hold one 10 px line: named, not clipped.
    assert msg.startswith("--sizes 728x90: derived from 'landscape' (1200x628), region 'cta'")
    assert "233x11 px box" in msg and "min_font_px 10 (scaled to 0.1433)" in msg
    with pytest.raises(InputError, match=r"outside 16\.\.8192"):
        derive_sizes(lc, ["9000x100"])


def test_small_derived_sizes_scale_type_down_to_a_legible_floor() -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    out, added = derive_sizes(lc, ["300x250", "1080x1350", "1920x1080"])
    assert added == ["300x250", "1080x1350", "1920x1080"]
    mrec = out.size("300x250")
    assert mrec.type_scale == round(300 / 1080, 4) or mrec.type_scale == round(250 / 1080, 4)
    assert mrec.type_scale == 0.2315  # the tighter side: 250 / 1080
    regions = {r.id: r for r in out.campaign.regions}
    headline, legal = regions["headline"], regions["legal"]
    assert isinstance(headline, TextRegion) and isinstance(legal, TextRegion)
    assert font_limits(headline, mrec) == (10, 22)  # 40 -> 9.3 held at the 10 px floor
    assert font_limits(legal, mrec) == (10, 10)  # 12..16 -> 2.8..3.7, floored
    # Larger sizes keep the campaign's limits (type is never scaled up).
    assert out.size("1920x1080").type_scale == 1.0
    assert font_limits(headline, out.size("1080x1350")) == (40, 96)
    sized = scaled_type(out, "300x250")
    h = next(r for r in sized.campaign.regions if r.id == "headline")
    assert isinstance(h, TextRegion) and (h.min_font_px, h.max_font_px) == (10, 22)
    assert scaled_type(out, "square") is out


def test_a_column_stack_turns_into_a_row_in_a_leaderboard(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path / "c",
        [_stacked("head", max_lines=2, min_font_px=20), _stacked("sub", min_font_px=16)],
        {"en-US": {"head": "Spring Sale", "sub": "Half price"}},
        1200,
        628,
        top={
            "stacks": [
                {
                    "id": "copy",
                    "regions": ["head", "sub"],
                    "box": {"x": 0.05, "y": 0.1, "w": 0.6, "h": 0.8},
                }
            ]
        },
    )
    out, _ = derive_sizes(lc, ["728x90", "1920x1080", "300x600"])
    st = out.campaign.stacks[0]
    # 728x90 is 4.2x wider than 1200x628: the column becomes a row; the others keep it.
    assert st.directions == {"728x90": "row", "1920x1080": "column", "300x600": "column"}
    assert st.boxes["728x90"] == st.box


def test_a_derived_stack_that_cannot_hold_its_type_fails_naming_size_and_regions(
    tmp_path: Path,
) -> None:
    lc = campaign(
        tmp_path / "c",
        [_stacked("head", max_lines=2, min_font_px=10), _stacked("sub", min_font_px=9)],
        {"en-US": {"head": "Spring Sale", "sub": "Half price"}},
        1080,
        1080,
        top={
            "stacks": [
                {
                    "id": "copy",
                    "regions": ["head", "sub"],
                    "box": {"x": 0.05, "y": 0.05, "w": 0.9, "h": 0.08},
                }
            ]
        },
    )
    with pytest.raises(InputError) as e:
        derive_sizes(lc, ["300x250"])
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("--sizes 300x250: derived from 's' (1080x1080): stack 'copy'")
    # 10 px (head: floored) and 9 px (sub: its own min is under the floor) need 24 px.
    assert "is 20 px high; one line of each of head, sub" in msg and "needs 24 px" in msg
