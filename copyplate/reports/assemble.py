"""report.json, junit.xml and report.html of a batch, from its results and manifests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from copyplate.fileio import write_atomic
from copyplate.reports.costs import hosted_summary, region_cost
from copyplate.reports.html import render_html
from copyplate.reports.junit import junit_xml


def manifest_summary(out: Path, manifest: str) -> dict[str, Any]:
    """What the reports show of an asset: size, plate, and per region its box, verdict,
    failed findings and retry attempts (read back from the manifest written)."""
    path = out / manifest
    if not manifest or not path.is_file():
        return {}
    m = json.loads(path.read_text(encoding="utf-8"))
    regions = []
    for r in m.get("regions", []):
        findings = r.get("findings", [])
        regions.append(
            {
                "id": r["id"],
                "kind": r["kind"],
                "box": r["box"],
                "passed": all(f.get("passed") for f in findings),
                "failed": [f for f in findings if not f.get("passed")],
                "attempts": r.get("attempts", []),
                "backend": r.get("backend", "typeset"),
                "generated": bool(r.get("generated")),
                "fallback": r.get("fallback"),
                "calls": r.get("calls", []),
            }
        )
    return {
        "width": m.get("width"),
        "height": m.get("height"),
        "plate": m.get("plate", {}),
        "regions": regions,
    }


def build_report(
    head: dict[str, Any],
    assets: list[dict[str, Any]],
    out: Path,
    started: float,
    max_cost: float | None,
) -> dict[str, Any]:
    """The run's report: `head` (campaign, plate backend ...), every asset with what its
    manifest says, totals and the hosted models' summary."""
    report: dict[str, Any] = {
        **head,
        "assets": assets,
        "passed": sum(a["passed"] for a in assets),
        "failed": sum(not a["passed"] for a in assets),
        "reused": sum(a["reused"] for a in assets),
    }
    for entry in assets:
        entry.update(manifest_summary(out, entry.get("manifest") or ""))
        entry["cost_usd"] = region_cost(entry)
    report["hosted"] = hosted_summary(assets, started)
    report["hosted"]["max_cost_usd"] = max_cost
    return report


# Where report.html's thumbnails are kept between runs (a folder of the output).
THUMBS = ".thumbs"


def write_reports(out: Path, report: dict[str, Any]) -> Path:
    """report.json, junit.xml and report.html in `out`; returns the HTML's path."""
    write_atomic(
        out / "report.json", (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()
    )
    write_atomic(out / "junit.xml", junit_xml(report).encode("utf-8"))
    html = out / "report.html"
    write_atomic(html, render_html(report, out, out / THUMBS).encode("utf-8"))
    return html
