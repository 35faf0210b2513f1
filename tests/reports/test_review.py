"""The review app (FastAPI) and export; then a real browser on the report and the app."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from copyplate.errors import InputError
from copyplate.pipeline.run import run_batch
from copyplate.reports.review import TOKEN_HEADER, RunFolder, create_app
from tests.conftest import run_cli
from tests.renderers.copy.helpers import campaign, text_region

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("review")
    lc = campaign(
        tmp / "c",
        [text_region("head", max_font_px=40)],
        {
            "en-US": {"head": "Spring Sale"},
            "de-DE": {"head": "Frühlings-Sale"},
            "fr-FR": {"head": "Soldes de printemps"},
        },
    )
    run_batch(lc, tmp / "out", plate_backend="gradient")
    return tmp / "out"


def local_client(run_dir: Path) -> tuple[TestClient, dict[str, str]]:
    """A client as the browser on this machine is, and the page's token header."""
    client = TestClient(create_app(run_dir), base_url="http://127.0.0.1:8765")
    page = client.get("/").text
    token = re.search(r'name="copyplate-token" content="([^"]+)"', page)
    assert token is not None
    return client, {TOKEN_HEADER: token.group(1)}


def test_api_stores_decisions_and_refuses_bad_ones(run_dir: Path) -> None:
    client, h = local_client(run_dir)
    page = client.get("/")
    assert page.status_code == 200 and page.text.count('class="card"') == 3
    ok = client.post(
        "/api/review",
        json={"name": "s/de-DE", "decision": "approved", "comment": "good"},
        headers=h,
    )
    assert ok.status_code == 200
    assert client.get("/api/reviews").json()["s/de-DE"]["decision"] == "approved"
    bad = {"name": "s/de-DE", "decision": "maybe"}
    assert client.post("/api/review", json=bad, headers=h).status_code == 422
    unknown = {"name": "s/xx", "decision": "approved"}
    assert client.post("/api/review", json=unknown, headers=h).status_code == 422
    assert client.get("/files/s/de-DE.png").status_code == 200


def test_dns_rebinding_and_cross_site_posts_are_refused(run_dir: Path) -> None:
    """Issue 13: any Host header was accepted, and state changed with no token or Origin."""
    client, h = local_client(run_dir)
    body = {"name": "s/de-DE", "decision": "rejected"}
    rebound = TestClient(create_app(run_dir), base_url="http://evil.example:8765")
    assert rebound.get("/").status_code == 421
    assert rebound.post("/api/review", json=body, headers=h).status_code == 421
    assert client.post("/api/review", json=body).status_code == 403  # no token
    wrong = {**h, "Origin": "http://evil.example"}
    assert client.post("/api/review", json=body, headers=wrong).status_code == 403
    same = {**h, "Origin": "http://127.0.0.1:8765"}
    assert client.post("/api/review", json=body, headers=same).status_code == 200


def test_openapi_is_not_a_500(run_dir: Path) -> None:
    client, _ = local_client(run_dir)
    assert client.get("/openapi.json").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["../c/campaign.json", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "ledger.sqlite", "report.json"],
)
def test_nothing_outside_the_run_is_served(run_dir: Path, path: str) -> None:
    client, _ = local_client(run_dir)
    assert client.get(f"/files/{path}").status_code == 404


def test_serve_refuses_a_public_bind_and_a_bad_port(run_dir: Path) -> None:
    r = run_cli("serve", str(run_dir), "--host", "0.0.0.0")
    assert r.returncode == 2 and "--allow-remote" in r.stderr, r.stderr
    r = run_cli("serve", str(run_dir), "--port", "99999")
    assert r.returncode == 2 and "65535" in r.stderr and "Traceback" not in r.stderr


