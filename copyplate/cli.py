"""The `copyplate` command. The only place where errors become messages and exit codes.

Exit codes: 0 ok, 1 an asset failed validation, 2 invalid input, 3 missing capability,
4 render failure, 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from copyplate import __version__
from copyplate.errors import CopyplateError, ExitCode, InputError, LayoutError, Problem

Handler = Callable[[argparse.Namespace], int]


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    """One line on stderr, scrubbed of the API key: messages can quote what a hosted
    server said, and a server may echo the key anywhere."""
    from copyplate.renderers.openai_images import redact

    sys.stderr.write(redact(text) + "\n")


def _display(path: Path) -> str:
    """A path as the user would recognise it: relative to the cwd when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- check ---------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from copyplate.layouts.loader import check_campaign
    from copyplate.renderers.copy.base import backend_problem

    results: list[dict[str, object]] = []
    n_bad = 0
    for name in args.files:
        path = Path(name)
        loaded, problems = check_campaign(path, name, backend_problem=backend_problem)
        errors = [p for p in problems if p.severity == "error"]
        shown = problems if args.warnings else errors
        n_bad += bool(errors)
        if args.json:
            results.append(
                {
                    "file": name,
                    "valid": not errors,
                    "problems": [p.as_dict() for p in shown],
                }
            )
            continue
        for p in shown:
            _out(p.format())
        if not errors and loaded is not None:
            c = loaded.campaign
            jobs = len(c.locales) * len(c.sizes) * len(c.variants)
            _err(
                f"{name}: ok ({len(c.regions)} regions, {len(c.locales)} locales, "
                f"{len(c.sizes)} sizes, {jobs} assets)"
            )
    if args.json:
        _out(json.dumps(results, indent=2, ensure_ascii=False))
    elif n_bad:
        _err(f"{n_bad} of {len(args.files)} file(s) invalid")
    return ExitCode.INVALID_INPUT if n_bad else ExitCode.OK


