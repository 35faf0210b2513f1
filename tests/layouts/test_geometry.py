from __future__ import annotations

from copyplate.layouts.geometry import resolve_box, safe_rect
from copyplate.layouts.models import Grid, GridBox, OutputSize, RelBox, SafeArea


def size(**kw: object) -> OutputSize:
    return OutputSize.model_validate({"name": "s", "width": 1000, "height": 500, **kw})


def test_relative_box_rounds_edges() -> None:
    r = resolve_box(RelBox(x=0.1, y=0.2, w=0.3333, h=0.5), size())
    assert r.as_list() == [100, 100, 333, 250]


def test_adjacent_boxes_share_an_edge() -> None:
    s = size()
    a = resolve_box(RelBox(x=0.0, y=0, w=0.3333, h=1), s)
    b = resolve_box(RelBox(x=0.3333, y=0, w=0.3333, h=1), s)
    assert a.right == b.x


def test_grid_box_lies_on_the_safe_area_grid() -> None:
    s = size(
        safe_area=SafeArea(left=100, right=100, top=50, bottom=50),
        grid=Grid(columns=4, rows=2, gutter=20),
    )
    area = safe_rect(s)
    assert area.as_list() == [100, 50, 800, 400]
    first = resolve_box(GridBox(col=1, row=1), s)
    assert first.as_list() == [100, 50, 185, 190]
    whole = resolve_box(GridBox(col=1, row=1, col_span=4, row_span=2), s)
    assert whole == area
