"""Seconds per 1080x1080 plate with the built-in model on this CPU, and the cache-hit path.

Run: .venv/bin/python bench/bench_plates.py [--repeat N]
Prints medians. The first call (model load) is timed and reported separately.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from copyplate.renderers.plates.base import PlateRequest, plate_generator
from copyplate.renderers.plates.cache import PlateCache


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--model", default="builtin")
    args = ap.parse_args()
    import torch

    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"cuda {torch.cuda.is_available()}"
    )
    gen = plate_generator(args.model)
    req = PlateRequest(
        prompt="soft spring light",
        width=1080,
        height=1080,
        palette=("#E9DCC4", "#F2C6B4", "#8FA98B", "#FFF8EE"),
        seed=0,
    )
    t = time.perf_counter()
    gen.generate(req)
    print(f"first plate (loads the model): {time.perf_counter() - t:.2f} s")
    times = []
    for seed in range(1, args.repeat + 1):
        t = time.perf_counter()
        gen.generate(PlateRequest(**{**req.__dict__, "seed": seed}))
        times.append(time.perf_counter() - t)
    print(
        f"{args.model} 1080x1080 plate: median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, n={len(times)})"
    )
    with tempfile.TemporaryDirectory() as d:
        cache = PlateCache(Path(d))
        key = req.key(gen.model_id)
        cache.put(key, gen.generate(req))
        hits = []
        for _ in range(args.repeat * 3):
            t = time.perf_counter()
            assert cache.get(key) is not None
            hits.append(time.perf_counter() - t)
        print(
            f"cache hit (read + decode 1080x1080 PNG): median "
            f"{statistics.median(hits) * 1000:.1f} ms (n={len(hits)})"
        )


if __name__ == "__main__":
    main()