# --- verify --------------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    from copyplate.pipeline.verify import exit_code, verify_manifest
    from copyplate.validators.base import FAMILIES, instances

    roots = [Path(r) for r in args.allow_root or []]
    only = _split(args.checks, "--checks")
    if only is not None:
        # A typo in a CI gate must not run zero checks and pass everything.
        known = sorted(set(FAMILIES) | set(instances()))
        unknown = [c for c in only if c not in known]
        if unknown:
            msg = f"--checks: unknown check {unknown[0]!r}; expected some of {', '.join(known)}"
            raise InputError(msg)
    results = [verify_manifest(Path(m), m, roots, only) for m in args.manifests]
    if args.json:
        _out(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        return exit_code(results)
    for res in results:
        if "error" in res:
            _out(f"ERROR {res['manifest']}: {res['error']}")
            continue
        _out(f"{'PASS' if res['passed'] else 'FAIL'}  {res['manifest']}")
        for region in res["regions"]:
            for f in region["findings"]:
                if not f["passed"] or args.verbose:
                    mark = "ok  " if f["passed"] else "FAIL"
                    _out(f"  {mark} {region['id']:<12} {f['check']:<20} {f['message']}")
    n_pass = sum(1 for r in results if r.get("passed"))
    _err(f"{n_pass} of {len(results)} passed")
    return exit_code(results)


# --- schema --------------------------------------------------------------------------------


def cmd_schema(args: argparse.Namespace) -> int:
    from copyplate.layouts import schema as campaign
    from copyplate.validators import contract as manifest

    published = [
        (campaign.SCHEMA_PATH, campaign.schema_text()),
        (manifest.SCHEMA_PATH, manifest.schema_text()),
    ]
    if args.write:
        for path, text in published:
            path.write_text(text, encoding="utf-8")
            _err(f"wrote {path}")
    elif args.check:
        for path, text in published:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise InputError(f"{path} is out of date: run `copyplate schema --write`")
            _err(f"{path} is up to date")
    else:
        sys.stdout.write(published[1 if args.manifest else 0][1])
    return ExitCode.OK


# --- doctor --------------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    from copyplate.capabilities import gather

    caps = gather()
    if args.json:
        _out(json.dumps([c.as_dict() for c in caps], indent=2))
    else:
        width = max(len(c.name) for c in caps)
        for c in caps:
            mark = "ok  " if c.ok else ("MISS" if c.required else "--  ")
            _out(f"{mark} {c.name:<{width}}  {c.detail}  [{c.needed_for}]")
        missing = [c for c in caps if not c.ok and c.fix]
        if missing:
            _out("")
            _out("to fix:")
            for c in missing:
                _out(f"  {c.name}: {c.fix}")
    bad = [c for c in caps if c.required and not c.ok]
    return ExitCode.MISSING_CAPABILITY if bad else ExitCode.OK


# --- plan / demo ---------------------------------------------------------------------------


def _split(values: Sequence[str] | None, option: str) -> list[str] | None:
    """A repeatable comma-separated option as a list; None when not given. Given but empty
    (`--locales ,`) is an error: silently meaning "all" would run far more than asked."""
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    if not out:
        given = ",".join(values)
        raise InputError(f"{option}: {given!r} names nothing; expected names, comma-separated")
    return out


def cmd_plan(args: argparse.Namespace) -> int:
    from copyplate.layouts.derive import derive_sizes, nearest_master
    from copyplate.layouts.geometry import resolve_box
    from copyplate.layouts.loader import load_campaign
    from copyplate.layouts.models import CtaRegion, PriceRegion, TextRegion
    from copyplate.layouts.typescale import font_limits
    from copyplate.pipeline.plan import plan_jobs

    lc = load_campaign(Path(args.campaign), args.campaign)
    sizes = _split(args.sizes, "--sizes")
    base = lc.campaign.sizes
    lc, derived = derive_sizes(lc, sizes)
    jobs = plan_jobs(
        lc, _split(args.locales, "--locales"), sizes, _split(args.variants, "--variants")
    )
    if args.json:
        _out(json.dumps([j.as_dict() for j in jobs], indent=2))
    else:
        for j in jobs:
            _out(j.name)
        # A derived size's layout: its master, type scale, stacks and each region's box.
        for name in derived:
            size = lc.size(name)
            master = nearest_master(base, size.width, size.height)
            scale = f", type x{size.type_scale:g}" if size.type_scale < 1 else ""
            _err(f"{name}: {size.width}x{size.height}, derived from {master.name!r}{scale}")
            for st in lc.campaign.stacks:
                rect = resolve_box(st.boxes.get(name, st.box), size)
                direction = st.directions.get(name, st.direction)
                _err(f"  stack {st.id}: {direction} in box {rect.as_list()}")
            for r in lc.campaign.regions:
                owner = lc.stack_of(r.id)
                # A stacked region's box depends on each locale's copy: the run places it.
                where = f"flows in stack {owner.id}" if owner else "box"
                box = "" if owner else f" {lc.region_rect(r, size).as_list()}"
                limits = ""
                if isinstance(r, TextRegion | PriceRegion | CtaRegion):
                    lo, hi = font_limits(r, size)
                    limits = f", {lo}..{hi} px"
                _err(f"  {r.id}: {where}{box}{limits}")
        if args.harmony:
            _print_harmony(lc, jobs)
        _err(f"{len(jobs)} jobs")
    return ExitCode.OK


def _print_harmony(lc: Any, jobs: list[Any]) -> None:
    """The harmony bands the run would plan, and the px each locale is set at in them
    (renders each harmonised region once per locale and size: opt-in)."""
    from copyplate.pipeline.harmony import plan_harmony

    plan = plan_harmony(lc, sorted({j.size for j in jobs}), sorted({j.variant for j in jobs}))
    if not plan.bands and not plan.notes:
        _err("harmony: no region sets `harmony`")
        return
    for (size, variant, region), (low, top) in plan.bands:
        per = [f"{k[3]} {px}" for k, px in plan.set_px if k[:3] == (size, variant, region)]
        v = "" if variant == "default" else f"/{variant}"
        _err(f"harmony {size}{v} {region}: {low}..{top} px: {', '.join(per)}")
    for note in plan.notes:
        _err(f"harmony {note.size} {note.region}: {note.locale} left out: {note.reason}")


def _summary(report: Path, results: list[Any]) -> int:
    failed = [r for r in results if not r.passed]
    _err(f"{len(results) - len(failed)} of {len(results)} assets passed")
    _out(f"report: {_display(report)}")
    return ExitCode.ASSET_FAILED if failed else ExitCode.OK


def cmd_run(args: argparse.Namespace) -> int:
    from copyplate.layouts.loader import load_campaign
    from copyplate.pipeline.executors import usable_cores
    from copyplate.pipeline.plan import plan_jobs
    from copyplate.pipeline.run import run_batch
    from copyplate.renderers.plates.cache import PlateCache

    # A locale no font can draw fails its own assets; the rest of the batch still runs.
    lc = load_campaign(Path(args.campaign), args.campaign, per_job_coverage=True)
    for w in lc.warnings:
        _err(w.format())
    locales, sizes = _split(args.locales, "--locales"), _split(args.sizes, "--sizes")
    options = _run_options(args)
    from copyplate.layouts.derive import derive_sizes

    # The batch derives `--sizes WxH` itself (and tells its workers); here only to count.
    progress = _Progress(len(plan_jobs(derive_sizes(lc, sizes)[0], locales, sizes)))
    try:
        report, results = run_batch(
            lc,
            Path(args.out),
            locales,
            sizes,
            args.plate_backend,
            progress=progress,
            options=options,
            plate_cache=None if args.no_plate_cache else PlateCache(args.plate_cache),
            workers=usable_cores() if args.workers is None else args.workers,
            resume=args.resume,
            executor=args.executor,
            ray_address=args.ray_address,
        )
    finally:
        progress.close()
    reused = sum(r.reused for r in results)
    if reused:
        _err(f"{reused} asset(s) were already done with the same inputs (ledger)")
    return _summary(report, results)


def _run_options(args: argparse.Namespace) -> Any:
    """`copyplate run`'s options, each checked now: a bad price table or signing key
    fails before the first asset, not after the hundredth."""
    from copyplate.pipeline.provenance import Signing, signer
    from copyplate.pipeline.run import RunOptions
    from copyplate.renderers.openai_images import PRICES_ENV, HostedSettings, activate, prices

    table = args.prices or (Path(p) if (p := os.environ.get(PRICES_ENV)) else None)
    table = table.resolve() if table is not None else None
    old = activate(HostedSettings(table))
    try:
        prices()
    finally:
        activate(old)
    signing = None
    if args.sign_cert or args.sign_key:
        if not (args.sign_cert and args.sign_key):
            msg = "--sign-cert and --sign-key go together (or COPYPLATE_SIGN_CERT/_KEY)"
            raise InputError(msg)
        signing = Signing(
            str(Path(args.sign_cert).resolve()),
            str(Path(args.sign_key).resolve()),
            args.sign_alg.lower(),
            args.sign_tsa,
        )
        signer(signing)
    if args.max_cost is not None and not args.max_cost >= 0:
        msg = f"--max-cost: {args.max_cost} is not a non-negative amount of USD"
        raise InputError(msg)
    return RunOptions(args.validate, args.copy_backend, signing, args.max_cost, table)


class _Progress:
    """A progress bar on a terminal; one plain line per asset otherwise (logs, CI)."""

    def __init__(self, total: int) -> None:
        self.bar: Any = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "[bold]assets",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self.task = self.bar.add_task("assets", total=total)
            self.bar.start()

    def __call__(self, r: Any) -> None:
        retries = f" ({r.retries} retries)" if r.retries else ""
        error = f": {r.error}" if r.error else ""
        reused = " (already done)" if r.reused else ""
        line = f"{'ok  ' if r.passed else 'FAIL'} {r.job.name}{retries}{reused}{error}"
        if self.bar is None:
            _err(line)
            return
        self.bar.advance(self.task)
        if not r.passed:
            self.bar.console.print(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1080x1080") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise InputError(f"--size {text!r}: each side must be 16 to 8192 px")
    return w, h


def cmd_plate(args: argparse.Namespace) -> int:
    import re

    from copyplate.fileio import write_atomic
    from copyplate.renderers.plates.base import PlateRequest, plate_generator

    w, h = _size(args.size)
    palette = tuple(c.strip() for c in args.palette.split(",") if c.strip())
    bad = [c for c in palette if not re.fullmatch(r"#[0-9a-fA-F]{6}", c)]
    if not palette or bad:
        raise InputError(f"--palette {args.palette!r}: expected #RRGGBB colours, comma-separated")
    if not 0 <= args.seed < 2**32:
        raise InputError(f"--seed {args.seed}: expected 0 to 4294967295")
    out = Path(args.output)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise InputError(f"-o {args.output!r}: expected a .png, .jpg or .webp file name")
    gen = plate_generator(args.model)
    req = PlateRequest(
        prompt=args.prompt,
        width=w,
        height=h,
        palette=palette,
        seed=args.seed,
        negative_prompt=args.negative_prompt,
        mood=args.mood,
        steps=args.steps,
    )
    image = gen.generate(req)
    from copyplate.pipeline.asset import encode_image

    fmt = {".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}.get(out.suffix.lower(), "png")
    write_atomic(out, encode_image(image, fmt))
    _err(f"{gen.model_id} seed {args.seed} key {req.key(gen.model_id)[:16]}")
    _out(str(out))
    return ExitCode.OK


def cmd_serve(args: argparse.Namespace) -> int:
    from copyplate.reports.review import LOOPBACK, create_app

    hosts = LOOPBACK
    if args.host not in LOOPBACK:
        # Anyone who can reach the port can approve assets: binding beyond this machine
        # is a decision, not a default.
        if not args.allow_remote:
            msg = (
                f"--host {args.host}: the review app has no login, so anyone who reaches "
                "it can approve assets; pass --allow-remote to serve beyond this machine"
            )
            raise InputError(msg)
        _err(f"warning: serving on {args.host}: anyone who reaches this port can approve assets")
        hosts = (*LOOPBACK, args.host, *args.allow_remote_host)
    elif args.allow_remote_host:
        hosts = (*LOOPBACK, *args.allow_remote_host)
    app = create_app(Path(args.run_dir), hosts)
    import uvicorn

    _err(f"reviewing {args.run_dir} at http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return ExitCode.OK


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a port from 1 to 65535")
    return port


def cmd_export(args: argparse.Namespace) -> int:
    from copyplate.reports.review import RunFolder

    copied = RunFolder(Path(args.run_dir)).export(Path(args.approved), args.overwrite)
    _err(f"{len(copied)} approved asset(s) copied to {args.approved}")
    for name in copied:
        _out(name)
    return ExitCode.OK


# --- service -------------------------------------------------------------------------------


def _service_store(args: argparse.Namespace) -> tuple[Path, str, Any]:
    from copyplate.service.config import DB_ENV, data_dir
    from copyplate.service.store import Store, default_url

    data = data_dir(args.data)
    data.mkdir(parents=True, exist_ok=True)
    url = args.db or os.environ.get(DB_ENV) or default_url(data)
    return data, url, Store(url)


def cmd_service(args: argparse.Namespace) -> int:
    from copyplate.capabilities import require
    from copyplate.service.app import ServiceConfig, create_service_app
    from copyplate.service.config import check_bind
    from copyplate.service.runner import RunnerConfig
    from copyplate.service.store import SCOPES
    from copyplate.service.uploads import Limits

    if args.workers < 1 or args.processes < 1:
        raise InputError("--workers and --processes must be at least 1")
    if args.max_upload < 1:
        raise InputError("--max-upload must be a positive number of MiB")
    data, url, store = _service_store(args)
    check_bind(args.host, args.allow_remote, store.has_tokens())
    if not store.has_tokens():
        _tid, token = store.create_token(SCOPES, "first start")
        _err("no API token yet: created one with every scope (shown once; keep it):")
        _err(f"  {token}")
    ray_address = args.ray_address or os.environ.get("RAY_ADDRESS")
    executor = "ray" if ray_address and args.executor == "local" else args.executor
    runner = RunnerConfig(data, url, executor, ray_address, args.processes)
    limits = Limits(body=args.max_upload * 1024 * 1024)
    cfg = ServiceConfig(data, url, args.workers, runner, limits)
    app = create_service_app(cfg, store)
    uvicorn = require("uvicorn")
    _err(f"copyplate service at http://{args.host}:{args.port}/ (data {data}; Ctrl-C to stop)")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return ExitCode.OK


def cmd_service_token(args: argparse.Namespace) -> int:
    from copyplate.service.store import parse_scopes

    scopes = parse_scopes(args.scopes)
    _data, _url, store = _service_store(args)
    tid, token = store.create_token(scopes, args.name)
    _err(f"token {tid} with scopes {','.join(scopes)} (shown once; only its hash is kept)")
    _out(token)
    return ExitCode.OK


def cmd_service_worker(args: argparse.Namespace) -> int:
    from copyplate.service.runner import RunnerConfig, execute_run

    cfg = RunnerConfig(Path(args.data), args.db, args.executor, args.ray_address, args.processes)
    status = execute_run(cfg, args.run_id, args.parent)
    return ExitCode.OK if status == "done" else ExitCode.RENDER_FAILED


def cmd_submit(args: argparse.Namespace) -> int:
    from copyplate.client import Client

    token = args.token or os.environ.get("COPYPLATE_TOKEN")
    client = Client(args.server, token)
    camp = client.submit(Path(args.campaign))
    _err(f"campaign {camp['id']} ({camp['name']}) stored")
    if args.no_run:
        _out(camp["id"])
        return ExitCode.OK
    run = client.start_run(
        camp["id"],
        _split(args.locales, "--locales"),
        _split(args.sizes, "--sizes"),
        _split(args.variants, "--variants"),
    )
    _err(f"run {run['id']} queued ({run['counts']['total']} assets)")
    if not args.wait:
        _out(run["id"])
        return ExitCode.OK
    for ev in client.events(run["id"]):
        d = ev["data"]
        if ev.get("event") == "asset.finished":
            _err(f"{'ok  ' if d['passed'] else 'FAIL'} {d['name']}")
        if ev.get("event") == "run.finished":
            break
    final = client.run(run["id"])
    n = final["counts"]
    _err(f"run {final['status']}: {n['passed']} of {n['total']} assets passed")
    _out(run["id"])
    if final["status"] == "failed":
        _err(f"copyplate: error: {final.get('error')}")
        return ExitCode.RENDER_FAILED
    return ExitCode.ASSET_FAILED if n["failed"] else ExitCode.OK


def cmd_demo(args: argparse.Namespace) -> int:
    from copyplate.pipeline.demo import run_demo

    report, results = run_demo(Path(args.out))
    return _summary(report, results)


# --- entry ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="copyplate",
        description="Design assets with exact copy: plates, typeset copy, validators.",
        epilog="exit codes: 0 ok, 1 asset failed validation, 2 invalid input, "
        "3 missing capability, 4 render failure, 70 internal error",
    )
    p.add_argument("--version", action="version", version=f"copyplate {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("check", help="validate campaign files and their copy decks")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--json", action="store_true", help="print problems as JSON")
    c.add_argument(
        "--no-warnings", dest="warnings", action="store_false", help="report errors only"
    )
    c.set_defaults(func=cmd_check)

    v = sub.add_parser("verify", help="check images against their manifests")
    v.add_argument("manifests", nargs="+", metavar="MANIFEST")
    v.add_argument("--json", action="store_true", help="one JSON array, one object per manifest")
    v.add_argument(
        "--allow-root",
        action="append",
        metavar="DIR",
        help="a folder images may live in besides the manifest's own",
    )
    v.add_argument("--checks", action="append", help="only these families, comma-separated")
    v.add_argument("-v", "--verbose", action="store_true", help="show passing findings too")
    v.set_defaults(func=cmd_verify)

    s = sub.add_parser("schema", help="print the campaign (or manifest) JSON Schema")
    s.add_argument("--manifest", action="store_true", help="the manifest's schema (verify)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help="rewrite both packaged schema files")
    g.add_argument("--check", action="store_true", help="fail if a packaged file is stale")
    s.set_defaults(func=cmd_schema)

    d = sub.add_parser("doctor", help="list capabilities and what is missing")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_doctor)

    pl = sub.add_parser("plan", help="list the jobs a campaign run would make")
    pl.add_argument("campaign")
    pl.add_argument("--locales", action="append", help="comma-separated locale tags")
    pl.add_argument(
        "--sizes",
        action="append",
        help="comma-separated size names, WxH or presets (derived from the nearest size)",
    )
    pl.add_argument("--variants", action="append", help="comma-separated variant ids")
    pl.add_argument("--json", action="store_true")
    pl.add_argument(
        "--harmony",
        action="store_true",
        help="also show the harmony bands and the px each locale is set at (renders the copy)",
    )
    pl.set_defaults(func=cmd_plan)

    r = sub.add_parser("run", help="render a campaign's assets with manifests and a report")
    r.add_argument("campaign")
    r.add_argument("--out", default="out/run", help="output folder (default: out/run)")
    r.add_argument("--locales", action="append", help="comma-separated locale tags")
    r.add_argument(
        "--sizes",
        action="append",
        help="comma-separated size names, WxH or presets (derived from the nearest size)",
    )
    r.add_argument("--plate-backend", help="plate generator, overriding the campaign's model")
    r.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: the cores this process may use)",
    )
    r.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local processes (default) or a Ray cluster",
    )
    r.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray)")
    r.add_argument(
        "--resume",
        action="store_true",
        default=True,
        help="skip jobs already done with the same inputs (the default)",
    )
    r.add_argument(
        "--fresh", dest="resume", action="store_false", help="redo every job, ignoring the ledger"
    )
    r.add_argument(
        "--plate-cache",
        type=Path,
        metavar="DIR",
        help="plate cache folder (default: ~/.cache/copyplate/plates)",
    )
    r.add_argument("--no-plate-cache", action="store_true", help="make every plate anew")
    r.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        help="skip validators and retries (copy-stage checks still run)",
    )
    r.add_argument(
        "--copy-backend",
        metavar="NAME",
        help="backend for text, price and CTA regions that name none: typeset or gpt-image "
        "(overrides the campaign's copy_backend)",
    )
    r.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="price table for hosted models (default: the packaged one; env COPYPLATE_PRICES)",
    )
    r.add_argument(
        "--max-cost",
        type=float,
        metavar="USD",
        help="stop calling hosted models once this run would spend more (regions fall back "
        "to typeset; plates fail their assets)",
    )
    r.add_argument(
        "--sign-cert",
        metavar="PEM",
        default=os.environ.get("COPYPLATE_SIGN_CERT"),
        help="C2PA-sign every asset with this certificate chain (env COPYPLATE_SIGN_CERT)",
    )
    r.add_argument(
        "--sign-key",
        metavar="PEM",
        default=os.environ.get("COPYPLATE_SIGN_KEY"),
        help="private key of --sign-cert (env COPYPLATE_SIGN_KEY)",
    )
    r.add_argument("--sign-alg", default="es256", help="signing algorithm (default es256)")
    r.add_argument("--sign-tsa", metavar="URL", help="RFC 3161 time-stamp authority")
    r.set_defaults(func=cmd_run)

    pt = sub.add_parser("plate", help="make one plate (background) alone")
    pt.add_argument("--prompt", required=True)
    pt.add_argument("--negative-prompt", default="")
    pt.add_argument("--palette", required=True, help="comma-separated #RRGGBB colours")
    pt.add_argument("--seed", type=int, default=0)
    pt.add_argument("--size", default="1080x1080", help="WIDTHxHEIGHT")
    pt.add_argument("--mood", help="built-in model: gradient, soft-light, bokeh, paper, ...")
    pt.add_argument("--steps", type=int)
    pt.add_argument("--model", default="builtin", help="plate generator (default: builtin)")
    pt.add_argument("-o", "--output", required=True)
    pt.set_defaults(func=cmd_plate)

    sv = sub.add_parser("serve", help="review a run in the browser: approve or reject assets")
    sv.add_argument("run_dir")
    sv.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    sv.add_argument("--port", type=_port, default=8765)
    sv.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback (the app has no login)",
    )
    sv.add_argument(
        "--allow-remote-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the browser will use to reach the app (Host header check)",
    )
    sv.set_defaults(func=cmd_serve)

    ex = sub.add_parser("export", help="copy the approved assets of a run")
    ex.add_argument("run_dir")
    ex.add_argument("--approved", required=True, metavar="DEST")
    ex.add_argument("--overwrite", action="store_true", help="replace files in DEST that differ")
    ex.set_defaults(func=cmd_export)

    sc = sub.add_parser(
        "service", help="the campaign service: HTTP API, run queue, review UI (see README)"
    )
    _service_args(sc)
    sc.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    sc.add_argument("--port", type=int, default=8780, help="port (default 8780)")
    sc.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (needs a token created beforehand)",
    )
    sc.add_argument("--workers", type=int, default=1, help="runs at once (default 1)")
    sc.add_argument("--processes", type=int, default=1, help="worker processes per run")
    sc.add_argument(
        "--executor", choices=("local", "ray"), default="local", help="local or Ray (RAY_ADDRESS)"
    )
    sc.add_argument("--ray-address", help="Ray cluster address (default: env RAY_ADDRESS)")
    sc.add_argument("--max-upload", type=int, default=64, metavar="MIB", help="upload limit")
    sc.add_argument("--log-level", default="warning", help="uvicorn log level")
    sc.set_defaults(func=cmd_service)
    ssub = sc.add_subparsers(dest="service_command", metavar="SUBCOMMAND")
    tk = ssub.add_parser("token", help="API tokens")
    tsub = tk.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    tc = tsub.add_parser("create", help="create a token; prints it once, on the last line")
    _service_args(tc)
    tc.add_argument("--scopes", required=True, help="comma-separated: read,submit,review")
    tc.add_argument("--name", default="", help="a label for the token")
    tc.set_defaults(func=cmd_service_token)
    wk = ssub.add_parser("worker", help="(internal) execute one queued run")
    wk.add_argument("run_id")
    wk.add_argument("--data", required=True)
    wk.add_argument("--db", required=True)
    wk.add_argument("--executor", choices=("local", "ray"), default="local")
    wk.add_argument("--ray-address")
    wk.add_argument("--processes", type=int, default=1)
    wk.add_argument("--parent", type=int, help="stop when this process is gone")
    wk.set_defaults(func=cmd_service_worker)

    sb = sub.add_parser("submit", help="send a campaign to a copyplate service and run it")
    sb.add_argument("campaign", help="campaign.json (its folder is sent), a folder or an archive")
    sb.add_argument("--server", required=True, help="e.g. http://127.0.0.1:8780")
    sb.add_argument("--token", help="API token (default: env COPYPLATE_TOKEN)")
    sb.add_argument("--locales", action="append", help="comma-separated locale tags")
    sb.add_argument("--sizes", action="append", help="comma-separated size names")
    sb.add_argument("--variants", action="append", help="comma-separated variant ids")
    sb.add_argument("--no-run", action="store_true", help="only store the campaign")
    sb.add_argument("--wait", action="store_true", help="follow the run to its end")
    sb.set_defaults(func=cmd_submit)

    de = sub.add_parser("demo", help="run the sample campaign end to end, offline")
    de.add_argument("--out", default="out/demo")
    de.set_defaults(func=cmd_demo)
    return p


