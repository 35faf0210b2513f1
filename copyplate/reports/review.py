"""`copyplate serve RUN_DIR`: a small review app (FastAPI) for one run folder, and the
decisions it stores; `copyplate export RUN_DIR --approved DEST` copies approved assets.

Decisions live in the run's own ledger database (table `reviews`), so they travel with the
run. The app serves only files inside the run folder, and only the ones report.json names.
"""

from __future__ import annotations

import html
import json
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from copyplate.capabilities import require
from copyplate.errors import InputError
from copyplate.fileio import write_atomic

LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKEN_HEADER = "X-Copyplate-Token"


class Review(BaseModel):
    """A reviewer's decision on one asset (the body of POST /api/review). Module-level:
    FastAPI cannot resolve a model defined inside a function under postponed annotations."""

    name: str = Field(max_length=200)
    decision: str = Field(max_length=20)
    comment: str = Field("", max_length=2000)


REVIEWS = """
CREATE TABLE IF NOT EXISTS reviews (
    name TEXT PRIMARY KEY,
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comment TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL
);
"""


def _assets(report: Path, data: Any) -> dict[str, dict[str, Any]]:
    """report.json's assets by name, each field this module reads checked for its type:
    a hand-edited or hostile report is one clear error, not a crash."""
    if not isinstance(data, dict) or not isinstance(data.get("assets"), list):
        raise InputError(f"{report}: /assets: expected a list of assets")
    if not isinstance(data.get("campaign", ""), str):
        raise InputError(f"{report}: /campaign: expected a string")
    out: dict[str, dict[str, Any]] = {}
    for i, a in enumerate(data["assets"]):
        if not isinstance(a, dict):
            raise InputError(f"{report}: /assets/{i}: expected an object, got {type(a).__name__}")
        for key in ("size", "locale"):
            if not isinstance(a.get(key), str) or not a[key]:
                raise InputError(f"{report}: /assets/{i}/{key}: expected a non-empty string")
        for key in ("image", "manifest"):
            if not isinstance(a.get(key, ""), str):
                raise InputError(f"{report}: /assets/{i}/{key}: expected a path string")
        out[f"{a['size']}/{a['locale']}"] = a
    return out


class RunFolder:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        report = self.root / "report.json"
        if not report.is_file():
            raise InputError(f"{root}: no report.json: not a copyplate run folder")
        try:
            self.report: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{report}: unreadable report: {e}") from None
        self.assets = _assets(report, self.report)
        self.report.setdefault("campaign", "")
        self.db_path = self.root / "ledger.sqlite"

    def _db(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.db_path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(REVIEWS)
        except sqlite3.DatabaseError as e:
            msg = f"{self.db_path}: not a usable copyplate ledger ({e})"
            raise InputError(msg) from None
        return db

    def reviews(self) -> dict[str, dict[str, Any]]:
        try:
            with self._db() as db:
                rows = db.execute("SELECT name, decision, comment, updated FROM reviews").fetchall()
        except sqlite3.DatabaseError as e:
            raise InputError(f"{self.db_path}: the reviews cannot be read ({e})") from None
        return {r[0]: {"decision": r[1], "comment": r[2], "updated": r[3]} for r in rows}

    def decide(self, name: str, decision: str, comment: str = "") -> None:
        if name not in self.assets:
            raise InputError(f"unknown asset {name!r}")
        if decision not in ("approved", "rejected"):
            raise InputError(f"decision must be 'approved' or 'rejected' (got {decision!r})")
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO reviews VALUES (?, ?, ?, ?)",
                (name, decision, comment[:2000], time.time()),
            )

    def file(self, rel: str) -> Path | None:
        """A file of this run that report.json names, or None: nothing else is served."""
        allowed = {a.get(k) for a in self.assets.values() for k in ("image", "manifest")}
        if rel not in allowed:
            return None
        target = (self.root / rel).resolve()
        if self.root not in target.parents or not target.is_file():
            return None
        return target

    def export(self, dest: Path, overwrite: bool = False) -> list[str]:
        """Copy approved assets (image and manifest) to `dest`, keeping the size/locale
        layout. Returns the names copied.

        Every copy is planned and checked before the first is made: each target must lie
        inside `dest` (report.json is a file anyone can edit), and an existing different
        file is only replaced with `overwrite`. A problem is one InputError, and nothing
        is half exported."""
        out = dest.resolve()
        if out.exists() and not out.is_dir():
            raise InputError(f"--approved {dest}: is a file, expected a folder")
        if out == self.root or self.root in out.parents:
            raise InputError(f"--approved {dest}: is inside the run folder; expected another")
        plan: list[tuple[Path, Path]] = []
        done = []
        for name, r in sorted(self.reviews().items()):
            if r["decision"] != "approved" or name not in self.assets:
                continue
            a = self.assets[name]
            for key in ("image", "manifest"):
                rel = str(a.get(key) or "")
                src = self.file(rel)
                if src is None:
                    raise InputError(f"{name}: {rel!r} is missing from the run folder")
                target = (out / rel).resolve()
                if out not in target.parents:
                    msg = f"{name}: report.json names {rel!r}, which leaves {dest}"
                    raise InputError(msg)
                if target.exists() and not overwrite and target.read_bytes() != src.read_bytes():
                    msg = (
                        f"--approved {dest}: {rel} exists and differs; "
                        "pass --overwrite to replace it"
                    )
                    raise InputError(msg)
                plan.append((src, target))
            done.append(name)
        try:
            for src, target in plan:
                write_atomic(target, src.read_bytes())
        except OSError as e:
            msg = f"--approved {dest}: cannot write {e.filename or ''}: {e.strerror or e}"
            raise InputError(msg) from None
        return done


