"""`copyplate demo`: the spring-sale sample through every stage that exists, offline."""

from __future__ import annotations

import sys
from pathlib import Path

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import AssetResult, run_batch

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# The procedural plate until the built-in diffusion model ships; no download either way.
DEMO_PLATES = "gradient"


def run_demo(out: Path) -> tuple[Path, list[AssetResult]]:
    lc = load_campaign(
        SAMPLES / "spring-sale" / "campaign.json", "samples/spring-sale/campaign.json"
    )

    def tick(r: AssetResult) -> None:
        mark = "ok  " if r.passed else "FAIL"
        sys.stderr.write(f"{mark} {r.job.name:24s} {r.seconds * 1000:6.0f} ms\n")

    return run_batch(lc, out, plate_backend=DEMO_PLATES, progress=tick)
