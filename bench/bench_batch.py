"""Where a batch's time and memory go: the spring-sale batch (17 locales x 3 sizes) cold,
warm and with nothing to do, one plate from the CLI, a naive loop, per-asset CPU by stage,
the cost of a region retry, and how per-asset cost and memory scale to thousands of assets.

Run: .venv/bin/python bench/bench_batch.py [--workers N] [--naive-limit 51]
         [--profile-assets 12] [--scale 2000]      (--scale 200 for a quick run, 0: none)

- cold: `copyplate run` as a user starts it (a fresh interpreter), empty output folder
  and empty plate cache; built-in plates, copy, every validator and the retry ladder.
- warm: a new output folder (the ledger skips nothing), the plate cache from the cold run.
- no-op: the warm command again: every job is done, nothing is made.
- plate CLI: `copyplate plate --size 1080x1080` alone, a fresh interpreter.
  Each of these four is the whole process's wall time, start-up and imports included.
- naive: one process; per asset, the plate is generated again, the copy rendered, and
  each copy region read by a new `tesseract` process (what a script around pytesseract
  does); no validators beyond that OCR, no cache. Timed on --naive-limit assets and
  scaled to 51 when smaller.
- stages: CPU seconds (this process) per asset for each stage, over --profile-assets
  assets run one after another: the plate (a cache hit; a plate made by the built-in
  model is shown shared by the locales of its size), the copy stage, each validator,
  PNG encoding and writing (image and manifest).
- retry: each region re-drawn, recomposited and re-checked alone, against the whole
  asset (copy, every validator, encode, write).
- memory: peak RSS of the driver and of the largest worker process of the cold, warm and
  scaling runs.
- scale: spring-sale with more locales (language variants that reuse their language's
  copy: en-GB, de-AT, es-MX ...) and more sizes (derived WxH sizes of the masters' areas),
  gradient plates, so
  N assets; per-asset median seconds and memory beside the same settings at 51 assets.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from copyplate.fileio import write_atomic
from copyplate.layouts.loader import LoadedCampaign, load_campaign
from copyplate.pipeline.asset import (
    RenderedAsset,
    encode_image,
    manifest,
    manifest_data,
    plate_request,
    render_copy,
)
from copyplate.pipeline.directives import Directive
from copyplate.pipeline.job import PlateSource, worker_threads
from copyplate.pipeline.plan import Job, plan_jobs
from copyplate.pipeline.produce import validate
from copyplate.pipeline.replan import put_layer, rerender
from copyplate.renderers.plates.base import plate_generator
from copyplate.renderers.plates.cache import PlateCache
from copyplate.validators.base import instances
from copyplate.validators.manifest import view_of

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "spring-sale"
CAMPAIGN = SAMPLE / "campaign.json"

# A batch in a fresh interpreter, as `copyplate run` makes it, reporting what the CLI does
# not print: each asset's seconds, the driver's and the largest worker's peak memory.
RUNNER = """
import json, resource, sys
from pathlib import Path
from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import run_batch
from copyplate.renderers.plates.cache import PlateCache
campaign, out, plates, workers, backend, sizes = sys.argv[1:7]
lc = load_campaign(Path(campaign), per_job_coverage=True)
_, res = run_batch(lc, Path(out), sizes=json.loads(sizes) or None,
                   plate_backend=backend or None, plate_cache=PlateCache(Path(plates)),
                   workers=int(workers))
