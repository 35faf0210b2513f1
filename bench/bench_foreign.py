"""`copyplate verify` on the FOREIGN corpus: copy drawn by other tools in fonts the manifests
do not name (tests/corpus/foreign.py: Pillow Raqm and BASIC, chromium, Pango, an
image-model-like pass, JPEG delivery copies).

Run:  .venv/bin/python bench/bench_foreign.py [--out DIR] [--workers 2] [--failures N]
          [--json FILE] [--diff OLD.json] [--where KEY=VALUE ...]

Generates the corpus unless --out already holds a labels.json, verifies every manifest
with copyplate.pipeline.verify.verify_manifest in a pool of worker processes, and prints:
the false-positive rate on clean assets (overall, per renderer, per locale, per post
pass, holder and stale hints), which checks fail the clean assets, recall per defect class
and per locale, median and p90 milliseconds per text region (each worker loads the
tesseract models of the corpus's locales before its first manifest), and the first N false
positives and misses. --json writes one record per manifest (verdict, failing checks,
readings, ms) so two runs can be compared; --diff OLD.json prints what changed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COPY_KINDS = ("text", "price", "cta")


def _verify(path: str) -> tuple[str, dict[str, Any], float]:
    from copyplate.pipeline.verify import verify_manifest

    t = time.perf_counter()
    try:
        res = verify_manifest(Path(path), path)
    except Exception as e:  # a crash is a result here, not the end of the bench
        res = {"manifest": path, "crash": f"{type(e).__name__}: {e}"}
    return path, res, time.perf_counter() - t


def _warm(locales: list[str]) -> None:
    """A worker's fixed cost, paid before its first manifest (as a batch's worker pays it
    once): the tesseract models of every locale, so a region's time is its own."""
    from copyplate.validators.ocr import reader

    for loc in locales:
        reader().warm(loc)


def failing(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for r in res.get("regions", []) for f in r["findings"] if not f["passed"]]


def record(lab: dict[str, Any], res: dict[str, Any], dt: float) -> dict[str, Any]:
    fails = failing(res)
    rec = {
        k: lab.get(k)
        for k in (
            "manifest", "locale", "defect", "renderer", "post", "font", "kind", "key",
            "holder", "plate", "hints", "lines", "min_pad", "detail", "expected", "drawn",
        )
    }  # fmt: skip
    rec["ms"] = round(dt * 1000, 1)
    if "error" in res or "crash" in res:
        rec["status"] = "error" if "error" in res else "crash"
        rec["message"] = res.get("error") or res.get("crash")
        rec["failed"] = True
        rec["failing"] = []
        return rec
    rec["status"] = "passed" if res["passed"] else "failed"
    rec["failed"] = not res["passed"]
    rec["failing"] = [
        {
            "check": f["check"],
            "message": str(f.get("message", ""))[:200],
            "measured": f.get("measured"),
        }
        for f in fails
    ]
    return rec


def rate(flags: list[bool]) -> str:
    if not flags:
        return "-"
    return f"{sum(flags)}/{len(flags)} ({100 * sum(flags) / len(flags):.1f}%)"


def table(title: str, groups: dict[str, list[bool]], col: str) -> None:
    print(f"\n{title:24s} {col:>20s}")
    for k in sorted(groups, key=str):
        print(f"{k!s:24s} {rate(groups[k]):>20s}")


def group(recs: Iterable[dict[str, Any]], key: str) -> dict[str, list[bool]]:
    out: dict[str, list[bool]] = defaultdict(list)
    for r in recs:
        out[str(r.get(key))].append(bool(r["failed"]))
    return out


def short(f: dict[str, Any]) -> str:
    m = f.get("measured")
    read = f" read {m!r}"[:70] if isinstance(m, str) and f["check"].startswith("ocr") else ""
    return f"{f['check']}{read}: {f['message'][:110]}"


