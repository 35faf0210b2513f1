"""Stacks (issue 14) in the campaign file: the model, the published schema and
`copyplate check`, which reports every bad stack at once with line and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from copyplate.errors import Problem
from copyplate.layouts.loader import check_campaign
from copyplate.layouts.schema import campaign_schema
from tests.renderers.copy.helpers import campaign, text_region


def _stacked(rid: str, **kw: Any) -> dict[str, Any]:
    r = text_region(rid, **kw)
    del r["box"]
    return r


def _write(tmp: Path, regions: list[dict[str, Any]], stacks: list[dict[str, Any]]) -> Path:
    """A campaign with `stacks`, written one key per line so positions are meaningful."""
    campaign(
        tmp,
        [text_region("ok", box={"x": 0.7, "y": 0.7, "w": 0.2, "h": 0.2}, min_font_px=12)],
        {"en-US": {"ok": "Hi", "head": "Spring Sale", "sub": "Half price"}},
    )
    path = tmp / "campaign.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["regions"] += regions
    data["stacks"] = stacks
    data["sizes"].append({"name": "wide", "width": 1600, "height": 200})
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str, after: str = "") -> int:
    """1-based line of the first `needle` after the first `after`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if after in ln) if after else 0
    return next(i for i, ln in enumerate(lines) if i >= start and needle in ln) + 1


def test_schema_publishes_stacks_and_type_scale() -> None:
    schema = campaign_schema()
    stack = schema["$defs"]["Stack"]
    assert set(stack["required"]) == {"id", "regions", "box"}
    assert stack["properties"]["direction"]["enum"] == ["column", "row"]
    assert "space-between" in stack["properties"]["align"]["enum"]
    assert "stacks" in schema["properties"]
    assert schema["$defs"]["OutputSize"]["properties"]["type_scale"]["exclusiveMinimum"] == 0
    # A region's box is optional in the schema: the stack places stacked regions.
    assert "box" not in schema["$defs"]["TextRegion"]["required"]


def test_a_good_stack_checks_clean(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [_stacked("head", max_lines=2), _stacked("sub", min_font_px=12)],
        [
            {
                "id": "copy",
                "regions": ["head", "sub"],
                "box": {"x": 0.05, "y": 0.05, "w": 0.6, "h": 0.6},
            }
        ],
    )
    lc, problems = check_campaign(path)
    assert lc is not None, [p.format() for p in problems]
    assert lc.stack_of("sub") is not None and lc.stack_of("ok") is None
    # Unplaced, a stacked region's rect is its stack's group box.
    size = lc.size("s")
    head = next(r for r in lc.campaign.regions if r.id == "head")
    assert lc.region_rect(head, size).as_list() == [40, 20, 480, 240]


def test_bad_stacks_are_all_reported_with_line_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _stacked("head", max_lines=2),
            _stacked("sub", min_font_px=12),
            text_region("boxed", copy="sub", min_font_px=12),
            {
                "id": "code",
                "kind": "qr",
                "payload": "https://example.com",
                "box": {"x": 0, "y": 0, "w": 0.2, "h": 0.4},
            },
            _stacked("lost", copy="sub"),
        ],
        [
            {
                "id": "copy",
                "regions": ["head", "hed", "boxed", "code"],
                "box": {"x": 0.5, "y": 0.5, "w": 0.6, "h": 0.4},
                "directions": {"nope": "row"},
            },
            {
                "id": "more",
                "regions": ["sub", "head"],
                "box": {"x": 0.0, "y": 0.0, "w": 0.5, "h": 0.2},
            },
        ],
    )
    lc, problems = check_campaign(path)
    assert lc is None
    got: dict[str, list[Problem]] = {}
    for p in problems:
        if p.severity == "error":
            got.setdefault(p.pointer, []).append(p)

    def expect(pointer: str, text: str, line: int) -> None:
        hits = [p for p in got.get(pointer, []) if text in p.message]
        assert hits, f"no {text!r} at {pointer}: {[p.format() for ps in got.values() for p in ps]}"
        assert hits[0].line == line and hits[0].column, hits[0].format()

    expect(
        "/stacks/0/regions/1",
        "unknown region 'hed' (did you mean 'head'?)",
        _line_of(path, '"hed"'),
    )
    expect(
        "/stacks/0/regions/3",
        "of kind 'qr'; expected one of text, price, cta",
        _line_of(path, '"code"', '"stacks"'),
    )
    expect(
        "/stacks/1/regions/1",
        "region 'head' is already in stack 'copy'",
        _line_of(path, '"head"', '"more"'),
    )
    expect(
        "/stacks/0/box",
        "stack 'copy' on size 's' (800x400) lies outside the canvas",
        _line_of(path, '"box"', '"stacks"'),
    )
    expect("/stacks/0/directions/nope", "unknown size 'nope'", _line_of(path, '"nope"'))
    expect(
        "/regions/3/box",
        "region 'boxed' is placed by stack 'copy'; expected no box",
        _line_of(path, '"box"', '"boxed"'),
    )
    expect(
        "/regions/5",
        "region 'lost' has no 'box'; expected a box, or the region in a stack",
        _line_of(path, '"id": "lost"') - 1,
    )
    # The short wide size: two lines of type at min_font_px do not fit 40 px of stack.
    expect(
        "/stacks/1/box",
        "stack 'more' on size 'wide' is 40 px high; one line of each of sub, head",
        _line_of(path, '"box"', '"more"'),
    )
