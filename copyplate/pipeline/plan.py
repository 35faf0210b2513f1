"""Plan a batch: one job per locale x size x variant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from copyplate.errors import InputError
from copyplate.layouts.loader import LoadedCampaign


@dataclass(frozen=True, order=True)
class Job:
    campaign: str
    locale: str
    size: str
    variant: str

    @property
    def name(self) -> str:
        """Stable file stem for this job's asset, e.g. 'square/de-DE' or 'square/de-DE.b'."""
        suffix = "" if self.variant == "default" else f".{self.variant}"
        return f"{self.size}/{self.locale}{suffix}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _pick(what: str, wanted: Sequence[str] | None, known: list[str]) -> list[str]:
    if not wanted:
        return known
    unknown = [w for w in wanted if w not in known]
    if unknown:
        msg = f"unknown {what} {', '.join(map(repr, unknown))} (campaign has: {', '.join(known)})"
        raise InputError(msg)
    return [k for k in known if k in wanted]


def plan_jobs(
    lc: LoadedCampaign,
    locales: Sequence[str] | None = None,
    sizes: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
) -> list[Job]:
    c = lc.campaign
    locs = _pick("locale", locales, list(c.locales))
    szs = _pick("size", sizes, [s.name for s in c.sizes])
    vars_ = _pick("variant", variants, [v.id for v in c.variants])
    return [Job(c.id, loc, s, v) for s in szs for loc in locs for v in vars_]