def diff(old_path: Path, recs: list[dict[str, Any]]) -> None:
    old = {r["manifest"]: r for r in json.loads(old_path.read_text(encoding="utf-8"))}
    flips: Counter[str] = Counter()
    lines = []
    for r in recs:
        o = old.get(r["manifest"])
        if o is None or o["failed"] == r["failed"]:
            continue
        clean = r["defect"] == "clean"
        what = (
            ("fixed FP" if not r["failed"] else "NEW FP")
            if clean
            else ("newly caught" if r["failed"] else "NEWLY MISSED")
        )
        flips[what] += 1
        checks = ", ".join(sorted({f["check"] for f in (r["failing"] or o["failing"])}))
        lines.append(f"{what:13s} {r['manifest']} ({r['defect']}) {checks}")
    print(f"\nagainst {old_path}: " + (", ".join(f"{k} {v}" for k, v in flips.items()) or "same"))
    for line in lines:
        print("  " + line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="corpus folder (generated when it has no labels.json)")
    ap.add_argument("--locales", nargs="*", help="locales to generate (default: all 17)")
    ap.add_argument("--per-locale", type=int, default=None, help="clean assets per locale")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--failures", type=int, default=20, help="list this many FPs and misses")
    ap.add_argument("--json", type=Path, help="write one record per manifest here")
    ap.add_argument("--diff", type=Path, help="compare with a --json file of an earlier run")
    ap.add_argument(
        "--where",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="only assets whose label matches, e.g. renderer=chromium defect=clean",
    )
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="copyplate-foreign-"))
    if not (out / "labels.json").exists():
        from tests.corpus.foreign import generate

        t = time.perf_counter()
        generate(out, args.locales, args.per_locale, args.seed)
        print(f"generated in {time.perf_counter() - t:.0f} s")
    labels = json.loads((out / "labels.json").read_text(encoding="utf-8"))
    for cond in args.where:
        k, _, v = cond.partition("=")
        labels = [lab for lab in labels if str(lab.get(k)) == v]
    paths = [str(out / lab["manifest"]) for lab in labels]
    t0 = time.perf_counter()
    locales = sorted({lab["locale"] for lab in labels})
    with ProcessPoolExecutor(args.workers, initializer=_warm, initargs=(locales,)) as pool:
        results = {p: (r, dt) for p, r, dt in pool.map(_verify, paths, chunksize=4)}
    wall = time.perf_counter() - t0
    recs = [record(lab, *results[p]) for lab, p in zip(labels, paths, strict=True)]

    clean = [r for r in recs if r["defect"] == "clean"]
    bad = [r for r in recs if r["defect"] != "clean"]
    errors = [r for r in recs if r["status"] in ("error", "crash")]
    print(f"corpus: {out} ({len(recs)} assets: {len(clean)} clean, {len(bad)} defective)")
    fp = [r["failed"] for r in clean]
    caught = [r["failed"] for r in bad]
    print(f"\nFALSE-POSITIVE RATE (clean assets failed): {rate(fp)}")
    print(f"RECALL (defective assets failed):          {rate(caught)}")
    print(f"unusable manifests: {sum(r['status'] == 'error' for r in recs)}", end="")
    print(f"   verify crashed: {sum(r['status'] == 'crash' for r in recs)}")
    for key in ("renderer", "locale", "post", "holder", "kind", "lines", "hints"):
        table(f"clean by {key}", group(clean, key), "false positives")
    pads = defaultdict(list)
    for r in clean:
        if r["min_pad"] is not None:
            m = r["min_pad"]
            pads[
                "0 px" if m == 0 else "1-2 px" if m <= 2 else "3-5 px" if m <= 5 else "6+ px"
            ].append(r["failed"])
    table("clean, no holder: min pad", pads, "false positives")

    checks: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    for r in clean:
        if r["failed"]:
            names = sorted({f["check"] for f in r["failing"]} or {r["status"]})
            checks.update(names)
            if len(names) == 1:
                alone[names[0]] += 1
    print(f"\n{'check failing clean assets':32s} {'assets':>7s} {'only this':>10s}")
    for name, n in checks.most_common():
        print(f"{name:32s} {n:7d} {alone[name]:10d}")

    # How far OCR was from the copy on the clean assets it failed.
    how: Counter[str] = Counter()
    for r in clean:
        for f in r["failing"]:
            if f["check"] == "ocr.text":
                read = "".join(str(f.get("measured") or "").split())
                want = "".join(str(r["expected"]).split())
                sim = difflib.SequenceMatcher(None, read, want).ratio()
                how["read nothing" if not read else "close (>= 0.8)" if sim >= 0.8 else "far"] += 1
    if how:
        print("ocr.text on clean assets: " + ", ".join(f"{k} {v}" for k, v in how.items()))

    table("recall by defect", group(bad, "defect"), "caught")
    table("recall by locale", group(bad, "locale"), "caught")
    table("recall by renderer", group(bad, "renderer"), "caught")

    ms = sorted(r["ms"] for r in recs if r["kind"] in COPY_KINDS and r["status"] != "error")
    if ms:
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(
            f"\nms per text region: median {statistics.median(ms):.0f}, p90 {p90:.0f}"
            f" ({args.workers} workers, each first loading the tesseract models of"
            f" {len(locales)} locales; wall {wall:.0f} s for {len(recs)} assets)"
        )
        # A gate mostly sees good copy; a failing region is read every way there is.
        for name, part in (("clean", clean), ("defective", bad)):
            cost = [r["ms"] for r in part if r["kind"] in COPY_KINDS and r["status"] != "error"]
            if cost:
                print(f"  {name} assets: median {statistics.median(cost):.0f} ms")
    if args.failures:
        print(f"\nfirst {args.failures} false positives:")
        for r in [r for r in clean if r["failed"]][: args.failures]:
            why = "; ".join(short(f) for f in r["failing"][:2]) or r.get("message", "")
            print(f"  FP {r['manifest']} [{r['renderer']}, {r['font']}, {r['holder']}]: {why}")
        print(f"\nfirst {args.failures} misses:")
        for r in [r for r in bad if not r["failed"]][: args.failures]:
            print(f"  MISSED {r['defect']} {r['manifest']} [{r['renderer']}] {r['detail']}")
        for r in errors[: args.failures]:
            print(f"  {r['status'].upper()} {r['manifest']}: {r['message']}")
    if args.json:
        args.json.write_text(json.dumps(recs, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nper-manifest results: {args.json}")
    if args.diff:
        diff(args.diff, recs)


if __name__ == "__main__":
    main()
