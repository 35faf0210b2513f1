"""Turn layout boxes (relative or grid) into integer pixel rectangles for one output size."""

from __future__ import annotations

from typing import NamedTuple

from copyplate.layouts.models import GridBox, OutputSize, RelBox


class Rect(NamedTuple):
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def inside(self, other: Rect) -> bool:
        return (
            self.x >= other.x
            and self.y >= other.y
            and self.right <= other.right
            and self.bottom <= other.bottom
        )

    def union(self, other: Rect) -> Rect:
        """The smallest rectangle holding both."""
        x0, y0 = min(self.x, other.x), min(self.y, other.y)
        return Rect(x0, y0, max(self.right, other.right) - x0, max(self.bottom, other.bottom) - y0)

    def intersects(self, other: Rect) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


def canvas(size: OutputSize) -> Rect:
    return Rect(0, 0, size.width, size.height)


def safe_rect(size: OutputSize) -> Rect:
    sa = size.safe_area
    return Rect(sa.left, sa.top, size.width - sa.left - sa.right, size.height - sa.top - sa.bottom)


def resolve_box(box: RelBox | GridBox, size: OutputSize) -> Rect:
    """Pixel rectangle of `box` on `size`. Grid boxes are laid over the safe area.

    Edges are rounded independently so that boxes sharing an edge in layout units also
    share it in pixels.
    """
    if isinstance(box, RelBox):
        x0 = round(box.x * size.width)
        y0 = round(box.y * size.height)
        x1 = round((box.x + box.w) * size.width)
        y1 = round((box.y + box.h) * size.height)
        return Rect(x0, y0, x1 - x0, y1 - y0)
    area = safe_rect(size)
    g = size.grid
    cell_w = (area.w - g.gutter * (g.columns - 1)) / g.columns
    cell_h = (area.h - g.gutter * (g.rows - 1)) / g.rows
    left = area.x + (box.col - 1) * (cell_w + g.gutter)
    top = area.y + (box.row - 1) * (cell_h + g.gutter)
    right = left + box.col_span * cell_w + (box.col_span - 1) * g.gutter
    bottom = top + box.row_span * cell_h + (box.row_span - 1) * g.gutter
    return Rect(round(left), round(top), round(right) - round(left), round(bottom) - round(top))
