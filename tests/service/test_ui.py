"""The service's UI in Debian's chromium: log in with a token, submit a campaign, watch
the run's progress live, approve an asset, export the approved ones."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reports.test_review import CHROMIUM, FLAGS
from tests.service.helpers import Service, create_token, spring_sale_zip

pytestmark = pytest.mark.slow


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    svc = Service(tmp_path / "data").start()
    yield svc
    svc.stop()


def test_submit_watch_approve_export_in_the_browser(service: Service, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    token = create_token(service.data, "read,submit,review")
    upload = spring_sale_zip(tmp_path / "spring-sale.zip")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        page = browser.new_page(accept_downloads=True)
        page.goto(service.url + "/")
        assert "/ui/login" in page.url
        page.fill("#token", "cpt_wrong")
        page.click("#login")
        assert "unknown token" in page.content()
        page.fill("#token", token)
        page.click("#login")
        page.wait_for_url("**/ui/")
        # The session cookie alone changes nothing: a post without the CSRF token is refused.
        forged = page.request.post(
            service.url + "/webhooks",
            data={"url": "http://127.0.0.1:9/x"},
            fail_on_status_code=False,
        )
        assert forged.status == 403 and "CSRF" in forged.text()

        page.set_input_files("#upload-file", str(upload))
        page.click("#upload")
        row = page.locator("tr.campaign").first
        row.wait_for()
        row.locator(".locales").fill("de-DE, he-IL")
        row.locator(".sizes").fill("square")
        # The plate model is the campaign's (built-in); the progress comes over SSE.
        row.locator("button.start").click()
        page.wait_for_url("**/ui/runs/*")
        page.wait_for_function(
            "document.getElementById('log').children.length >= 1"
            " || document.getElementById('status').textContent === 'done'",
            timeout=120_000,
        )
        page.wait_for_selector("#status:text('done')", timeout=120_000)
        assert page.locator(".card").count() == 2

        card = page.locator('.card[data-name="square/he-IL"]')
        card.locator(".comment").fill("ship it")
        card.locator("button.approve").click()
        page.wait_for_function(
            "document.querySelector('.card[data-name=\"square/he-IL\"]').dataset.state"
            " === 'approved'"
        )
        assert card.locator("img").evaluate("i => i.naturalWidth") > 0
        with page.expect_download() as dl:
            page.click("#export")
        path = tmp_path / "approved.zip"
        dl.value.save_as(path)
        browser.close()
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert "square/he-IL.png" in names and not any("de-DE" in n for n in names)