made = [r.seconds for r in res if not r.reused]
print("RESULT " + json.dumps({
    "n": len(res), "passed": sum(r.passed for r in res), "made": len(made),
    "median_s": sorted(made)[len(made) // 2] if made else 0.0,
    "driver_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""

# Language variants that take their language's copy in the scaled campaign.
VARIANTS = {
    "en-US": ["en-GB", "en-AU", "en-CA", "en-IE", "en-NZ", "en-ZA", "en-SG"],
    "de-DE": ["de-AT", "de-CH", "de-LU"],
    "fr-FR": ["fr-BE", "fr-CA", "fr-CH", "fr-LU"],
    "es-ES": ["es-MX", "es-AR", "es-CO", "es-CL", "es-US"],
    "pt-BR": ["pt-PT"],
    "ar-SA": ["ar-AE", "ar-EG"],
    "ru-RU": ["ru-KZ"],
}


def timed(cmd: list[str]) -> tuple[float, dict[str, Any], str]:
    """Whole-process wall seconds of `cmd`, the RESULT it printed (if any), its stderr."""
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if r.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd[:4])} ... failed ({r.returncode}): {r.stderr[-2000:]}")
    return wall, json.loads(line.removeprefix("RESULT ")) if line else {}, r.stderr


def batch(
    campaign: Path,
    out: Path,
    plates: Path,
    workers: int,
    backend: str = "",
    sizes: list[str] | None = None,
) -> tuple[float, dict[str, Any]]:
    wall, res, _ = timed(
        [sys.executable, "-c", RUNNER, str(campaign), str(out), str(plates), str(workers),
         backend, json.dumps(sizes or [])]
    )  # fmt: skip
    return wall, res


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


def _cpu() -> float:
    return time.process_time()


def stages(lc: LoadedCampaign, plates: Path, limit: int, tmp: Path) -> dict[str, float]:
    """Median CPU seconds per asset for each stage, over `limit` assets of the campaign
    (spread over its sizes), with the plates in the cache."""
    gen = plate_generator(lc.campaign.plate.model)
    jobs = plan_jobs(lc)
    step = max(1, len(jobs) // max(1, limit))
    picked = jobs[::step][:limit]
    validators = instances()
    per: dict[str, list[float]] = defaultdict(list)
    for job in picked:
        # Each asset reads its plate from disk, as a worker's first asset of a size does.
        source = PlateSource(gen, PlateCache(plates))
        t = _cpu()
        plate, info = source.get(lc, job)
        per["plate (cache hit)"].append(_cpu() - t)
        t = _cpu()
        image, layers = render_copy(lc, job, plate)
        per["copy"].append(_cpu() - t)
        asset = RenderedAsset(job, image, layers, info, plate_image=plate)
        view = view_of(Path(f"<{job.name}>"), manifest(lc, asset, f"{job.name}.png"), image)
        for name, v in validators.items():
            t = _cpu()
            for region in view.regions:
                if region.kind in v.kinds and not region.skips(v.check):
                    v.validate(view, region)
            per[f"validator {name}"].append(_cpu() - t)
        t = _cpu()
        blob = encode_image(image, "png")
        per["encode (PNG)"].append(_cpu() - t)
        t = _cpu()
        write_atomic(tmp / "stage.png", blob)
        man = manifest_data(lc, asset, "stage.png")
        write_atomic(tmp / "stage.json", json.dumps(man, indent=2).encode())
        per["write"].append(_cpu() - t)
    out = {k: statistics.median(v) for k, v in per.items()}
    # A plate made by the model, shared by every locale of its size and variant.
    size = lc.campaign.sizes[0]
    gen.generate(plate_request(lc, size, "default"))  # the model loads once per process
    t = _cpu()
    gen.generate(plate_request(lc, size, "default"))
    out[f"plate (made, / {len(lc.campaign.locales)} locales)"] = (_cpu() - t) / len(
        lc.campaign.locales
    )
    return out


def retry_cost(lc: LoadedCampaign, plates: Path, tmp: Path) -> tuple[dict[str, float], float]:
    """CPU seconds of one region's retry (re-draw, recomposite, re-check that region), per
    region, and of a whole asset (copy, every validator, encode, write); de-DE, medians
    over the sizes."""
    source = PlateSource(plate_generator(lc.campaign.plate.model), PlateCache(plates))
    retry: dict[str, list[float]] = defaultdict(list)
    full = []
    for size in lc.campaign.sizes:
        job = Job(lc.campaign.id, "de-DE", size.name, "default")
        plate, info = source.get(lc, job)
        t = _cpu()
        image, layers = render_copy(lc, job, plate)
        asset = RenderedAsset(job, image, layers, info, plate_image=plate)
        asset.validation = validate(lc, asset)
        write_atomic(tmp / "full.png", encode_image(asset.image, "png"))
        full.append(_cpu() - t)
        for region in lc.campaign.regions:
            t = _cpu()
            put_layer(asset, plate, rerender(lc, job, region, plate, asset.layers, Directive()))
            asset.validation.update(validate(lc, asset, regions={region.id}))
            retry[region.id].append(_cpu() - t)
    return {k: statistics.median(v) for k, v in retry.items()}, statistics.median(full)


def scaled_campaign(tmp: Path, n: int) -> tuple[Path, list[str]]:
    """spring-sale with more locales and sizes: about `n` assets. Returns the campaign and
    the sizes to run (the campaign's and derived WxH sizes)."""
    folder = tmp / "scale-campaign"
    shutil.copytree(SAMPLE, folder)
    path = folder / "campaign.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    deck = folder / "copy" / "strings.csv"
    rows = list(csv.reader(io.StringIO(deck.read_text(encoding="utf-8"))))
    header = rows[0]
    for base, extra in VARIANTS.items():
        col = header.index(base)
        for tag in extra:
            header.append(tag)
            for row in rows[1:]:
                row.append(row[col])
            data["locales"][tag] = json.loads(json.dumps(data["locales"][base]))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    deck.write_text(buf.getvalue(), encoding="utf-8")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    locales = len(data["locales"])
    masters = [(s["width"], s["height"]) for s in data["sizes"]]
    sizes = [s["name"] for s in data["sizes"]]
    k = 1
    while len(sizes) * locales < n:
        w0, h0 = masters[len(sizes) % len(masters)]
        # Derived sizes of each master's area (so of its per-asset cost: what grows is the
        # batch, not the images), 8 px wider or narrower each time.
        w = w0 + 8 * (k // 2 + 1) * (1 if k % 2 else -1)
        name = f"{w}x{round(w0 * h0 / w)}"
        if name not in sizes:
            sizes.append(name)
        k += len(sizes) % len(masters) == 0
    return path, sizes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--naive-limit", type=int, default=51)
    ap.add_argument("--profile-assets", type=int, default=12)
    ap.add_argument("--scale", type=int, default=2000, help="assets of the scaling run (0: none)")
    args = ap.parse_args()
    w = args.workers
    cli = [sys.executable, "-m", "copyplate.cli"]
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"python {platform.python_version()}; {w} workers"
    )
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        plates = tmp / "plates"
        cold, c = batch(CAMPAIGN, tmp / "cold", plates, w)
        n = c["n"]
        print(
            f"cold:      {cold:6.1f} s  {n / cold:5.2f} assets/s  ({c['passed']}/{n} passed)  "
            f"peak: driver {c['driver_mib']:.0f} MiB, worker {c['worker_mib']:.0f} MiB"
        )
        warm, m = batch(CAMPAIGN, tmp / "warm", plates, w)
        print(
            f"warm:      {warm:6.1f} s  {n / warm:5.2f} assets/s  "
            f"peak: driver {m['driver_mib']:.0f} MiB, worker {m['worker_mib']:.0f} MiB  "
            f"(per-asset median {m['median_s']:.2f} s)"
        )
        run = [*cli, "run", str(CAMPAIGN), "--workers", str(w), "--plate-cache", str(plates)]
        noop, _, err = timed([*run, "--out", str(tmp / "warm")])
        reused = "all" if f"{n} asset(s) were already done" in err else "NOT all"
        print(f"no-op:     {noop:6.2f} s  ({reused} {n} assets reused)")
        plate, _, _ = timed(
            [*cli, "plate", "--prompt", "soft spring light", "--palette", "#C8462B,#F4F2EE",
             "--size", "1080x1080", "-o", str(tmp / "one.png")]
        )  # fmt: skip
        print(f"plate CLI: {plate:6.2f} s  (builtin, 1080x1080, fresh interpreter)")
        if args.naive_limit > 0:
            secs, done = naive(args.naive_limit, tmp)
            est = secs * n / done
            print(
                f"naive (1 process, {done} assets timed): {est:6.1f} s for {n}  "
                f"{n / est:5.2f} assets/s;  speed-up: cold {est / cold:.1f}x, "
                f"warm {est / warm:.1f}x"
            )
        # The stages and the retry are timed in this process, set up as a pool worker is.
        worker_threads()
        lc = load_campaign(CAMPAIGN, per_job_coverage=True)
        if args.profile_assets > 0:
            split = stages(lc, plates, args.profile_assets, tmp)
            total = sum(v for k, v in split.items() if "made" not in k)
            print(f"CPU per asset by stage (median of {args.profile_assets} assets, 1 process):")
            for k, v in sorted(split.items(), key=lambda kv: -kv[1]):
                share = f"{100 * v / total:4.0f}%" if "made" not in k else "   -"
                print(f"  {k:34s} {1000 * v:7.1f} ms  {share}")
            print(f"  {'total (plate made excluded)':34s} {1000 * total:7.1f} ms")
        retries, full = retry_cost(lc, plates, tmp)
        typical = statistics.median(retries.values())
        each = ", ".join(f"{k} {100 * v / full:.0f}%" for k, v in retries.items())
        print(
            f"region retry (de-DE) vs the whole asset ({1000 * full:.0f} ms CPU): median region"
            f" {1000 * typical:.0f} ms, {100 * typical / full:.0f}%; {each}"
        )
        if args.scale > 0:
            path, sizes = scaled_campaign(tmp, args.scale)
            small_wall, s = batch(CAMPAIGN, tmp / "s51", tmp / "gplates", w, "gradient")
            big_wall, b = batch(path, tmp / "sN", tmp / "gplates", w, "gradient", sizes)
            print(
                f"scale (gradient plates, {w} workers): {s['n']} assets: median "
                f"{s['median_s']:.2f} s/asset, {small_wall:.0f} s, worker {s['worker_mib']:.0f}"
                f" MiB, driver {s['driver_mib']:.0f} MiB | {b['n']} assets: median "
                f"{b['median_s']:.2f} s/asset, {big_wall:.0f} s, worker {b['worker_mib']:.0f}"
                f" MiB, driver {b['driver_mib']:.0f} MiB | per-asset median x"
                f"{b['median_s'] / max(s['median_s'], 1e-9):.2f}, wall per asset x"
                f"{(big_wall / b['n']) / (small_wall / s['n']):.2f}"
            )
            if not math.isclose(b["passed"], b["n"]):
                print(f"  ({b['n'] - b['passed']} of the {b['n']} scaled assets failed)")


if __name__ == "__main__":
    main()
