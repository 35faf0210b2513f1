"""Region-only retries: what changes, what must not, and that attempts are bounded."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from copyplate.findings import Action, Finding
from copyplate.layouts.geometry import Rect
from copyplate.layouts.models import QrRegion, TextRegion
from copyplate.pipeline.asset import render_copy
from copyplate.pipeline.directives import Directive, Relaxation
from copyplate.pipeline.plan import Job
from copyplate.pipeline.produce import produce
from copyplate.pipeline.replan import (
    MAX_ATTEMPTS,
    RegionState,
    composite,
    next_directive,
    recomposite,
    terminal,
)
from copyplate.renderers.copy.base import Layer
from copyplate.renderers.plates.base import PlateRequest, plate_generator
from tests.renderers.copy.helpers import campaign, text_region


def outside_equal(a: Image.Image, b: Image.Image, box: list[int]) -> bool:
    x, y, w, h = box
    pa, pb = np.asarray(a).copy(), np.asarray(b).copy()
    pa[y : y + h, x : x + w] = 0
    pb[y : y + h, x : x + w] = 0
    return bool((pa == pb).all())


def test_low_contrast_region_is_fixed_alone(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path,
        [
            text_region(
                "head",
                color="ink",
                contrast_aid="none",
                max_font_px=48,
                box={"x": 0.05, "y": 0.05, "w": 0.9, "h": 0.4},
            ),
            text_region(
                "sub",
                color="paper",
                font_role="body",
                max_font_px=30,
                box={"x": 0.05, "y": 0.55, "w": 0.9, "h": 0.35},
            ),
        ],
        {"en-US": {"head": "Spring Sale", "sub": "Fresh picks for every room"}},
    )
    job = Job("t", "en-US", "s", "default")
    plate = Image.new("RGB", (800, 400), "#202020")  # dark: the ink headline cannot be read
    before, _ = render_copy(lc, job, plate)
    asset = produce(lc, job, plate, {})
    assert asset.ok, {
        k: [f.message for f in v if not f.passed] for k, v in asset.validation.items()
    }
    [attempt, *_] = asset.attempts["head"]
    assert (
        attempt["because"][0].startswith("contrast.")
        and attempt["changed"] == {"contrast_aid": "swap"}
        and attempt["passed"]
    )
    assert "sub" not in asset.attempts
    head = next(x for x in asset.layers if x.region == "head")
    assert outside_equal(before, asset.image, head.rect.as_list())
    assert not outside_equal(before, asset.image, [0, 0, 0, 0])  # the headline did change


def test_unfixable_region_stops_after_bounded_attempts(tmp_path: Path) -> None:
    grey = {"ink": "#777777", "paper": "#7A7A7A", "accent": "#747474", "on-accent": "#797979"}
    lc = campaign(
        tmp_path,
        [
            text_region(
                "head",
                color="ink",
                contrast_aid="none",
                box={"x": 0.1, "y": 0.1, "w": 0.8, "h": 0.5},
            )
        ],
        {"en-US": {"head": "Spring Sale"}},
        colors=grey,
    )
    job = Job("t", "en-US", "s", "default")
    plate = Image.new("RGB", (800, 400), "#787878")
    gen = plate_generator("gradient")
    req = PlateRequest("p", 800, 400, ("#787878",))
    before, _ = render_copy(lc, job, plate)
    asset = produce(lc, job, plate, {}, inpaint=lambda p, m: gen.inpaint(p, m, req))
    assert not asset.ok
    attempts = asset.attempts["head"]
    assert 1 <= len(attempts) <= MAX_ATTEMPTS
    assert [a["changed"] for a in attempts][:2] == [
        {"contrast_aid": "swap"},
        {"contrast_aid": "scrim"},
    ]
    assert all(not a["passed"] for a in attempts)
    box = next(x for x in asset.layers if x.region == "head").rect.as_list()
    assert outside_equal(before, asset.image, box)


def _finding(check: str, action: Action = "retypeset") -> Finding:
    return Finding(check, "r", False, "failed", action=action)


BOX = {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.5}


def test_a_directive_updates_the_region_it_is_given() -> None:
    head = TextRegion.model_validate(
        {"id": "h", "kind": "text", "copy": "h", "box": BOX, "max_lines": 1, "max_font_px": 48}
    )
    d = Directive(Relaxation(max_lines=2, max_font_px=41, contrast_aid="scrim", font_shift=1))
    drawn = d.region(head)
    assert (drawn.max_lines, drawn.max_font_px, drawn.contrast_aid) == (2, 41, "scrim")
    assert drawn.model_dump(exclude={"max_lines", "max_font_px", "contrast_aid"}) == (
        head.model_dump(exclude={"max_lines", "max_font_px", "contrast_aid"})
    )
    assert (head.max_lines, head.max_font_px, head.contrast_aid) == (1, 48, "none")
    # The font shift is no Region field: it travels in RenderContext, never in the Region.
    assert "font_shift" not in drawn.__dict__
    assert Directive().region(head) is head
    # A QR region takes the QR relaxations and ignores those it has no field for.
    qr = QrRegion.model_validate({"id": "q", "kind": "qr", "payload": "x", "box": BOX})
    drawn_qr = Directive(Relaxation(ecc="Q", quiet_zone_modules=6, max_lines=2)).region(qr)
    assert (drawn_qr.ecc, drawn_qr.quiet_zone_modules) == ("Q", 6)
    assert "max_lines" not in drawn_qr.__dict__ and qr.ecc == "M"


def test_attempts_record_what_a_directive_changed() -> None:
    before = Directive(Relaxation(max_lines=2))
    after = before.relaxed(replace(before.relax, max_font_px=41))
    assert after.changed_from(before) == {"max_font_px": 41}
    assert replace(after, repaint_plate=True).changed_from(after) == {"inpaint_plate": True}
    assert Directive(backend="typeset").changed_from(Directive(Relaxation(prompt_relax=2))) == {
        "backend": "typeset"
    }


def test_the_text_ladder_relaxes_one_setting_at_a_time() -> None:
    head = TextRegion.model_validate(
        {
            "id": "h",
            "kind": "text",
            "copy": "h",
            "box": BOX,
            "max_lines": 1,
            "min_font_px": 40,
            "max_font_px": 48,
        }
    )
    state = RegionState()
    seen = []
    while (d := next_directive(head, state, [_finding("geometry.fit")])) is not None:
        seen.append(d.changed_from(state.directive))
        state.directive = d
    assert seen == [{"max_lines": 2}, {"max_font_px": 41}, {"font_shift": 1}]
    assert state.directive.region(head).max_font_px == 41


def test_the_action_decides_what_is_retried() -> None:
    assert terminal([_finding("regex.pattern", "fail")])
    assert terminal([_finding("ocr.text"), _finding("barcode.check_digit", "fail")])
    assert not terminal([_finding("ocr.text"), _finding("contrast.wcag")])
    assert not terminal([_finding("glyphs.missing", "retypeset")])


def test_validators_say_which_findings_are_terminal() -> None:
    """The actions the validators set are what the ladder acts on: a QR that does not decode
    at all is terminal; copy that cannot be found is retried."""
    from copyplate.validators.base import instances
    from copyplate.validators.contract import Manifest
    from copyplate.validators.manifest import view_of

    man = Manifest.model_validate(
        {
            "image": "a.png",
            "locale": "ar-SA",
            "regions": [
                {"id": "qr", "kind": "qr", "box": [10, 10, 120, 120], "payload": "https://x.y"},
                {"id": "h", "kind": "text", "box": [150, 10, 200, 60], "text": "مرحبا"},
            ],
        }
    )
    view = view_of(Path("a.json"), man, Image.new("RGB", (400, 200), "white"))
    v = instances()
    (decode,) = [f for f in v["qr"].validate(view, view.regions[0]) if f.check == "qr.decode"]
    assert not decode.passed and terminal([decode])
    blank = [f for f in v["contrast"].validate(view, view.regions[1]) if not f.passed]
    assert blank and not terminal(blank)


def test_logo_clear_space_violation_is_repaired_by_drawing_the_logo_smaller(
    tmp_path: Path,
) -> None:
    from tests.validators.test_logo import logo_campaign

    lc = logo_campaign(tmp_path)
    job = Job("t", "en-US", "s", "default")
    plate = Image.new("RGB", (800, 400), "#FFFFFF")
    before, first = render_copy(lc, job, plate)
    asset = produce(lc, job, plate, {})
    assert asset.ok, {
        k: [f.message for f in v if not f.passed] for k, v in asset.validation.items()
    }
    [attempt] = asset.attempts["logo"]
    assert attempt["because"] == ["logo.clearspace"] and attempt["changed"] == {"scale": 0.8}
    assert attempt["passed"] and "head" not in asset.attempts
    logo = next(x for x in asset.layers if x.region == "logo")
    assert logo.meta["scale"] == 0.8
    w0 = first[0].meta["ink_box"][2]
    assert logo.meta["ink_box"][2] < w0  # smaller, still anchored top-left
    assert logo.meta["ink_box"][:2] <= first[0].meta["ink_box"][:2]
    # Only the logo's box changed.
    assert outside_equal(before, asset.image, logo.rect.as_list())


@pytest.mark.parametrize("seed", range(4))
def test_recomposite_gives_composites_pixels(seed: int) -> None:
    """A retry recomposites the region's area alone; the canvas must be the one a full
    composite gives, with layers overlapping it, the area moved and at the canvas edge."""
    rng = np.random.default_rng(seed)
    plate = Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))

    def layer(name: str) -> Layer:
        w, h = int(rng.integers(10, 90)), int(rng.integers(10, 70))
        x, y = int(rng.integers(0, 160 - w + 1)), int(rng.integers(0, 120 - h + 1))
        px = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        return Layer(name, Rect(x, y, w, h), Image.fromarray(px, "RGBA"), z=0)

    layers = [layer(n) for n in "abcd"]
    image = composite(plate, layers)
    again = layer("b")  # region b drawn anew, maybe elsewhere and another size
    redrawn = [again if x.region == "b" else x for x in layers]
    area = layers[1].rect.union(again.rect)
    got = recomposite(image, plate, redrawn, area)
    assert np.array_equal(np.asarray(got), np.asarray(composite(plate, redrawn)))
    assert np.array_equal(np.asarray(image), np.asarray(composite(plate, layers)))  # untouched
