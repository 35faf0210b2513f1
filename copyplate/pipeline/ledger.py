"""The run ledger: one SQLite row per job, in the output folder, so a batch never loses work.

Each row carries a content hash of everything that determines the asset (the campaign as
loaded, that locale's copy, size, variant, plate model, copyplate's version, whether it was
validated). A resumed run skips jobs that are done with the same hash and whose files are
still there, and redoes missing, failed or changed ones. WAL mode keeps readers (a report,
a review app) from blocking the writer.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from copyplate import __version__
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import Price
from copyplate.pipeline.plan import Job

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name TEXT PRIMARY KEY,
    campaign TEXT NOT NULL, locale TEXT NOT NULL, size TEXT NOT NULL, variant TEXT NOT NULL,
    hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'failed', 'error')),
    passed INTEGER NOT NULL,
    image TEXT, manifest TEXT,
    seconds REAL, retries INTEGER,
    findings TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def plan_hash(lc: LoadedCampaign, sizes: list[str], variants: list[str]) -> str:
    """Content hash of what a batch-wide plan (harmony) is a function of: the campaign as
    loaded, every locale's copy (the band spans all locales), the sizes and variants run
    and copyplate's version; the same inputs a job's hash trusts."""
    copy = {
        loc: {
            k: {"amount": str(e.value.amount), "currency": e.value.currency}
            if isinstance(e.value, Price)
            else e.value
            for k, e in sorted(entries.items())
        }
        for loc, entries in sorted(lc.copy.items())
    }
    blob = json.dumps(
        {
            "campaign": lc.campaign.model_dump(mode="json", by_alias=True, exclude={"schema_"}),
            "copy": copy,
            "sizes": sizes,
            "variants": variants,
            "copyplate": __version__,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def job_hash(lc: LoadedCampaign, job: Job, plate_model: str, options: dict[str, Any]) -> str:
    """Content hash of everything that makes this job's asset what it is."""
    copy = {}
    for key, entry in sorted(lc.copy.get(job.locale, {}).items()):
        v = entry.value
        copy[key] = {"amount": str(v.amount), "currency": v.currency} if isinstance(v, Price) else v
    blob = json.dumps(
        {
            "campaign": lc.campaign.model_dump(mode="json", by_alias=True, exclude={"schema_"}),
            "copy": copy,
            "job": job.as_dict(),
            "plate_model": plate_model,
            "options": options,
            "copyplate": __version__,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def done(self, job: Job, digest: str, out: Path) -> dict[str, Any] | None:
        """The recorded result if this job is done with this hash and its files exist."""
        row = self.db.execute(
            "SELECT image, manifest, passed, seconds, retries, findings FROM jobs "
            "WHERE name = ? AND hash = ? AND status = 'done'",
            (job.name, digest),
        ).fetchone()
        if row is None or not all((out / p).is_file() for p in row[:2]):
            return None
        return {
            "image": row[0],
            "manifest": row[1],
            "passed": bool(row[2]),
            "seconds": row[3],
            "retries": row[4],
            "findings": json.loads(row[5]),
        }

    def record(
        self,
        job: Job,
        digest: str,
        status: str,
        passed: bool = False,
        image: str | None = None,
        manifest: str | None = None,
        seconds: float = 0.0,
        retries: int = 0,
        findings: list[dict[str, Any]] | None = None,
        error: str | None = None,
    ) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    job.name,
                    job.campaign,
                    job.locale,
                    job.size,
                    job.variant,
                    digest,
                    status,
                    int(passed),
                    image,
                    manifest,
                    seconds,
                    retries,
                    json.dumps(findings or [], ensure_ascii=False, default=str),
                    error,
                    time.time(),
                ),
            )

    def memo(self, key: str) -> Any:
        """A value `remember`ed under `key` (JSON data), or None."""
        row = self.db.execute("SELECT value FROM memo WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def remember(self, key: str, value: Any) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO memo VALUES (?, ?)",
                (key, json.dumps(value, sort_keys=True)),
            )

    def rows(self) -> list[dict[str, Any]]:
        cur = self.db.execute("SELECT * FROM jobs ORDER BY name")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
