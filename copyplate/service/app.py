"""`copyplate service`: campaigns, runs, review and export over HTTP (FastAPI).

Every resource is JSON with an `id`. Requests authenticate with `Authorization: Bearer
TOKEN` (scopes read, submit, review) or, in the browser, with a session made from a token
at /ui/login; a state-changing request on a session needs its CSRF token (header
`X-CSRF-Token` or form field `csrf`): a cookie alone never changes anything.
"""

# No `from __future__ import annotations` here: FastAPI reads the route functions'
# annotations at runtime, and they name classes imported inside create_service_app.
import asyncio
import hmac
import io
import json
import secrets
import shutil
import time
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from copyplate.capabilities import require
from copyplate.errors import CopyplateError, InputError
from copyplate.service import ui
from copyplate.service.runner import RunnerConfig, RunPool
from copyplate.service.store import WEBHOOK_EVENTS, Store
from copyplate.service.uploads import Limits, Refused, check_upload, discard, receive_file, unpack
from copyplate.service.webhooks import Deliverer

SESSION_COOKIE = "copyplate_session"


@dataclass
class ServiceConfig:
    data: Path
    db: str
    workers: int = 1  # runs at once
    runner: RunnerConfig | None = None
    limits: Limits = field(default_factory=Limits)
    webhook_attempts: int = 8
    webhook_delay: float = 1.0  # first retry after this many seconds, doubling


class RunRequest(BaseModel):
    """The body of POST /campaigns/{id}/runs: which jobs, and how."""

    model_config = ConfigDict(extra="forbid")
    locales: list[str] | None = Field(None, max_length=500)
    sizes: list[str] | None = Field(None, max_length=100)
    variants: list[str] | None = Field(None, max_length=100)
    plate_backend: str | None = Field(None, max_length=100)
    copy_backend: str | None = Field(None, max_length=100)
    validate_: bool = Field(True, alias="validate")


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    decision: str = Field(max_length=20)
    comment: str = Field("", max_length=2000)


class WebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000, pattern=r"^https?://")
    events: list[str] = Field(default_factory=lambda: list(WEBHOOK_EVENTS), min_length=1)


@dataclass(frozen=True)
class Caller:
    scopes: tuple[str, ...]
    csrf: str | None  # the session's CSRF token; None for a bearer token


