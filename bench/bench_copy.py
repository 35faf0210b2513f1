"""Copy-stage time per asset for the spring-sale campaign (17 locales x 3 sizes).

Run: .venv/bin/python bench/bench_copy.py [--repeat N]
Times `render_copy` (typesetting, badges, QR, compositing of all six regions) per asset,
with the plate made beforehand and PNG encoding excluded, then the PNG encode separately.
Font caches are warmed by one untimed pass first, as in a batch. Prints medians.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.asset import encode_image, plate_request, render_copy
from copyplate.pipeline.plan import plan_jobs
from copyplate.renderers.plates.base import plate_generator

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    lc = load_campaign(ROOT / "samples" / "spring-sale" / "campaign.json")
    gen = plate_generator("gradient")
    jobs = plan_jobs(lc)
    plates = {s.name: gen.generate(plate_request(lc, s, "default")) for s in lc.campaign.sizes}
    for job in jobs:  # warm the font and shaping caches, as any batch after its first asset
        render_copy(lc, job, plates[job.size])
    per_size: dict[str, list[float]] = {}
    every: list[float] = []
    encode: list[float] = []
    for _ in range(args.repeat):
        for job in jobs:
            t = time.perf_counter()
            image, _ = render_copy(lc, job, plates[job.size])
            dt = time.perf_counter() - t
            every.append(dt)
            per_size.setdefault(job.size, []).append(dt)
            t = time.perf_counter()
            encode_image(image, "png")
            encode.append(time.perf_counter() - t)
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores, python {platform.python_version()}"
    )
    print(f"spring-sale: {len(jobs)} assets x {args.repeat} repeats")
    print(
        f"copy stage per asset: median {statistics.median(every) * 1000:.0f} ms "
        f"(min {min(every) * 1000:.0f}, max {max(every) * 1000:.0f})"
    )
    for size, ts in per_size.items():
        print(f"  {size:10s} median {statistics.median(ts) * 1000:.0f} ms")
    print(f"PNG encode per asset: median {statistics.median(encode) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
