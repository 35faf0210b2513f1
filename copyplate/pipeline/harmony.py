"""Type harmony across locales, planned over the batch before anything is drawn.

A region with `harmony` is set, in each size and variant, within `max_spread` across the
campaign's locales: each locale's own fit (the largest size the typesetter would choose,
ink check included) is measured first; the smallest of them sets the band
[smallest, smallest x max_spread], and every locale above it is capped at the band's top.

The band is taken over *all* the campaign's locales, not only those a run selects, so
re-running one locale gives it the same size as the full batch did; it is a pure function
of the campaign, its copy and the fonts, so the driver computes it once (each locale's fit
measured in as many forked processes as the batch has workers) and every worker process
or Ray task gets the same caps through `RunOptions`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import CtaRegion, PriceRegion, TextRegion
from copyplate.layouts.typescale import scaled_type
from copyplate.pipeline.forkmap import fork_map
from copyplate.renderers.copy.base import RenderContext, renderer_for

Key = tuple[str, str, str, str]  # size, variant, region, locale


@dataclass(frozen=True)
class HarmonyNote:
    """A locale that cannot take part in its band, and why (reported by the run)."""

    size: str
    variant: str
    region: str
    locale: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class HarmonyPlan:
    """Caps on max_font_px per (size, variant, region, locale); tuples, so it pickles,
    hashes and compares by value wherever it travels."""

    caps: tuple[tuple[Key, int], ...] = ()
    bands: tuple[tuple[tuple[str, str, str], tuple[int, int]], ...] = ()
    notes: tuple[HarmonyNote, ...] = ()
    # The px each locale in a band is set at (its own fit, capped): what `plan` shows.
    set_px: tuple[tuple[Key, int], ...] = ()

    def caps_for(self, size: str, variant: str, locale: str) -> dict[str, int]:
        """region id -> cap, for one job."""
        return {k[2]: px for k, px in self.caps if (k[0], k[1], k[3]) == (size, variant, locale)}

    def identity(self, size: str, variant: str, locale: str) -> dict[str, Any]:
        """What of the plan changes this job's asset (its ledger hash takes it)."""
        return dict(sorted(self.caps_for(size, variant, locale).items()))

    def as_json(self) -> dict[str, Any]:
        """The plan as JSON data, every field of it; `from_json` gives back an equal plan."""
        return {
            f.name: [n.as_dict() for n in self.notes]
            if f.name == "notes"
            else getattr(self, f.name)
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HarmonyPlan:
        fields: dict[str, Any] = {
            f.name: tuple(HarmonyNote(**n) for n in data[f.name])
            if f.name == "notes"
            else _tuples(data[f.name])
            for f in dataclasses.fields(cls)
        }
        return cls(**fields)

    @classmethod
    def shape(cls) -> str:
        """The fields a kept plan has: part of its key, so a plan kept by a version with
        other fields is planned again rather than read without them."""
        return ",".join(f.name for f in dataclasses.fields(cls))


def _tuples(value: Any) -> Any:
    """JSON lists back into the tuples the plan is made of (it compares by value)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def harmonised(lc: LoadedCampaign, caps: dict[str, int]) -> LoadedCampaign:
    """`lc` with each capped region's max_font_px lowered to its cap (never below its
    min_font_px): the copy stage and the retry ladder then work inside the band as they
    would inside the campaign's own limits."""
    if not caps:
        return lc
    regions = []
    for r in lc.campaign.regions:
        cap = caps.get(r.id)
        if cap is not None and isinstance(r, TextRegion | PriceRegion | CtaRegion):
            r = r.model_copy(update={"max_font_px": max(r.min_font_px, min(cap, r.max_font_px))})
        regions.append(r)
    campaign = lc.campaign.model_copy(update={"regions": regions})
    return dataclasses.replace(lc, campaign=campaign)


def natural_px(
    lc: LoadedCampaign,
    region: TextRegion | PriceRegion | CtaRegion,
    size: str,
    variant: str,
    locale: str,
) -> int | None:
    """The font px the typesetter picks for this locale on its own (None: it does not fit
    at min_font_px). Drawn by the same renderer the run uses, without a backdrop, so the
    fit and the ink check are the run's own."""
    px, _ = _natural(lc, region, size, variant, locale)
    return px


def _natural(
    lc: LoadedCampaign,
    region: TextRegion | PriceRegion | CtaRegion,
    size: str,
    variant: str,
    locale: str,
) -> tuple[int | None, str]:
    """natural_px, and when it is None the copy stage's own reason."""
    ctx = RenderContext(lc, locale, lc.size(size), variant)
    layer = renderer_for(region.kind, "typeset").render(region, ctx)
    px = layer.meta.get("font_px")
    failed = [f.message for f in layer.findings if not f.passed]
    if isinstance(px, int) and not failed:
        return px, ""
    return None, "; ".join(failed) or "no size was set"


def _harmonised(lc: LoadedCampaign) -> list[TextRegion | PriceRegion | CtaRegion]:
    return [
        r
        for r in lc.campaign.regions
        if isinstance(r, TextRegion | PriceRegion | CtaRegion) and r.harmony
    ]


def plan_harmony(
    lc: LoadedCampaign,
    sizes: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
    workers: int = 1,
) -> HarmonyPlan:
    """The caps of every harmonised region of `sizes` x `variants` (default: all); each
    locale's own fit measured in `workers` processes."""
    c = lc.campaign
    if not _harmonised(lc):
        return HarmonyPlan()
    # Measured with each size's type limits, as its jobs will render.
    sized = {size: scaled_type(lc, size) for size in sizes or [s.name for s in c.sizes]}
    every = variants or [v.id for v in c.variants]
    keys = [
        (size, variant, region.id, locale)
        for size, slc in sized.items()
        for variant in every
        for region in _harmonised(slc)
        for locale in sorted(c.locales)
    ]

    def measure(key: Key) -> tuple[int | None, str]:
        size, variant, rid, locale = key
        region = next(r for r in _harmonised(sized[size]) if r.id == rid)
        return _natural(sized[size], region, size, variant, locale)

    measured = dict(zip(keys, fork_map(measure, keys, workers), strict=True))
    caps: list[tuple[Key, int]] = []
    bands: list[tuple[tuple[str, str, str], tuple[int, int]]] = []
    notes: list[HarmonyNote] = []
    set_px: list[tuple[Key, int]] = []
    for size, slc in sized.items():
        for variant in every:
            for region in _harmonised(slc):
                assert region.harmony is not None
                natural: dict[str, int] = {}
                for locale in sorted(c.locales):
                    px, why = measured[(size, variant, region.id, locale)]
                    if px is None:
                        # The copy stage's own finding (no fit, a missing glyph) says why.
                        reason = f"{why}; left out of the band"
                        notes.append(HarmonyNote(size, variant, region.id, locale, reason))
                    else:
                        natural[locale] = px
                if not natural:
                    continue
                low = min(natural.values())
                # A hair under the product: 40 x 1.25 is 50, not 49 after float rounding.
                top = max(low, math.floor(low * region.harmony.max_spread + 1e-9))
                bands.append(((size, variant, region.id), (low, top)))
                caps += [
                    ((size, variant, region.id, loc), top)
                    for loc, px in sorted(natural.items())
                    if px > top
                ]
                set_px += [
                    ((size, variant, region.id, loc), min(px, top))
                    for loc, px in sorted(natural.items())
                ]
    return HarmonyPlan(tuple(caps), tuple(bands), tuple(notes), tuple(set_px))
