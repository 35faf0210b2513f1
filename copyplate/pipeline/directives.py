"""What the retry ladder asks of a region's next attempt, as typed data.

A `Directive` is cumulative: each rung of the ladder (replan.py) returns a new one with one
more relaxation. The relaxations a Region can hold are applied to it with
`model_copy(update=...)`, so a renderer draws the updated Region and never looks at the
ladder; the two a Region cannot hold (where the font chain starts, how relaxed a hosted
model's prompt is) reach the renderer as typed fields of `RenderContext`. Repainting the
plate under the box and the backend that draws the region are the pipeline's to act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from copyplate.layouts.models import ContrastAid, RegionBase

Ecc = Literal["L", "M", "Q", "H"]
R = TypeVar("R", bound=RegionBase)

# Relaxation fields that are Region fields of the same name (text-like, QR or logo regions).
REGION_FIELDS = (
    "max_lines",
    "max_font_px",
    "contrast_aid",
    "ecc",
    "quiet_zone_modules",
    "scale",
)


@dataclass(frozen=True)
class Relaxation:
    """Region settings relaxed so far; None (or 0) keeps the campaign's own value."""

    max_lines: int | None = None
    max_font_px: int | None = None
    contrast_aid: ContrastAid | None = None
    ecc: Ecc | None = None
    quiet_zone_modules: int | None = None
    scale: float | None = None  # a logo's share of its box
    # Not Region fields: they travel in RenderContext.
    font_shift: int = 0  # start the font chain this many faces later
    prompt_relax: int = 0  # a hosted model's prompt: 1 lets go of the typeface, 2 of colour

    def region_update(self, region: RegionBase) -> dict[str, Any]:
        """The relaxed values `region` has fields for (a QR region has no `max_lines`)."""
        fields = type(region).model_fields
        return {
            name: value
            for name in REGION_FIELDS
            if (value := getattr(self, name)) is not None and name in fields
        }


@dataclass(frozen=True)
class Directive:
    """One attempt's instructions for one region."""

    relax: Relaxation = field(default_factory=Relaxation)
    repaint_plate: bool = False  # inpaint the plate under the box before re-rendering
    backend: str | None = None  # draw with this backend instead (a hosted model's fallback)

    def relaxed(self, relax: Relaxation) -> Directive:
        return replace(self, relax=relax)

    def region(self, region: R) -> R:
        """`region` as this attempt draws it."""
        update = self.relax.region_update(region)
        return region.model_copy(update=update) if update else region

    def record(self) -> dict[str, Any]:
        """Every setting this directive changes, under the names the manifest records."""
        r = self.relax
        out: dict[str, Any] = {
            name: value for name in REGION_FIELDS if (value := getattr(r, name)) is not None
        }
        if r.font_shift:
            out["font_shift"] = r.font_shift
        if r.prompt_relax:
            out["prompt_relax"] = r.prompt_relax
        if self.repaint_plate:
            out["inpaint_plate"] = True
        if self.backend is not None:
            out["backend"] = self.backend
        return out

    def changed_from(self, before: Directive) -> dict[str, Any]:
        """What an attempt records as `changed`: the settings that differ from `before`."""
        old = before.record()
        return {k: v for k, v in self.record().items() if old.get(k) != v}