def prepare_data(data: Path) -> None:
    for sub in ("campaigns", "runs", "plates", "tmp"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    # Uploads half-received when the service died.
    for stale in (data / "tmp").iterdir():
        discard(stale)


def create_service_app(cfg: ServiceConfig, store: Store | None = None) -> Any:
    require("fastapi")
    from fastapi import Depends, FastAPI, Header, HTTPException, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import (
        FileResponse,
        HTMLResponse,
        JSONResponse,
        RedirectResponse,
        Response,
        StreamingResponse,
    )

    from copyplate.reports.review import RunFolder

    data = cfg.data.resolve()
    prepare_data(data)
    db = store or Store(cfg.db)
    pool = RunPool(cfg.runner or RunnerConfig(data, cfg.db), db, cfg.workers)
    deliverer = Deliverer(db, cfg.webhook_attempts, cfg.webhook_delay)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        for rid in db.requeue_interrupted():
            db.add_event(rid, "run.resumed", {"run": rid, "status": "queued"})
        pool.start()
        deliverer.start()
        try:
            yield
        finally:
            pool.stop()
            deliverer.stop()

    app = FastAPI(
        title="copyplate service",
        version="1",
        description="Submit campaigns, run localization batches, review and export assets.",
        lifespan=lifespan,
    )
    app.state.store, app.state.pool = db, pool

    @app.exception_handler(Refused)
    async def refused(_r: Request, exc: Refused) -> JSONResponse:
        body: dict[str, Any] = {"detail": str(exc)}
        if exc.problems:
            body["problems"] = [p.as_dict() for p in exc.problems]
        return JSONResponse(body, exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(x) for x in first.get("loc", ()))
        detail = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        return JSONResponse(
            {"detail": detail, "errors": json.loads(json.dumps(errs, default=str))}, 422
        )

    def caller(request: Request) -> Caller:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise HTTPException(401, "Authorization must be 'Bearer TOKEN'")
            found = db.token_scopes(token.strip())
            if found is None:
                raise HTTPException(401, "unknown token")
            return Caller(tuple(found[1]), None)
        sid = request.cookies.get(SESSION_COOKIE)
        sess = db.session(sid) if sid else None
        if sess is None:
            raise HTTPException(
                401,
                "authentication required: send 'Authorization: Bearer TOKEN' "
                "(copyplate service token create) or log in at /ui/login",
            )
        return Caller(tuple(sess[0]), sess[1])

    def need(scope: str) -> Callable[[Request], Caller]:
        def dep(request: Request) -> Caller:
            who = caller(request)
            if scope not in who.scopes:
                raise HTTPException(403, f"this token lacks the {scope!r} scope")
            if who.csrf is not None and request.method not in ("GET", "HEAD"):
                sent = request.headers.get("x-csrf-token", "")
                if not hmac.compare_digest(sent, who.csrf):
                    raise HTTPException(403, "CSRF token missing or wrong (X-CSRF-Token)")
            return who

        return dep

    read, submit, review = Depends(need("read")), Depends(need("submit")), Depends(need("review"))

    def get_run(rid: str) -> dict[str, Any]:
        run = db.run(rid)
        if run is None:
            raise HTTPException(404, f"no run {rid!r}")
        return run

    def run_folder(rid: str) -> RunFolder:
        run = get_run(rid)
        if run["status"] != "done":
            raise HTTPException(409, f"run {rid} is {run['status']}: review needs a finished run")
        return RunFolder(data / "runs" / rid)

    # --- health ---------------------------------------------------------------------
    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/", 303)

    # --- campaigns ------------------------------------------------------------------
    @app.post("/campaigns", status_code=201, tags=["campaigns"], dependencies=[submit])
    async def submit_campaign(
        request: Request,
        content_type: str = Header(""),
        content_length: str | None = Header(None),
    ) -> dict[str, Any]:
        """Upload a campaign as multipart field `file`: its JSON, or a zip/tar with its
        decks, fonts and images. Checked as `copyplate check` does; 422 with every
        problem (file, line, column, JSON pointer) and nothing stored when invalid."""
        work = data / "tmp" / secrets.token_hex(8)
        work.mkdir()
        try:
            upload, name = await receive_file(
                request.stream(), content_type, content_length, work / "upload", cfg.limits
            )
            root = work / "campaign"
            await run_in_threadpool(unpack, upload, name, root, cfg.limits)
            _, info = await run_in_threadpool(check_upload, root)
            cid = "cmp_" + secrets.token_hex(8)
            (root).rename(data / "campaigns" / cid)
            warnings = info.pop("warnings")
            stored = db.add_campaign(cid, info)
            return {**stored, "warnings": warnings}
        finally:
            await run_in_threadpool(discard, work)

    @app.get("/campaigns", tags=["campaigns"], dependencies=[read])
    def list_campaigns() -> list[dict[str, Any]]:
        return db.campaigns()

    @app.get("/campaigns/{cid}", tags=["campaigns"], dependencies=[read])
    def get_campaign(cid: str) -> dict[str, Any]:
        c = db.campaign(cid)
        if c is None:
            raise HTTPException(404, f"no campaign {cid!r}")
        return {**c, "runs": [r["id"] for r in db.runs(cid)]}

    @app.post("/campaigns/{cid}/runs", status_code=202, tags=["runs"], dependencies=[submit])
    def start_run(cid: str, req: RunRequest) -> dict[str, Any]:
        """Queue a run of this campaign: the given locales, sizes and variants (all when
        left out) with optional plate and copy backends."""
        from copyplate.layouts.loader import load_campaign
        from copyplate.pipeline.plan import plan_jobs
        from copyplate.pipeline.run import check_backends

        c = db.campaign(cid)
        if c is None:
            raise HTTPException(404, f"no campaign {cid!r}")
        try:
            lc = load_campaign(data / "campaigns" / cid / c["file"], c["file"], True)
            jobs = plan_jobs(lc, req.locales, req.sizes, req.variants)
            check_backends(lc, req.copy_backend)
        except CopyplateError as e:
            raise Refused(422, str(e)) from None
        request = req.model_dump(by_alias=True)
        rid = db.add_run(cid, request, len(jobs))
        pool.wake.set()
        return get_run(rid)

    # --- runs -----------------------------------------------------------------------
    @app.get("/runs", tags=["runs"], dependencies=[read])
    def list_runs(campaign: str | None = None) -> list[dict[str, Any]]:
        return db.runs(campaign)

    @app.get("/runs/{rid}", tags=["runs"], dependencies=[read])
    def run_status(rid: str) -> dict[str, Any]:
        """Status (queued, running, done, failed), counts and per-asset verdicts."""
        run = get_run(rid)
        run["assets"] = db.assets(rid)
        reviews = RunFolder(data / "runs" / rid).reviews() if run["status"] == "done" else {}
        for a in run["assets"]:
            a["review"] = reviews.get(a["name"])
        return run

    @app.get("/runs/{rid}/events", tags=["runs"], dependencies=[read])
    async def run_events(
        rid: str, request: Request, last_event_id: str | None = Header(None)
    ) -> StreamingResponse:
        """Server-Sent Events: `asset.finished` (and `asset.failed`) as assets finish,
        `run.finished` last. Reconnect with Last-Event-ID to continue."""
        await run_in_threadpool(get_run, rid)
        try:
            after = int(last_event_id or 0)
        except ValueError:
            raise HTTPException(400, "Last-Event-ID must be an event id") from None

        async def stream() -> AsyncIterator[str]:
            nonlocal after
            quiet = time.monotonic()
            while not await request.is_disconnected():
                for ev in await run_in_threadpool(db.events, rid, after):
                    after = ev["id"]
                    payload = json.dumps(ev["data"], ensure_ascii=False)
                    yield f"id: {after}\nevent: {ev['kind']}\ndata: {payload}\n\n"
                    quiet = time.monotonic()
                    if ev["kind"] == "run.finished":
                        return
                if time.monotonic() - quiet > 15:
                    yield ": keep-alive\n\n"
                    quiet = time.monotonic()
                await asyncio.sleep(0.25)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    @app.get("/runs/{rid}/report/{rel:path}", tags=["runs"], dependencies=[read])
    def report_file(rid: str, rel: str) -> FileResponse:
        """The run's static report (rel empty) and the files it shows."""
        folder = run_folder(rid)
        if rel in ("", "report.html"):
            return FileResponse(folder.root / "report.html", media_type="text/html")
        target = folder.file(rel)
        if target is None:
            raise HTTPException(404, "not a file of this run")
        return FileResponse(target)

    @app.post("/runs/{rid}/reviews", tags=["review"], dependencies=[review])
    def decide(rid: str, r: ReviewRequest) -> dict[str, str]:
        """Approve or reject one asset (`decision`: approved or rejected), with a comment."""
        try:
            run_folder(rid).decide(r.name, r.decision, r.comment)
        except InputError as e:
            raise Refused(422, str(e)) from None
        return {"id": f"{rid}/{r.name}", "name": r.name, "decision": r.decision}

    @app.post("/runs/{rid}/approve-passed", tags=["review"], dependencies=[review])
    def approve_passed(rid: str) -> dict[str, Any]:
        """Approve every asset that passed validation and has no decision yet."""
        folder = run_folder(rid)
        decided = folder.reviews()
        names = [a["name"] for a in db.assets(rid) if a["passed"] and a["name"] not in decided]
        for name in names:
            folder.decide(name, "approved")
        return {"id": rid, "approved": names}

    @app.get("/runs/{rid}/export", tags=["review"], dependencies=[read])
    def export(rid: str) -> Response:
        """The approved assets (image and manifest, size/locale layout) as a zip."""
        folder = run_folder(rid)
        tmp = data / "tmp" / secrets.token_hex(8)
        try:
            names = folder.export(tmp)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(tmp.rglob("*")):
                    if f.is_file():
                        zf.write(f, f.relative_to(tmp).as_posix())
                zf.writestr("approved.json", json.dumps(names, indent=2))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        disp = f'attachment; filename="{rid}-approved.zip"'
        return Response(buf.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": disp})  # fmt: skip

    # --- webhooks -------------------------------------------------------------------
    @app.post("/webhooks", status_code=201, tags=["webhooks"], dependencies=[submit])
    def add_webhook(w: WebhookRequest) -> dict[str, Any]:
        """Subscribe a URL to `run.finished` and/or `asset.failed`. The answer holds the
        signing secret, shown this once."""
        bad = [x for x in w.events if x not in WEBHOOK_EVENTS]
        if bad:
            raise Refused(422, f"unknown events {bad} (known: {', '.join(WEBHOOK_EVENTS)})")
        return db.add_webhook(w.url, w.events)

    @app.get("/webhooks", tags=["webhooks"], dependencies=[read])
    def list_webhooks() -> list[dict[str, Any]]:
        return db.webhooks()

    # --- the browser UI -------------------------------------------------------------
    def ui_caller(request: Request) -> Caller | None:
        try:
            who = caller(request)
        except HTTPException:
            return None
        return who if "read" in who.scopes else None

    @app.get("/ui/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form() -> str:
        return ui.login_page()

    @app.post("/ui/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
            raise HTTPException(403, "login from another origin refused")
        # Reads a urlencoded form with a small limit: no multipart, no temp files.
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > 4096:
                raise HTTPException(413, "login form too large")
        from urllib.parse import parse_qs

        token = parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0].strip()
        found = db.token_scopes(token) if token else None
        if found is None:
            return HTMLResponse(ui.login_page("unknown token"), 401)
        sid, _csrf = db.create_session(found[0])
        resp = RedirectResponse("/ui/", 303)
        resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict", path="/")
        return resp

    @app.post("/ui/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        sid = request.cookies.get(SESSION_COOKIE)
        sess = db.session(sid) if sid else None
        if sid and sess is not None:
            form = (await request.body())[:4096].decode("utf-8", "replace")
            from urllib.parse import parse_qs

            sent = parse_qs(form).get("csrf", [""])[0]
            if not hmac.compare_digest(sent, sess[1]):
                raise HTTPException(403, "CSRF token missing or wrong (form field csrf)")
            db.drop_session(sid)
        resp = RedirectResponse("/ui/login", 303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @app.get("/ui/", response_class=HTMLResponse, include_in_schema=False)
    def ui_index(request: Request) -> Response:
        who = ui_caller(request)
        if who is None:
            return RedirectResponse("/ui/login", 303)
        return HTMLResponse(ui.index_page(db.campaigns(), db.runs(), who.csrf or ""))

    @app.get("/ui/runs/{rid}", response_class=HTMLResponse, include_in_schema=False)
    def ui_run(rid: str, request: Request) -> Response:
        who = ui_caller(request)
        if who is None:
            return RedirectResponse("/ui/login", 303)
        run = get_run(rid)
        reviews = RunFolder(data / "runs" / rid).reviews() if run["status"] == "done" else {}
        return HTMLResponse(ui.run_page(run, db.assets(rid), reviews, who.csrf or ""))

    return app
