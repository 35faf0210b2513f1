"""The service's store: tokens, sessions, campaigns, runs, per-asset results, events and
webhook deliveries, in one SQL database.

SQLite in the data folder is the embedded default; any SQLAlchemy URL works the same way
(`--db postgresql+psycopg://user@host/copyplate`), because every statement here is plain
SQL that both accept and only the two autoincrementing keys differ. The server and the
run processes it starts share the database: the run process writes results and events, the
server reads them (SSE) and delivers webhooks.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from copyplate.capabilities import require
from copyplate.errors import InputError

SCOPES = ("read", "submit", "review")
RUN_STATES = ("queued", "running", "done", "failed")
# Events a webhook may subscribe to; the others only feed the SSE stream.
WEBHOOK_EVENTS = ("run.finished", "asset.failed")

_TABLES = """
CREATE TABLE IF NOT EXISTS tokens (
    id VARCHAR(32) PRIMARY KEY, hash VARCHAR(64) UNIQUE NOT NULL, scopes TEXT NOT NULL,
    name TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    hash VARCHAR(64) PRIMARY KEY, token VARCHAR(32) NOT NULL, csrf VARCHAR(64) NOT NULL,
    expires DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (
    id VARCHAR(32) PRIMARY KEY, campaign_id TEXT NOT NULL, name TEXT NOT NULL,
    file TEXT NOT NULL, locales TEXT NOT NULL, sizes TEXT NOT NULL, variants TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR(32) PRIMARY KEY, campaign VARCHAR(32) NOT NULL, status VARCHAR(16) NOT NULL,
    request TEXT NOT NULL, total INTEGER NOT NULL, error TEXT,
    created DOUBLE PRECISION NOT NULL, started DOUBLE PRECISION, finished DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS assets (
    run VARCHAR(32) NOT NULL, name TEXT NOT NULL, passed INTEGER NOT NULL,
    reused INTEGER NOT NULL, retries INTEGER NOT NULL, seconds DOUBLE PRECISION NOT NULL,
    error TEXT, image TEXT, manifest TEXT, findings TEXT NOT NULL,
    PRIMARY KEY (run, name));
CREATE TABLE IF NOT EXISTS events (
    id {serial} PRIMARY KEY, run VARCHAR(32) NOT NULL, kind VARCHAR(32) NOT NULL,
    data TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    id VARCHAR(32) PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id {serial} PRIMARY KEY, webhook VARCHAR(32) NOT NULL, event INTEGER NOT NULL,
    attempts INTEGER NOT NULL, next_at DOUBLE PRECISION NOT NULL, status VARCHAR(16) NOT NULL,
    last_error TEXT, UNIQUE (webhook, event));
"""


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def token_hash(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_scopes(text: str) -> list[str]:
    scopes = sorted({s.strip() for s in text.split(",") if s.strip()})
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        msg = f"--scopes {text!r}: expected a comma-separated subset of {', '.join(SCOPES)}"
        raise InputError(msg)
    return scopes


def default_url(data: Path) -> str:
    return f"sqlite:///{data / 'service.sqlite'}"


class Store:
    def __init__(self, url: str) -> None:
        sa = require("sqlalchemy")
        self._sa = sa
        self.url = url
        sqlite = url.startswith("sqlite")
        kw: dict[str, Any] = {"future": True}
        if sqlite:
            # The run processes write while the server reads: wait for the lock, not fail.
            kw["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine = sa.create_engine(url, **kw)
        if sqlite:

            @sa.event.listens_for(self.engine, "connect")  # type: ignore[untyped-decorator]
            def _wal(conn: Any, _record: Any) -> None:
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()

        serial = "INTEGER" if sqlite else "BIGSERIAL"
        with self.engine.begin() as c:
            for stmt in _TABLES.format(serial=serial).split(";"):
                if stmt.strip():
                    c.execute(sa.text(stmt))

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self.engine.begin() as c:
            yield c

    def _all(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self._tx() as c:
            return [dict(r._mapping) for r in c.execute(self._sa.text(sql), params)]

    def _one(self, sql: str, **params: Any) -> dict[str, Any] | None:
        rows = self._all(sql, **params)
        return rows[0] if rows else None

    def _exec(self, sql: str, **params: Any) -> None:
        with self._tx() as c:
            c.execute(self._sa.text(sql), params)

    def close(self) -> None:
        self.engine.dispose()

    # --- tokens and sessions ----------------------------------------------------------
    def create_token(self, scopes: Sequence[str], name: str = "") -> tuple[str, str]:
        """A new token: (id, secret). Only its hash is stored; the secret is shown once."""
        tid = new_id("tok")
        secret = "cpt_" + secrets.token_urlsafe(32)
        self._exec(
            "INSERT INTO tokens VALUES (:id, :hash, :scopes, :name, :t)",
            id=tid,
            hash=token_hash(secret),
            scopes=",".join(scopes),
            name=name,
            t=time.time(),
        )
        return tid, secret

    def has_tokens(self) -> bool:
        return self._one("SELECT id FROM tokens LIMIT 1") is not None

    def token_scopes(self, secret: str) -> tuple[str, list[str]] | None:
        row = self._one("SELECT id, scopes FROM tokens WHERE hash = :h", h=token_hash(secret))
        return None if row is None else (row["id"], row["scopes"].split(","))

    def create_session(self, token_id: str, ttl: float = 12 * 3600) -> tuple[str, str]:
        """A browser session for a token: (cookie value, CSRF token)."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._exec(
            "INSERT INTO sessions VALUES (:h, :tok, :csrf, :exp)",
            h=token_hash(sid),
            tok=token_id,
            csrf=csrf,
            exp=time.time() + ttl,
        )
        return sid, csrf

    def session(self, sid: str) -> tuple[list[str], str] | None:
        """(scopes, CSRF token) of a live session whose token still exists."""
        row = self._one(
            "SELECT t.scopes, s.csrf FROM sessions s JOIN tokens t ON t.id = s.token "
            "WHERE s.hash = :h AND s.expires > :now",
            h=token_hash(sid),
            now=time.time(),
        )
        return None if row is None else (row["scopes"].split(","), row["csrf"])

    def drop_session(self, sid: str) -> None:
        self._exec("DELETE FROM sessions WHERE hash = :h", h=token_hash(sid))

    # --- campaigns ----------------------------------------------------------------------
    def add_campaign(self, cid: str, info: dict[str, Any]) -> dict[str, Any]:
        self._exec(
            "INSERT INTO campaigns VALUES (:id, :cid, :name, :file, :loc, :siz, :var, :t)",
            id=cid,
            cid=info["campaign_id"],
            name=info["name"],
            file=info["file"],
            loc=json.dumps(info["locales"]),
            siz=json.dumps(info["sizes"]),
            var=json.dumps(info["variants"]),
            t=time.time(),
        )
        got = self.campaign(cid)
        assert got is not None
        return got

    @staticmethod
    def _campaign(row: dict[str, Any]) -> dict[str, Any]:
        for k in ("locales", "sizes", "variants"):
            row[k] = json.loads(row[k])
        return row

    def campaign(self, cid: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM campaigns WHERE id = :id", id=cid)
        return None if row is None else self._campaign(row)

    def campaigns(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM campaigns ORDER BY created DESC")
        return [self._campaign(r) for r in rows]

    # --- runs ---------------------------------------------------------------------------
    def add_run(self, campaign: str, request: dict[str, Any], total: int) -> str:
        rid = new_id("run")
        self._exec(
            "INSERT INTO runs (id, campaign, status, request, total, created) "
            "VALUES (:id, :c, 'queued', :req, :total, :t)",
            id=rid,
            c=campaign,
            req=json.dumps(request),
            total=total,
            t=time.time(),
        )
        self.add_event(rid, "run.queued", {"run": rid, "status": "queued"})
        return rid

    def run(self, rid: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM runs WHERE id = :id", id=rid)
        if row is None:
            return None
        row["request"] = json.loads(row["request"])
        counts = self._one(
            "SELECT count(*) AS n, coalesce(sum(passed), 0) AS passed, "
            "coalesce(sum(reused), 0) AS reused FROM assets WHERE run = :id",
            id=rid,
        )
        assert counts is not None
        n, passed = int(counts["n"]), int(counts["passed"])
        row["counts"] = {
            "total": row.pop("total"),
            "finished": n,
            "passed": passed,
            "failed": n - passed,
            "reused": int(counts["reused"]),
        }
        return row

    def runs(self, campaign: str | None = None) -> list[dict[str, Any]]:
        ids = self._all(
            "SELECT id FROM runs WHERE :c IS NULL OR campaign = :c ORDER BY created DESC",
            c=campaign,
        )
        return [r for i in ids if (r := self.run(i["id"])) is not None]

    def runs_in(self, *states: str) -> list[str]:
        rows = self._all("SELECT id, status FROM runs ORDER BY created")
        return [r["id"] for r in rows if r["status"] in states]

    def claim(self, rid: str) -> bool:
        """Mark a queued run running; False when another worker took it first."""
        with self._tx() as c:
            res = c.execute(
                self._sa.text(
                    "UPDATE runs SET status = 'running', started = :t "
                    "WHERE id = :id AND status = 'queued'"
                ),
                {"id": rid, "t": time.time()},
            )
            return bool(res.rowcount)

    def requeue_interrupted(self) -> list[str]:
        """Runs left `running` by a service that died: queued again (the ledger resumes
        them where they stopped)."""
        ids = self.runs_in("running")
        for rid in ids:
            self._exec("UPDATE runs SET status = 'queued' WHERE id = :id", id=rid)
        return ids

    def finish_run(self, rid: str, status: str, error: str | None = None) -> None:
        assert status in ("done", "failed")
        self._exec(
            "UPDATE runs SET status = :s, error = :e, finished = :t WHERE id = :id",
            s=status,
            e=error,
            t=time.time(),
            id=rid,
        )
        run = self.run(rid)
        assert run is not None
        data = {"run": rid, "status": status, "error": error, "counts": run["counts"]}
        self.add_event(rid, "run.finished", data)

    # --- assets -------------------------------------------------------------------------
    def has_asset(self, rid: str, name: str) -> bool:
        row = self._one("SELECT name FROM assets WHERE run = :r AND name = :n", r=rid, n=name)
        return row is not None

    def record_asset(self, rid: str, a: dict[str, Any]) -> None:
        """One finished asset and its event, in one transaction: a kill between the two
        cannot leave an asset without its event or the reverse."""
        sa = self._sa
        with self._tx() as c:
            c.execute(
                sa.text("DELETE FROM assets WHERE run = :r AND name = :n"),
                {"r": rid, "n": a["name"]},
            )
            c.execute(
                sa.text("INSERT INTO assets VALUES (:r, :n, :p, :re, :rt, :s, :e, :i, :m, :f)"),
                {
                    "r": rid,
                    "n": a["name"],
                    "p": int(a["passed"]),
                    "re": int(a["reused"]),
                    "rt": a["retries"],
                    "s": a["seconds"],
                    "e": a["error"],
                    "i": a["image"],
                    "m": a["manifest"],
                    "f": json.dumps(a["findings"], ensure_ascii=False, default=str),
                },
            )
            brief = {k: a[k] for k in ("name", "passed", "reused", "retries", "error")}
            self._event(c, rid, "asset.finished", {"run": rid, **brief})
            if not a["passed"]:
                self._event(c, rid, "asset.failed", {"run": rid, **brief})

    def assets(self, rid: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT * FROM assets WHERE run = :r ORDER BY name", r=rid)
        for r in rows:
            r["passed"], r["reused"] = bool(r["passed"]), bool(r["reused"])
            r["findings"] = json.loads(r["findings"])
            del r["run"]
        return rows

    # --- events and webhooks ----------------------------------------------------------
    def _event(self, c: Any, rid: str, kind: str, data: dict[str, Any]) -> None:
        sa = self._sa
        res = c.execute(
            sa.text(
                "INSERT INTO events (run, kind, data, ts) VALUES (:r, :k, :d, :t) RETURNING id"
            ),
            {"r": rid, "k": kind, "d": json.dumps(data, ensure_ascii=False), "t": time.time()},
        )
        eid = int(res.scalar_one())
        if kind not in WEBHOOK_EVENTS:
            return
        for h in c.execute(sa.text("SELECT id, events FROM webhooks")).fetchall():
            if kind in h[1].split(","):
                c.execute(
                    sa.text(
                        "INSERT INTO deliveries (webhook, event, attempts, next_at, status) "
                        "VALUES (:w, :e, 0, :t, 'pending')"
                    ),
                    {"w": h[0], "e": eid, "t": time.time()},
                )

    def add_event(self, rid: str, kind: str, data: dict[str, Any]) -> None:
        with self._tx() as c:
            self._event(c, rid, kind, data)

    def events(self, rid: str, after: int = 0) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT id, kind, data, ts FROM events WHERE run = :r AND id > :a ORDER BY id",
            r=rid,
            a=after,
        )
        for r in rows:
            r["data"] = json.loads(r["data"])
        return rows

    def add_webhook(self, url: str, events: Sequence[str]) -> dict[str, Any]:
        hid, secret = new_id("hook"), "whsec_" + secrets.token_urlsafe(32)
        self._exec(
            "INSERT INTO webhooks VALUES (:id, :url, :s, :ev, :t)",
            id=hid,
            url=url,
            s=secret,
            ev=",".join(events),
            t=time.time(),
        )
        return {"id": hid, "url": url, "events": list(events), "secret": secret}

    def webhooks(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT id, url, events, created FROM webhooks ORDER BY created")
        return [{**r, "events": r["events"].split(",")} for r in rows]

    def due_deliveries(self, now: float) -> list[dict[str, Any]]:
        return self._all(
            "SELECT d.id, d.attempts, h.url, h.secret, e.kind, e.data, e.id AS event "
            "FROM deliveries d JOIN webhooks h ON h.id = d.webhook "
            "JOIN events e ON e.id = d.event "
            "WHERE d.status = 'pending' AND d.next_at <= :now ORDER BY d.id",
            now=now,
        )

    def delivery_result(
        self, did: int, status: str, attempts: int, next_at: float, error: str | None
    ) -> None:
        self._exec(
            "UPDATE deliveries SET status = :s, attempts = :a, next_at = :n, last_error = :e "
            "WHERE id = :id",
            s=status,
            a=attempts,
            n=next_at,
            e=error,
            id=did,
        )

    def deliveries(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM deliveries ORDER BY id")
