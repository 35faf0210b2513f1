"""The review app (FastAPI) and export; then a real browser on the report and the app."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from copyplate.errors import InputError
from copyplate.pipeline.run import run_batch
from copyplate.reports.review import RunFolder, create_app
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


def test_api_stores_decisions_and_refuses_bad_ones(run_dir: Path) -> None:
    client = TestClient(create_app(run_dir))
    page = client.get("/")
    assert page.status_code == 200 and page.text.count('class="card"') == 3
    ok = client.post(
        "/api/review", json={"name": "s/de-DE", "decision": "approved", "comment": "good"}
    )
    assert ok.status_code == 200
    assert client.get("/api/reviews").json()["s/de-DE"]["decision"] == "approved"
    assert (
        client.post("/api/review", json={"name": "s/de-DE", "decision": "maybe"}).status_code == 422
    )
    assert (
        client.post("/api/review", json={"name": "s/xx", "decision": "approved"}).status_code == 422
    )
    assert client.get("/files/s/de-DE.png").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["../c/campaign.json", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "ledger.sqlite", "report.json"],
)
def test_nothing_outside_the_run_is_served(run_dir: Path, path: str) -> None:
    client = TestClient(create_app(run_dir))
    assert client.get(f"/files/{path}").status_code == 404


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
