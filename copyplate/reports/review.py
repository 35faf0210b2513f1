"""`copyplate serve RUN_DIR`: a small review app (FastAPI) for one run folder, and the
decisions it stores; `copyplate export RUN_DIR --approved DEST` copies approved assets.

Decisions live in the run's own ledger database (table `reviews`), so they travel with the
run. The app serves only files inside the run folder, and only the ones report.json names.
"""

from __future__ import annotations

import html
import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from copyplate.capabilities import require
from copyplate.errors import InputError


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
        self.assets = {f"{a['size']}/{a['locale']}": a for a in self.report["assets"]}
        self.db_path = self.root / "ledger.sqlite"

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(REVIEWS)
        return db

    def reviews(self) -> dict[str, dict[str, Any]]:
        with self._db() as db:
            rows = db.execute("SELECT name, decision, comment, updated FROM reviews").fetchall()
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

    def export(self, dest: Path) -> list[str]:
        """Copy approved assets (image and manifest) to `dest`, keeping the size/locale
        layout. Returns the names copied."""
        done = []
        for name, r in sorted(self.reviews().items()):
            if r["decision"] != "approved":
                continue
            a = self.assets[name]
            for key in ("image", "manifest"):
                src = self.file(a[key])
                if src is None:
                    raise InputError(f"{name}: {a[key]} is missing from the run folder")
                target = dest / a[key]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
            done.append(name)
        return done


def page(run: RunFolder) -> str:
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
    headers: {{'Content-Type': 'application/json'}},
    body: JSON.stringify({{name: card.dataset.name, decision,
      comment: card.querySelector('.comment').value}})}});
  if (res.ok) {{ card.dataset.state = decision;
    card.querySelector('.state').textContent = decision; }}
}}));
</script></body></html>"""


def create_app(root: Path) -> Any:
    require("fastapi")
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse

    run = RunFolder(root)
    app = FastAPI(title="copyplate review", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page(run)

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
