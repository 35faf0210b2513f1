"""`copyplate demo`: the sample campaigns through every stage that exists, offline."""

from __future__ import annotations

import json
from pathlib import Path

from copyplate.errors import LayoutError
from copyplate.layouts.loader import check_campaign
from copyplate.pipeline.plan import plan_jobs
from copyplate.reports.files import write_atomic

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def run_demo(out: Path) -> Path:
    """Check every sample, plan the spring-sale batch, and write report.json under `out`."""
    campaigns = []
    jobs = []
    for path in sorted(SAMPLES.glob("*/campaign.json")):
        loaded, problems = check_campaign(path, str(path.relative_to(SAMPLES.parent)))
        if loaded is None:
            raise LayoutError(problems)
        campaigns.append(
            {
                "campaign": loaded.campaign.id,
                "file": loaded.display,
                "warnings": [p.as_dict() for p in problems],
            }
        )
        jobs += [j.as_dict() for j in plan_jobs(loaded)]
    report = {"stage": "plan", "campaigns": campaigns, "jobs": jobs}
    out.mkdir(parents=True, exist_ok=True)
    target = out / "report.json"
    write_atomic(target, json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8"))
    return target
