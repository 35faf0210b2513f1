"""`geometry.covers_product`: copy must not hide a cut-out product.

The manifest records each cut-out's visible alpha on a coarse grid over its box
(`alpha_grid`) and how much of it copy may cover (`protect`); this validator measures the
share of those cells under each higher region's copy (its `text_bbox`, else its box)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators


def alpha_cells(region: RegionSpec) -> NDArray[np.bool_] | None:
    grid = region.m.alpha_grid
    if not grid or len({len(row) for row in grid}) != 1:
        return None  # no cut-out (or a ragged, untrustworthy hint)
    return np.array([[c == "1" for c in row] for row in grid], dtype=bool)


def alpha_rect(region: RegionSpec) -> Rect | None:
    """The image pixels a cut-out's visible alpha spans, or None for a photo."""
    cells = alpha_cells(region)
    if cells is None or not cells.any():
        return None
    box = region.box
    rows, cols = np.nonzero(cells)
    gh, gw = cells.shape
    x0 = box.x + box.w * int(cols.min()) // gw
    x1 = box.x + -(-box.w * (int(cols.max()) + 1) // gw)
    y0 = box.y + box.h * int(rows.min()) // gh
    y1 = box.y + -(-box.h * (int(rows.max()) + 1) // gh)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def covered_share(cells: NDArray[np.bool_], box: Rect, cover: Rect) -> float:
    """Share of the product cells whose centres lie under `cover`."""
    gh, gw = cells.shape
    cx = box.x + (np.arange(gw) + 0.5) * box.w / gw
    cy = box.y + (np.arange(gh) + 0.5) * box.h / gh
    inside_x = (cx >= cover.x) & (cx < cover.right)
    inside_y = (cy >= cover.y) & (cy < cover.bottom)
    under = np.outer(inside_y, inside_x) & cells
    return float(under.sum()) / max(1, int(cells.sum()))


@validators.register("covers_product")
class CoversProductValidator:
    check: ClassVar[str] = "geometry"
    kinds: ClassVar[tuple[str, ...]] = COPY_KINDS

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        ink = Rect(*region.m.text_bbox) if region.m.text_bbox is not None else region.box
        out: list[Finding] = []
        for product in asset.regions:
            if product.kind != "image" or product.m.z >= region.m.z:
                continue
            cells = alpha_cells(product)
            if cells is None or not cells.any():
                continue
            share = round(covered_share(cells, product.box, ink), 3)
            limit = product.m.protect if product.m.protect is not None else 0.02
            ok = share <= limit
            out.append(
                Finding(
                    "geometry.covers_product",
                    region.id,
                    ok,
                    f"covers {share:.0%} of {product.id!r}"
                    if ok
                    else f"copy covers {share:.0%} of product {product.id!r}; at most "
                    f"{limit:.0%} may be covered",
                    measured=share,
                    expected=limit,
                    bbox=ink.as_list(),
                    extra={"product": product.id},
                    # Fewer lines, smaller type: the text ladder shrinks the copy's extent.
                    action="none" if ok else "retypeset",
                )
            )
        return out
