"""Layout-aware plates: how many copy regions need a contrast aid or a plate repair, with
and without `plate.calm_under_copy`, over every sample campaign (every locale and size).

Run: .venv/bin/python bench/bench_layout_plates.py [--calm 0.8] [--plate-backend builtin]
A region "needs an aid" when its drawn layer carries a contrast aid other than none (an
`auto` region chose swap, scrim or halo; a forced aid is not counted), or the retry ladder
took a contrast rung for it; a "repair" is an attempt that repainted the plate under it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import run_batch

ROOT = Path(__file__).resolve().parents[1]
TEXT_KINDS = ("text", "price", "cta")


def count(out: Path, auto: set[str]) -> dict[str, int]:
    n = aids = repairs = failed = 0
    for path in sorted(out.rglob("*.json")):
        if path.name in ("report.json",) or ".plates" in path.parts:
            continue
        m: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if "regions" not in m:
            continue
        failed += not m.get("passed", True)
        for r in m["regions"]:
            if r["kind"] not in TEXT_KINDS:
                continue
            n += 1
            attempts = r.get("attempts", [])
            contrast_rung = any(
                any(c.startswith("contrast.") for c in a["because"]) for a in attempts
            )
            aided = r["id"] in auto and r.get("contrast_aid", "none") != "none"
            aids += aided or contrast_rung
            repairs += any(a["changed"].get("inpaint_plate") for a in attempts)
    return {"regions": n, "aids": aids, "repairs": repairs, "failed_assets": failed}


def run(sample: str, calm: float, backend: str, tmp: Path) -> dict[str, int]:
    folder = tmp / f"{sample}-{calm}"
    shutil.copytree(ROOT / "samples" / sample, folder)
    path = folder / "campaign.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["plate"]["calm_under_copy"] = calm
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    lc = load_campaign(path)
    auto = {r.id for r in lc.campaign.regions if getattr(r, "contrast_aid", None) == "auto"}
    out = tmp / f"out-{sample}-{calm}"
    run_batch(lc, out, plate_backend=backend)
    return count(out, auto)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calm", type=float, default=0.8)
    ap.add_argument("--plate-backend", default="builtin")
    ap.add_argument("--samples", default="spring-sale,product-launch,kettle-launch")
    args = ap.parse_args()
    totals: dict[float, dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as t:
        for sample in args.samples.split(","):
            for calm in (0.0, args.calm):
                got = run(sample, calm, args.plate_backend, Path(t))
                print(f"{sample:15s} calm={calm:<4} {got}", flush=True)
                tot = totals.setdefault(calm, {})
                for k, v in got.items():
                    tot[k] = tot.get(k, 0) + v
    for calm, tot in totals.items():
        share = (tot["aids"] + tot["repairs"]) / max(1, tot["regions"])
        print(
            f"all samples calm={calm}: {tot['aids']} aids + {tot['repairs']} plate repairs "
            f"over {tot['regions']} copy regions ({share:.1%}); "
            f"{tot['failed_assets']} assets failed"
        )


if __name__ == "__main__":
    main()
