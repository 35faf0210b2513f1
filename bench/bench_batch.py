"""Wall time of the spring-sale batch (17 locales x 3 sizes), cold and with a warm plate cache,
against a naive loop that makes the plate again and spawns tesseract for every asset.

Run: .venv/bin/python bench/bench_batch.py [--workers 2] [--naive-limit 51]

- cold: empty output folder and empty plate cache; built-in plates, copy, every validator
  and the retry ladder, `workers` processes.
- warm: empty output folder (the ledger skips nothing), plate cache from the cold run.
- naive: one process; per asset, the plate is generated again, the copy rendered, and
  each copy region read by a new `tesseract` process (what a script around pytesseract
  does); no validators beyond that OCR, no cache. Timed on --naive-limit assets and
  scaled to 51 when smaller.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.asset import encode_image, plate_request, render_copy
from copyplate.pipeline.plan import plan_jobs
from copyplate.pipeline.run import run_batch
from copyplate.renderers.plates.base import plate_generator
from copyplate.renderers.plates.cache import PlateCache

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = ROOT / "samples" / "spring-sale" / "campaign.json"


def naive(limit: int, tmp: Path) -> tuple[float, int]:
    lc = load_campaign(CAMPAIGN)
    gen = plate_generator(lc.campaign.plate.model)
    jobs = plan_jobs(lc)[:limit]
    t = time.perf_counter()
    for job in jobs:
        plate = gen.generate(plate_request(lc, lc.size(job.size), job.variant))
        image, layers = render_copy(lc, job, plate)
        path = tmp / "naive.png"
        path.write_bytes(encode_image(image, "png"))
        for layer in layers:
            if layer.region in ("headline", "subline", "price", "cta", "legal"):
                r = layer.rect
                crop = tmp / "crop.png"
                image.crop((r.x, r.y, r.right, r.bottom)).save(crop)
                subprocess.run(
                    ["tesseract", str(crop), "stdout", "-l", "eng"],
                    capture_output=True,
                    check=False,
                )
    return time.perf_counter() - t, len(jobs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--naive-limit", type=int, default=51)
    args = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cache = PlateCache(tmp / "plates")
        lc = load_campaign(CAMPAIGN)
        t = time.perf_counter()
        _, res = run_batch(lc, tmp / "cold", plate_cache=cache, workers=args.workers)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        run_batch(lc, tmp / "warm", plate_cache=PlateCache(tmp / "plates"), workers=args.workers)
        warm = time.perf_counter() - t
        n = len(res)
        passed = sum(r.passed for r in res)
        print(
            f"cold  ({args.workers} workers): {cold:6.1f} s  {n / cold:5.2f} assets/s  "
            f"({passed}/{n} passed)"
        )
        print(f"warm  ({args.workers} workers): {warm:6.1f} s  {n / warm:5.2f} assets/s")
        secs, done = naive(args.naive_limit, tmp)
        est = secs * n / done
        print(
            f"naive (1 process, {done} assets timed): {est:6.1f} s for {n}  {n / est:5.2f} assets/s"
        )
        print(f"speed-up over naive: cold {est / cold:.1f}x, warm {est / warm:.1f}x")


if __name__ == "__main__":
    main()
