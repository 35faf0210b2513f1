"""What the hosted models did in a run: calls, failures, latency, cost, fallbacks.

A pure function of the report's asset entries. Every call carries an id: a plate shared
by every locale of a size is counted once, and calls made by an earlier run (assets reused
from the ledger, plates from the cache) count in the assets' cost but not in this run's.
"""

from __future__ import annotations

import statistics
from typing import Any


def asset_calls(asset: dict[str, Any]) -> list[dict[str, Any]]:
    """Every hosted call behind one asset: its plate's (shared) and its regions' own."""
    plate = asset.get("plate") or {}
    calls = [*plate.get("calls", []), *plate.get("inpaint_calls", [])]
    for r in asset.get("regions", []):
        calls += r.get("calls", [])
    return calls


def region_cost(asset: dict[str, Any]) -> float:
    """What this asset's own regions cost (its share of the plate is not split)."""
    return round(
        sum(c.get("cost_usd") or 0 for r in asset.get("regions", []) for c in r.get("calls", [])),
        6,
    )


def hosted_summary(assets: list[dict[str, Any]], run_started: float) -> dict[str, Any]:
    calls: dict[str, dict[str, Any]] = {}
    for a in assets:
        for c in asset_calls(a):
            calls.setdefault(str(c.get("id")), c)
    seconds = sorted(float(c.get("seconds") or 0) for c in calls.values())
    by_model: dict[str, dict[str, Any]] = {}
    for c in calls.values():
        m = by_model.setdefault(str(c.get("model")), {"calls": 0, "cost_usd": 0.0})
        m["calls"] += 1
        m["cost_usd"] = round(m["cost_usd"] + (c.get("cost_usd") or 0), 6)
    regions = [r for a in assets for r in a.get("regions", [])]
    return {
        "calls": len(calls),
        "failed_calls": sum(c.get("status") != "ok" for c in calls.values()),
        "tries": sum(int(c.get("tries") or 0) for c in calls.values()),
        "cost_usd": round(sum(c.get("cost_usd") or 0 for c in calls.values()), 6),
        "cost_this_run_usd": round(
            sum(c.get("cost_usd") or 0 for c in calls.values() if c.get("at", 0) >= run_started),
            6,
        ),
        # Calls the price table has no price for: the totals leave them out.
        "unpriced_calls": sum(c.get("cost_usd") is None for c in calls.values()),
        "latency_s": {
            "median": round(statistics.median(seconds), 3) if seconds else None,
            "p90": round(seconds[int(0.9 * (len(seconds) - 1))], 3) if seconds else None,
            "max": round(seconds[-1], 3) if seconds else None,
        },
        "by_model": by_model,
        "generated_regions": sum(bool(r.get("generated")) for r in regions),
        "fallbacks": sum(bool(r.get("fallback")) for r in regions),
    }
