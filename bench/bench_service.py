"""Request latency of `copyplate service`, and one run submitted over HTTP against the same
run from the CLI (fresh data folder and plate cache for each). Prints a Markdown table.

    .venv/bin/python bench/bench_service.py [--locales de-DE,fr-FR,ja-JP] [--sizes square]
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copyplate.client import Client  # noqa: E402
from tests.service.helpers import Service, create_token, spring_sale_zip  # noqa: E402


def latency(svc: Service, token: str, path: str, n: int) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", svc.port)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, resp.status
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--locales", default="de-DE,fr-FR,ja-JP")
    ap.add_argument("--sizes", default="square")
    ap.add_argument("-n", type=int, default=300)
    args = ap.parse_args()
    locales, sizes = args.locales.split(","), args.sizes.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    try:
        shutil.copytree(ROOT / "samples" / "spring-sale", tmp / "c")
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "copyplate.cli", "run", str(tmp / "c" / "campaign.json"),
             "--out", str(tmp / "cli"), "--plate-cache", str(tmp / "plates"),
             "--locales", args.locales, "--sizes", args.sizes],
            check=False, capture_output=True,
        )  # fmt: skip
        cli = time.perf_counter() - t

        svc = Service(tmp / "data").start()
        try:
            token = create_token(svc.data, "read,submit,review")
            client = Client(svc.url, token)
            t = time.perf_counter()
            camp = client.submit(spring_sale_zip(tmp / "s.zip"))
            run = client.start_run(camp["id"], locales, sizes)
            final = client.wait(run["id"])
            http_run = time.perf_counter() - t
            assert final["status"] == "done", final
            health = latency(svc, token, "/health", args.n)
            status = latency(svc, token, f"/runs/{run['id']}", args.n)
        finally:
            svc.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(locales) * len(sizes)
    print(f"| measure ({n} assets: {args.locales} x {args.sizes}) | value |")
    print("| --- | --- |")
    print(f"| GET /health, median / p95 | {health[0]:.1f} / {health[1]:.1f} ms |")
    print(f"| GET /runs/ID (with {n} asset verdicts), median / p95 | "
          f"{status[0]:.1f} / {status[1]:.1f} ms |")  # fmt: skip
    print(f"| run from the CLI (`copyplate run`, process start included) | {cli:.1f} s |")
    print(f"| same run over HTTP (upload, queue, run process, SSE to the end) | {http_run:.1f} s |")


if __name__ == "__main__":
    main()