def page(run: RunFolder, token: str = "") -> str:
    reviews = run.reviews()
    cards = []
    for name, a in run.assets.items():
        r = reviews.get(name, {})
        state = r.get("decision", "pending")
        img = f"/files/{html.escape(a['image'])}" if a.get("image") else ""
        esc, loc, note = (
            html.escape(name),
            html.escape(a["locale"]),
            html.escape(r.get("comment", "")),
        )
        cards.append(
            f'<div class="card" data-name="{esc}" data-locale="{loc}" data-state="{state}">'
            f'<img src="{img}" alt="{esc}" loading="lazy">'
            f"<div><b>{esc}</b> {'passed' if a['passed'] else 'FAILED'} "
            f'<span class="state">{state}</span></div>'
            f'<input class="comment" placeholder="comment" value="{note}">'
            '<button class="approve">Approve</button><button class="reject">Reject</button></div>'
        )
    locales = sorted({a["locale"] for a in run.assets.values()})
    options = "".join(
        f'<option value="{html.escape(x)}">{html.escape(x)}</option>' for x in locales
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="copyplate-token" content="{html.escape(token)}">
<title>copyplate review: {html.escape(run.report["campaign"])}</title><style>
body{{font:14px system-ui,sans-serif;margin:16px;background:#f4f2ee}}
.grid{{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}}
.card{{background:#fff;padding:8px;border-radius:6px}} .card img{{width:100%}}
</style></head><body><h1>Review {html.escape(run.report["campaign"])}</h1>
<label>locale <select id="f-locale"><option value="">all</option>{options}</select></label>
<div class="grid">{"".join(cards)}</div><script>
document.getElementById('f-locale').addEventListener('change', e => {{
  document.querySelectorAll('.card').forEach(c =>
    c.hidden = !!e.target.value && c.dataset.locale !== e.target.value);
}});
document.querySelectorAll('.card button').forEach(b => b.addEventListener('click', async () => {{
  const card = b.closest('.card');
  const decision = b.classList.contains('approve') ? 'approved' : 'rejected';
  const res = await fetch('/api/review', {{method: 'POST',
    headers: {{'Content-Type': 'application/json', '{TOKEN_HEADER}':
      document.querySelector('meta[name=copyplate-token]').content}},
    body: JSON.stringify({{name: card.dataset.name, decision,
      comment: card.querySelector('.comment').value}})}});
  if (res.ok) {{ card.dataset.state = decision;
    card.querySelector('.state').textContent = decision; }}
}}));
</script></body></html>"""


def _host_name(host: str) -> str:
    """The name part of a Host header ("127.0.0.1:8765" -> "127.0.0.1", "[::1]:80" -> "::1")."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def create_app(root: Path, hosts: tuple[str, ...] = LOOPBACK) -> Any:
    """The app. `hosts`: the names the Host header may carry (DNS rebinding: a page on
    another site that resolves its own name to 127.0.0.1 must not reach the app).
    Changing a decision needs the page's token in a header and, when the browser sends
    one, an Origin of an allowed host: another site cannot post to it (CSRF)."""
    require("fastapi")
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

    run = RunFolder(root)
    token = secrets.token_urlsafe(24)
    allowed = {h.casefold() for h in hosts}
    # openapi_url=None: the review app is not an API product; its schema is not served.
    app = FastAPI(title="copyplate review", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        host = _host_name(request.headers.get("host", "")).casefold()
        if host not in allowed:
            return PlainTextResponse("unknown Host header", status_code=421)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            if origin is not None:
                name = _host_name(origin.split("://", 1)[-1]).casefold()
                if name not in allowed:
                    return PlainTextResponse("cross-origin request refused", status_code=403)
            if not secrets.compare_digest(request.headers.get(TOKEN_HEADER, ""), token):
                return PlainTextResponse(f"missing or wrong {TOKEN_HEADER}", status_code=403)
        response: Response = await call_next(request)
        return response

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page(run, token)

    @app.get("/files/{rel:path}")
    def files(rel: str) -> FileResponse:
        target = run.file(rel)
        if target is None:
            raise HTTPException(404, "not a file of this run")
        return FileResponse(target)

    @app.get("/api/reviews")
    def reviews() -> dict[str, dict[str, Any]]:
        return run.reviews()

    @app.post("/api/review")
    def review(r: Review) -> dict[str, str]:
        try:
            run.decide(r.name, r.decision, r.comment)
        except InputError as e:
            raise HTTPException(422, str(e)) from None
        return {"name": r.name, "decision": r.decision}

    return app