def _service_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        metavar="DIR",
        help="data folder (default: env COPYPLATE_SERVICE_DATA, else the user data directory)",
    )
    p.add_argument(
        "--db", metavar="URL", help="SQLAlchemy URL of the store (default: SQLite in --data)"
    )


def _report_problems(problems: list[Problem]) -> None:
    for pr in problems:
        _err(pr.format())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = args.debug or os.environ.get("COPYPLATE_DEBUG") == "1"
    try:
        code = int(args.func(args))
    except LayoutError as e:
        _report_problems(e.problems)
        _err(f"copyplate: {len([p for p in e.problems if p.severity == 'error'])} problem(s)")
        code = e.exit_code
    except CopyplateError as e:
        _err(f"copyplate: error: {e}")
        code = e.exit_code
    except KeyboardInterrupt:
        _err("copyplate: interrupted")
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = ExitCode.OK
    except OSError as e:
        # The machine, not the input or copyplate: a full disk, a read-only folder.
        where = f" {e.filename}" if e.filename else ""
        _err(f"copyplate: error: cannot use{where}: {e.strerror or e}")
        code = ExitCode.RENDER_FAILED
    except sqlite3.Error as e:
        _err(f"copyplate: error: the run's ledger database failed: {e}")
        code = ExitCode.RENDER_FAILED
    except Exception as e:
        if debug:
            raise
        _err(
            f"copyplate: internal error: {type(e).__name__}: {e} "
            "(a bug; please report it with the output of `copyplate --debug ...`)"
        )
        code = ExitCode.INTERNAL
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
