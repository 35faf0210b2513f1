"""The run ledger: resume skips what is done, redoes what changed, and survives kill -9."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import RunOptions, run_batch
from tests.conftest import SAMPLES, run_cli

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


def sample(tmp: Path) -> Path:
    shutil.copytree(SAMPLES / "spring-sale", tmp / "c")
    return tmp / "c" / "campaign.json"


def test_resume_reuses_done_jobs_and_redoes_changed_ones(tmp_path: Path) -> None:
    path = sample(tmp_path)
    out = tmp_path / "out"
    kw = {
        "locales": ["de-DE", "fr-FR"],
        "sizes": ["square", "landscape"],
        "plate_backend": "gradient",
        "options": RunOptions(validate=False),
    }
    _, first = run_batch(load_campaign(path), out, **kw)  # type: ignore[arg-type]
    assert len(first) == 4 and not any(r.reused for r in first)
    _, again = run_batch(load_campaign(path), out, **kw)  # type: ignore[arg-type]
    assert all(r.reused for r in again)
    # Change the German copy only: only German jobs are redone.
    csv = path.parent / "copy" / "strings.csv"
    csv.write_text(
        csv.read_text(encoding="utf-8").replace("Jetzt shoppen", "Jetzt kaufen"), encoding="utf-8"
    )
    _, third = run_batch(load_campaign(path), out, **kw)  # type: ignore[arg-type]
    redone = sorted(r.job.name for r in third if not r.reused)
    assert redone == ["landscape/de-DE", "square/de-DE"]
    # A deleted asset is made again.
    (out / "square" / "fr-FR.png").unlink()
    _, fourth = run_batch(load_campaign(path), out, **kw)  # type: ignore[arg-type]
    assert [r.job.name for r in fourth if not r.reused] == ["square/fr-FR"]


def test_workers_make_the_same_assets(tmp_path: Path) -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    kw = {
        "locales": ["de-DE", "ja-JP"],
        "sizes": ["square"],
        "plate_backend": "gradient",
        "options": RunOptions(validate=False),
    }
    _, one = run_batch(lc, tmp_path / "one", **kw)  # type: ignore[arg-type]
    _, two = run_batch(lc, tmp_path / "two", workers=2, **kw)  # type: ignore[arg-type]
    for a, b in zip(one, two, strict=True):
        assert (tmp_path / "one" / a.image).read_bytes() == (
            tmp_path / "two" / b.image
        ).read_bytes()


def test_kill_9_then_resume_leaves_every_asset_exactly_once(tmp_path: Path) -> None:
    path = sample(tmp_path)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "copyplate.cli",
        "run",
        str(path),
        "--out",
        str(out),
        "--plate-backend",
        "gradient",
        "--no-validate",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    ledger = out / "ledger.sqlite"
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and proc.poll() is None:
        if ledger.exists():
            try:
                with sqlite3.connect(ledger, timeout=1) as db:
                    done = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
            except sqlite3.Error:
                done = 0
            if done >= 6:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 6 <= done < 51

    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "already done with the same inputs" in r.stderr
    pngs = sorted(out.rglob("*.png"))
    jsons = sorted(p for p in out.rglob("*.json") if p.name != "report.json")
    assets = [p for p in pngs if ".plates" not in p.parts]
    assert len(assets) == 51 and len(jsons) == 51
    assert not list(out.rglob("*.tmp"))
    for p in assets:
        with Image.open(p) as im:
            im.load()  # a truncated file would raise here
    with sqlite3.connect(ledger) as db:
        rows = db.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall()
    assert rows == [("done", 51)]


def test_a_locale_without_a_font_fails_alone(tmp_path: Path) -> None:
    path = sample(tmp_path)
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    for chains in data["brand"]["fonts"].values():
        chains.pop("Thai")
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "copyplate.cli",
        "run",
        str(path),
        "--out",
        str(tmp_path / "out"),
        "--plate-backend",
        "gradient",
        "--no-validate",
        "--locales",
        "de-DE,th-TH",
        "--sizes",
        "square",
        "--workers",
        "2",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "no font of role" in r.stderr and "(those assets fail)" in r.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    verdict = {a["locale"]: a for a in report["assets"]}
    assert verdict["de-DE"]["passed"]
    assert not verdict["th-TH"]["passed"]
    assert any(f["check"] == "glyphs.missing" for f in verdict["th-TH"]["findings"])
    # `check` stays strict about the same file.
    chk = run_cli("check", str(path), timeout=120)
    assert chk.returncode == 2
