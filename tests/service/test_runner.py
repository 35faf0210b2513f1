"""kill -9 the service in the middle of a run, start it again: the run resumes through
its ledger and every asset is made and reported exactly once."""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from copyplate.client import Client
from tests.service.helpers import Service, create_token, spring_sale_zip

pytestmark = pytest.mark.slow

LOCALES = ["en-US", "de-DE", "fr-FR", "es-ES", "pl-PL", "ru-RU"]


def _lock_free(path: Path, timeout: float) -> bool:
    deadline = time.time() + timeout
    with path.open("a") as f:
        while time.time() < deadline:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.1)
                continue
            fcntl.flock(f, fcntl.LOCK_UN)
            return True
    return False


def test_kill_9_mid_run_then_restart_resumes_exactly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    svc = Service(data).start()
    token = create_token(data, "read,submit,review")
    client = Client(svc.url, token)
    camp = client.submit(spring_sale_zip(tmp_path / "s.zip"))
    run = client.start_run(camp["id"], LOCALES, ["square"], plate_backend="gradient")
    rid = run["id"]
    deadline = time.time() + 120
    done_before: list[str] = []
    while time.time() < deadline:
        done_before = [a["name"] for a in client.run(rid)["assets"]]
        if len(done_before) >= 2:
            break
        time.sleep(0.1)
    svc.kill()
    killed_at = time.time()
    before = len(done_before)
    assert 2 <= before < len(LOCALES), "the run finished before it could be killed"
    # The run process notices its service is gone and lets go of the run.
    assert _lock_free(data / "runs" / rid / ".lock", 10)
    with sqlite3.connect(data / "service.sqlite") as db:
        status = db.execute("SELECT status FROM runs WHERE id = ?", (rid,)).fetchone()[0]
    assert status == "running"

    again = Service(data).start()
    try:
        client = Client(again.url, token)
        final = client.wait(rid, timeout=300)
        events = [e for e in client.events(rid) if e["event"] == "asset.finished"]
    finally:
        again.stop()
    assert final["status"] == "done", final
    n = final["counts"]
    assert n["finished"] == n["total"] == len(LOCALES)
    # Each asset reported once; the ones finished before the kill were not made again.
    assert Counter(e["data"]["name"] for e in events) == {f"square/{x}": 1 for x in LOCALES}
    out = data / "runs" / rid
    with sqlite3.connect(out / "ledger.sqlite") as db:
        rows = db.execute("SELECT name, status, updated FROM jobs").fetchall()
    assert sorted(r[0] for r in rows) == sorted(f"square/{x}" for x in LOCALES)
    assert {r[1] for r in rows} == {"done"}
    made_after = {r[0] for r in rows if r[2] > killed_at}
    # Made after the restart: all but those finished before the kill (the one in flight
    # at the kill may have reached the ledger but not the service's store).
    assert made_after.isdisjoint(done_before)
    assert len(LOCALES) - before - 1 <= len(made_after) <= len(LOCALES) - before
    assert len(list((out / "square").glob("*.png"))) == len(LOCALES)
    assert not list(out.rglob("*.tmp"))