def _copy_run(run_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(run_dir, dst)
    return dst


def test_export_stays_inside_dest_and_never_overwrites_silently(
    run_dir: Path, tmp_path: Path
) -> None:
    run_copy = _copy_run(run_dir, tmp_path)
    report = json.loads((run_copy / "report.json").read_text(encoding="utf-8"))
    # Crafted: the image path climbs out of DEST (and still names a file of the run).
    report["assets"][0]["image"] = f"x/../../run/{report['assets'][0]['image']}"
    (run_copy / "report.json").write_text(json.dumps(report), encoding="utf-8")
    name = f"{report['assets'][0]['size']}/{report['assets'][0]['locale']}"
    RunFolder(run_copy).decide(name, "approved")
    dest = tmp_path / "dest"
    r = run_cli("export", str(run_copy), "--approved", str(dest))
    assert r.returncode == 2 and "leaves" in r.stderr, r.stderr
    assert not any(dest.rglob("*.png")) and not (tmp_path / "run" / "run").exists()

    clean = _copy_run(run_dir, tmp_path / "b")
    RunFolder(clean).decide("s/en-US", "approved")
    dest = tmp_path / "dest2"
    assert run_cli("export", str(clean), "--approved", str(dest)).returncode == 0
    assert run_cli("export", str(clean), "--approved", str(dest)).returncode == 0  # same bytes
    (dest / "s" / "en-US.png").write_bytes(b"someone else's file")
    r = run_cli("export", str(clean), "--approved", str(dest))
    assert r.returncode == 2 and "--overwrite" in r.stderr
    assert (dest / "s" / "en-US.png").read_bytes() == b"someone else's file"
    r = run_cli("export", str(clean), "--approved", str(dest), "--overwrite")
    assert r.returncode == 0 and (dest / "s" / "en-US.png").read_bytes().startswith(b"\x89PNG")


def test_export_destination_and_run_problems_exit_2(run_dir: Path, tmp_path: Path) -> None:
    run_copy = _copy_run(run_dir, tmp_path)
    RunFolder(run_copy).decide("s/en-US", "approved")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o555)
    cases = [str(a_file), str(run_copy), str(run_copy / "inner")]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append(str(read_only))
    for dest in cases:
        r = run_cli("export", str(run_copy), "--approved", dest)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (dest, r.stderr)
    (run_copy / "ledger.sqlite").write_bytes(b"not a database" * 100)
    for wal in run_copy.glob("ledger.sqlite-*"):
        wal.unlink()
    r = run_cli("export", str(run_copy), "--approved", str(tmp_path / "d"))
    assert r.returncode == 2 and "ledger" in r.stderr, r.stderr
    for bad in ('{"assets": 1}', '{"assets": [1]}', '{"assets": [{"size": 1}]}', "[]"):
        (run_copy / "report.json").write_text(bad, encoding="utf-8")
        r = run_cli("export", str(run_copy), "--approved", str(tmp_path / "d"))
        assert r.returncode == 2 and "Traceback" not in r.stderr, (bad, r.stderr)


def test_export_copies_only_approved(run_dir: Path, tmp_path: Path) -> None:
    run = RunFolder(run_dir)
    run.decide("s/fr-FR", "rejected", "kerning")
    run.decide("s/en-US", "approved")
    copied = run.export(tmp_path / "dest")
    assert "s/en-US" in copied and "s/fr-FR" not in copied
    assert (tmp_path / "dest" / "s" / "en-US.png").is_file()
    assert not (tmp_path / "dest" / "s" / "fr-FR.png").exists()
    with pytest.raises(InputError, match="not a copyplate run"):
        RunFolder(tmp_path)


# --- a real browser -----------------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server(run_dir: Path) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(create_app(run_dir), host="127.0.0.1", port=port, log_level="warning")
    )
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(10)


def test_browser_filters_the_report_and_approves_in_the_app(
    run_dir: Path, server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        page = browser.new_page()
        # The static report, from disk: filter by locale.
        page.goto((run_dir / "report.html").as_uri())
        assert page.locator(".card:visible").count() == 3
        page.select_option("#f-locale", "de-DE")
        assert page.locator(".card:visible").count() == 1
        assert page.locator("#shown").inner_text() == "1"
        # The review app: filter, comment, approve one asset.
        page.goto(server + "/")
        page.select_option("#f-locale", "fr-FR")
        card = page.locator('.card[data-name="s/fr-FR"]')
        assert page.locator(".card:visible").count() == 1
        card.locator(".comment").fill("ship it")
        card.locator("button.approve").click()
        page.wait_for_function(
            "document.querySelector('.card[data-name=\"s/fr-FR\"]').dataset.state === 'approved'"
        )
        assert card.locator("img").evaluate("i => i.naturalWidth") > 0
        browser.close()
    stored = RunFolder(run_dir).reviews()["s/fr-FR"]
    assert stored["decision"] == "approved" and stored["comment"] == "ship it"
