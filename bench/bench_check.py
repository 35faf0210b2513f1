"""How long `copyplate check` takes on the sample campaigns (cold process and warm).

Run: .venv/bin/python bench/bench_check.py [--repeat N]
Prints the median wall time per campaign. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from copyplate.layouts.loader import check_campaign

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    for path in sorted((ROOT / "samples").glob("*/campaign.json")):
        cold = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "copyplate.cli", "check", str(path)],
                check=True,
                capture_output=True,
            )
            cold.append(time.perf_counter() - t)
        warm = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            check_campaign(path)
            warm.append(time.perf_counter() - t)
        name = path.parent.name
        print(
            f"{name:16s} check, new process: median {statistics.median(cold) * 1000:7.1f} ms"
            f"   in process (fonts cached): median {statistics.median(warm) * 1000:7.1f} ms"
        )


if __name__ == "__main__":
    main()
