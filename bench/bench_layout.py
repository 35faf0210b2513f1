"""Layout quality across locales: spring-sale (or any campaign), every locale x size.

Run: .venv/bin/python bench/bench_layout.py [CAMPAIGN] [--markdown]
For each size and text region (text, price, CTA): the smallest and largest font px across
the locales and their ratio (the spread a designer sees), how much of its box height each
block fills (the smallest fill and the median), how many locales sit at min_font_px,
how many blocks fill less than half their box while a larger size was allowed, and the
copy-stage failures (copy that does not fit). Plates are the flat `gradient` backend: the
fit does not depend on the plate. Runs on checkouts without harmony too (the "before").
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from copyplate.layouts.loader import load_campaign
from copyplate.layouts.models import CtaRegion, PriceRegion, TextRegion
from copyplate.pipeline.asset import plate_request, render_copy
from copyplate.pipeline.plan import plan_jobs
from copyplate.renderers.plates.base import plate_generator

ROOT = Path(__file__).resolve().parents[1]


def measure(campaign: Path) -> list[dict[str, Any]]:
    lc = load_campaign(campaign)
    try:  # the harmony planner arrived with issue 14; measure older checkouts without it
        from copyplate.pipeline.harmony import harmonised, plan_harmony

        plan = plan_harmony(lc)
    except ImportError:
        plan = None
    gen = plate_generator("gradient")
    plates = {s.name: gen.generate(plate_request(lc, s, "default")) for s in lc.campaign.sizes}
    regions = {
        r.id: r for r in lc.campaign.regions if isinstance(r, TextRegion | PriceRegion | CtaRegion)
    }
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for job in plan_jobs(lc):
        job_lc = lc
        caps: dict[str, int] = {}
        if plan is not None:
            caps = plan.caps_for(job.size, job.variant, job.locale)
            job_lc = harmonised(lc, caps)
        _, layers = render_copy(job_lc, job, plates[job.size])
        for layer in layers:
            region = regions.get(layer.region)
            if region is None:
                continue
            row = rows.setdefault(
                (job.size, region.id),
                {"size": job.size, "region": region.id, "px": {}, "fill": {}, "failed": []},
            )
            px = layer.meta.get("font_px")
            if not isinstance(px, int) or not layer.ok:
                row["failed"].append(job.locale)
                continue
            row["px"][job.locale] = px
            block_h = layer.meta.get("text_bbox", [0, 0, 0, 0])[3]
            fill = block_h / layer.rect.h
            row["fill"][job.locale] = fill
            allowed = min(caps.get(region.id, region.max_font_px), region.max_font_px)
            if fill < 0.5 and px < allowed:
                row.setdefault("underfilled", []).append(job.locale)
            if px == region.min_font_px:
                row.setdefault("at_min", []).append(job.locale)
    return list(rows.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "campaign", nargs="?", default=str(ROOT / "samples" / "spring-sale" / "campaign.json")
    )
    args = ap.parse_args()
    rows = measure(Path(args.campaign))
    print(
        "| size | region | smallest px | largest px | spread | fill min / median "
        "| at min px | < 1/2 box, larger fits | failed |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    worst = 1.0
    totals = {"at_min": 0, "underfilled": 0, "failed": 0}
    for row in rows:
        px: dict[str, int] = row["px"]
        if not px:
            print(
                f"| {row['size']} | {row['region']} | - | - | - | - | - | - | "
                f"{len(row['failed'])} |"
            )
            continue
        lo = min(px, key=lambda k: (px[k], k))
        hi = max(px, key=lambda k: (px[k], k))
        spread = px[hi] / px[lo]
        worst = max(worst, spread)
        fills = list(row["fill"].values())
        for key in totals:
            totals[key] += len(row.get(key, []))
        print(
            f"| {row['size']} | {row['region']} | {px[lo]} ({lo}) | {px[hi]} ({hi}) "
            f"| {spread:.2f}x | {min(fills):.0%} / {statistics.median(fills):.0%} "
            f"| {len(row.get('at_min', []))} | {len(row.get('underfilled', []))} "
            f"| {len(row['failed'])} |"
        )
    print(
        f"\nworst spread {worst:.2f}x; at min_font_px {totals['at_min']}; "
        f"under half their box with a larger size allowed {totals['underfilled']}; "
        f"failed {totals['failed']}",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
