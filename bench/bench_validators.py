"""Recall and false positives of the validators on the labelled corpus, and ms per region.

Run:  .venv/bin/python bench/bench_validators.py [--out DIR] [--locales ...] [--workers 2]

Generates the corpus (tests/corpus/generate.py: Pillow drawing, never copyplate's renderer)
unless --out already holds one, verifies every manifest as `copyplate verify` does, and
prints recall per defect type and per locale, the false-positive rate on clean assets, and
median / p90 milliseconds per text region (one process per worker, OCR engines reused).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _verify(path: str) -> tuple[str, dict[str, Any], float]:
    from copyplate.pipeline.verify import verify_manifest

    t = time.perf_counter()
    res = verify_manifest(Path(path), path)
    return path, res, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="corpus folder (generated when it has no labels.json)")
    ap.add_argument("--locales", nargs="*")
    ap.add_argument("--fonts", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--failures", type=int, default=15, help="list this many misses")
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="copyplate-corpus-"))
    if not (out / "labels.json").exists():
        from tests.corpus.generate import generate

        generate(out, args.locales, args.fonts)
    labels = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    paths = [str(out / x["manifest"]) for x in labels]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = {p: (r, dt) for p, r, dt in pool.map(_verify, paths, chunksize=4)}
    wall = time.perf_counter() - t0

    by_defect: dict[str, list[bool]] = defaultdict(list)
    by_locale: dict[str, list[bool]] = defaultdict(list)
    clean_by_locale: dict[str, list[bool]] = defaultdict(list)
    text_ms: list[float] = []
    misses: list[str] = []
    errors = 0
    for lab, path in zip(labels, paths, strict=True):
        res, dt = results[path]
        if "error" in res:
            errors += 1
            misses.append(f"ERROR {lab['manifest']}: {res['error']}")
            continue
        failed = not res["passed"]
        if lab["kind"] in ("text", "price", "cta"):
            text_ms.append(dt * 1000)
        if lab["defect"] == "clean":
            clean_by_locale[lab["locale"]].append(failed)
            if failed:
                why = [
                    f"{f['check']}: {f['message'][:90]}"
                    for r in res["regions"]
                    for f in r["findings"]
                    if not f["passed"]
                ]
                misses.append(f"FALSE POSITIVE {lab['manifest']}: {why[:2]}")
        else:
            by_defect[lab["defect"]].append(failed)
            by_locale[lab["locale"]].append(failed)
            if not failed:
                misses.append(f"MISSED {lab['defect']} {lab['manifest']}")

    caught = [x for v in by_defect.values() for x in v]
    fps = [x for v in clean_by_locale.values() for x in v]
    print(f"corpus: {out} ({len(labels)} assets, {len(fps)} clean, {len(caught)} defective)")
    print(f"\n{'defect':22s} {'caught':>8s} {'recall':>8s}")
    for d, v in sorted(by_defect.items()):
        print(f"{d:22s} {sum(v):4d}/{len(v):<4d} {100 * sum(v) / len(v):7.1f}%")
    print(f"{'ALL':22s} {sum(caught):4d}/{len(caught):<4d} {100 * sum(caught) / len(caught):7.1f}%")
    print(f"\n{'locale':8s} {'recall':>8s} {'false positives':>18s}")
    for loc in sorted(set(by_locale) | set(clean_by_locale)):
        r = by_locale.get(loc, [])
        c = clean_by_locale.get(loc, [])
        rec = f"{100 * sum(r) / len(r):7.1f}%" if r else "      -"
        fp = f"{sum(c)}/{len(c)} ({100 * sum(c) / len(c):.1f}%)" if c else "-"
        print(f"{loc:8s} {rec:>8s} {fp:>18s}")
    print(
        f"\nfalse-positive rate: {sum(fps)}/{len(fps)} = {100 * sum(fps) / max(1, len(fps)):.2f}%"
        f"   unusable manifests: {errors}"
    )
    if text_ms:
        text_ms.sort()
        print(
            f"ms per text region: median {statistics.median(text_ms):.0f}, "
            f"p90 {text_ms[int(0.9 * (len(text_ms) - 1))]:.0f} "
            f"({args.workers} workers, wall {wall:.0f} s for {len(labels)} assets)"
        )
    for line in misses[: args.failures]:
        print(line)


if __name__ == "__main__":
    main()
