"""`copyplate demo`: the spring-sale sample through every stage, offline."""

from __future__ import annotations

import sys
from pathlib import Path

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import AssetResult, run_batch
from copyplate.renderers.plates.cache import PlateCache

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def run_demo(out: Path) -> tuple[Path, list[AssetResult]]:
    lc = load_campaign(
        SAMPLES / "spring-sale" / "campaign.json", "samples/spring-sale/campaign.json"
    )

    def tick(r: AssetResult) -> None:
        mark = "ok  " if r.passed else "FAIL"
        sys.stderr.write(f"{mark} {r.job.name:24s} {r.seconds * 1000:6.0f} ms\n")

    # The campaign's own plate model: the built-in one, shipped with copyplate, offline.
    return run_batch(lc, out, progress=tick, plate_cache=PlateCache())
