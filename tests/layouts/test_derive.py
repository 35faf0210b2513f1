"""Derived sizes (issue 14): `WxH` and presets from the nearest campaign size, and a
derived size that cannot hold its copy failing with the region named."""

from __future__ import annotations

import pytest

from copyplate.errors import InputError
from copyplate.layouts.derive import PRESETS, derive_sizes, nearest_master, size_spec
from copyplate.layouts.loader import load_campaign
from tests.conftest import SAMPLES


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
    assert msg.startswith("--sizes 728x90: derived from 'landscape' (1200x628)")
    assert "region 'headline'" in msg and "min_font_px 40" in msg
    with pytest.raises(InputError, match=r"outside 16\.\.8192"):
        derive_sizes(lc, ["9000x100"])
