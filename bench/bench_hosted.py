"""What the gpt-image path costs copyplate itself, against a local fake Images API.

Run: .venv/bin/python bench/bench_hosted.py [--locales en-US,de-DE,fr-FR,es-ES]
Makes spring-sale assets (gradient plates, all sizes) twice: all copy typeset, then every
text/price/CTA region through `gpt-image` against tests/fake_images_api.py (which answers
by typesetting the quoted copy: a perfect model). Prints the median asset time of each,
the median HTTP round trip per call, the fake server's own median answer time, and the
difference: copyplate's client-side work per call (letterboxing, PNG encoding of the
composite and mask, multipart upload, decoding, mapping back). A real service adds its own
generation time (tens of seconds per image at high quality) on top; that is not measured
here (no network).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copyplate.layouts.loader import load_campaign  # noqa: E402
from copyplate.pipeline.asset import plate_request  # noqa: E402
from copyplate.pipeline.plan import plan_jobs  # noqa: E402
from copyplate.pipeline.produce import produce  # noqa: E402
from copyplate.renderers.openai_images import client_for  # noqa: E402
from copyplate.renderers.plates.base import plate_generator  # noqa: E402
from tests.fake_images_api import KEY, FakeImagesAPI  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--locales", default="en-US,de-DE,fr-FR,es-ES")
    args = ap.parse_args()
    api = FakeImagesAPI().start()
    os.environ["OPENAI_API_KEY"] = KEY
    os.environ["OPENAI_BASE_URL"] = api.base_url
    lc = load_campaign(ROOT / "samples" / "spring-sale" / "campaign.json")
    jobs = plan_jobs(lc, args.locales.split(","))
    gen = plate_generator("gradient")
    plates = {s.name: gen.generate(plate_request(lc, s, "default")) for s in lc.campaign.sizes}
    info = {"model": gen.model_id}
    produce(lc, jobs[0], plates[jobs[0].size], info)  # warm fonts, tesseract, the SDK
    produce(lc, jobs[0], plates[jobs[0].size], info, copy_backend="gpt-image")
    api.served_s.clear()
    times: dict[str, list[float]] = {"typeset": [], "gpt-image": []}
    own: list[float] = []  # per hosted asset: wall time less the time spent in calls
    calls: list[float] = []
    generated = fallbacks = 0
    for backend in times:
        for job in jobs:
            t = time.perf_counter()
            asset = produce(
                lc,
                job,
                plates[job.size],
                info,
                copy_backend=None if backend == "typeset" else backend,
            )
            dt = time.perf_counter() - t
            times[backend].append(dt)
            waited = 0.0
            for layer in asset.layers:
                calls += [c["seconds"] for c in layer.meta.get("calls", [])]
                waited += sum(c["seconds"] for c in layer.meta.get("calls", []))
                generated += bool(layer.meta.get("generated"))
                fallbacks += bool(layer.meta.get("fallback"))
            if backend != "typeset":
                own.append(dt - waited)
    api.stop()
    rt, served = statistics.median(calls), statistics.median(api.served_s)
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, python {platform.python_version()}"
    )
    print(f"spring-sale: {len(jobs)} assets ({args.locales}; all sizes)")
    for backend, ts in times.items():
        print(f"  {backend:9s} median {statistics.median(ts) * 1000:.0f} ms per asset")
    print(
        f"gpt-image: {len(calls)} calls, {generated} regions shipped generated, "
        f"{fallbacks} fell back"
    )
    print(
        f"  HTTP round trip median {rt * 1000:.0f} ms; fake server answering {served * 1000:.0f} ms"
    )
    print(f"  copyplate's client-side work per call: median ~{(rt - served) * 1000:.0f} ms")
    print(
        f"  gpt-image asset less its time in calls: median {statistics.median(own) * 1000:.0f} ms"
        " (validation of every attempt, fallbacks, compositing)"
    )
    gate(lc, jobs, plates, info)


# Faces no manifest names, drawn tight to the mask: a model's lettering is in some face of
# its own, set as large as the region allows.
FOREIGN = [
    "Liberation Serif:bold",
    "Roboto Slab:bold",
    "Open Sans:bold",
    "Lato:heavy",
    "FreeSans:bold",
    "Carlito:bold",
]


def gate(lc: Any, jobs: list[Any], plates: dict[str, Any], info: dict[str, Any]) -> None:
    """How the gate treats a model that draws in faces the manifest does not name: the share
    of correctly drawn regions that ship from gpt-image, and of typos that ship (must be 0)."""
    fonts = [
        subprocess.run(["fc-match", "-f", "%{file}", f], capture_output=True, text=True).stdout
        for f in FOREIGN
    ]
    for kind in ("draw", "typo"):
        api = FakeImagesAPI(default=kind, fonts=fonts, margin=4).start()
        os.environ["OPENAI_BASE_URL"] = api.base_url
        client_for.cache_clear()  # clients keep the base URL they were made with
        drawn = shipped = 0
        kinds = {r.id: r.kind for r in lc.campaign.regions}
        for job in jobs:
            asset = produce(lc, job, plates[job.size], info, copy_backend="gpt-image")
            for layer in asset.layers:
                if kinds[layer.region] not in ("text", "price", "cta"):
                    continue  # not a region the model draws (QR, EAN, images)
                drawn += 1
                # Shipped from the model: generated, every check passed, no fallback.
                shipped += bool(layer.meta.get("generated")) and not layer.meta.get("fallback")
        api.stop()
        what = "correctly drawn" if kind == "draw" else "drawn with a typo"
        print(
            f"gpt-image in faces the manifest does not name ({len(fonts)} faces, 4 px margin): "
            f"{what}: {shipped}/{drawn} regions ship ({shipped / max(1, drawn):.0%})"
        )


if __name__ == "__main__":
    main()
