"""report.html stays usable at 2,000 assets (issue 15): a real browser (Debian's chromium)
opens a 2,000-asset report and filters it in under 2 s, and paging shows every match.

The rows are synthetic (a batch of 2,000 assets takes far too long for a test) but shaped
like report.json's, each with its own thumbnail, failed findings and retry attempts, so
the page is as heavy as a real one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from copyplate.reports.html import PAGE_SIZE, render_html
from tests.reports.test_review import CHROMIUM, FLAGS

pytestmark = pytest.mark.slow  # a browser and 2,000 thumbnails

N = 2000
LOCALES = [f"l{i:02d}-XX" for i in range(40)]
SIZES = ["square", "story", "landscape", "banner", "skyscraper"]
OPEN_AND_FILTER_S = 2.0


def _row(i: int, image: str) -> dict[str, Any]:
    locale, size = LOCALES[i % len(LOCALES)], SIZES[(i // len(LOCALES)) % len(SIZES)]
    passed = i % 7 != 0
    failed = [] if passed else [{"check": "ocr.text", "message": "read 'Sa1e'", "measured": "Sa1e"}]
    attempts = (
        [] if passed else [{"attempt": 1, "because": ["ocr.text"], "changed": {}, "passed": False}]
    )
    return {
        "name": f"{size}/{locale}/{i}",
        "locale": locale,
        "size": size,
        "variant": "default",
        "image": image,
        "passed": passed,
        "error": None,
        "reused": False,
        "seconds": 1.5,
        "width": 1080,
        "height": 1080,
        "plate": {"model": "gradient", "seed": i},
        "regions": [
            {"id": "headline", "passed": passed, "box": [80, 80, 900, 200], "failed": failed,
             "attempts": attempts},
            {"id": "price", "passed": True, "box": [80, 700, 300, 120], "failed": [],
             "attempts": []},
        ],
    }  # fmt: skip


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    # 51 distinct grainy images (a real run's plates are grainy: thumbnails of real
    # weight); every row gets its own thumbnail in the page all the same.
    names = []
    for k in range(51):
        base = np.linspace(0, 255, 1080, dtype=np.float32)[None, :, None] * [1, 0.6, 0.3]
        arr = np.clip(base + rng.normal(0, 12, (1080, 1080, 3)) + k, 0, 255).astype(np.uint8)
        name = f"img/{k}.png"
        (out / "img").mkdir(exist_ok=True)
        Image.fromarray(arr, "RGB").save(out / name, compress_level=1)
        names.append(name)
    assets = [_row(i, names[i % len(names)]) for i in range(N)]
    report = {
        "campaign": "scale",
        "passed": sum(a["passed"] for a in assets),
        "assets": assets,
    }
    page = render_html(report, out, out / ".thumbs")
    assert page.count("data:image/jpeg;base64,") == N
    (out / "report.html").write_text(page, encoding="utf-8")
    return out


def test_a_2000_asset_report_opens_and_filters_in_under_2_s(big_report: Path) -> None:
    from playwright.sync_api import sync_playwright

    locale = LOCALES[3]
    want = sum(1 for i in range(N) if LOCALES[i % len(LOCALES)] == locale)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        page = browser.new_page()
        t = time.perf_counter()
        page.goto((big_report / "report.html").as_uri())
        page.select_option("#f-locale", locale)
        page.wait_for_function(f"document.getElementById('shown').textContent === '{want}'")
        took = time.perf_counter() - t
        # One page of cards is in the document, not 2,000.
        assert page.locator(".card").count() == min(want, PAGE_SIZE)
        assert page.locator(f'.card[data-locale="{locale}"]').count() == min(want, PAGE_SIZE)
        browser.close()
    assert took < OPEN_AND_FILTER_S, f"opened and filtered in {took:.2f} s"


def test_paging_reaches_every_card(big_report: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        page = browser.new_page()
        page.goto((big_report / "report.html").as_uri())
        page.select_option("#f-status", "fail")
        failing = sum(1 for i in range(N) if i % 7 == 0)
        assert page.locator("#shown").inner_text() == str(failing)
        pages = -(-failing // PAGE_SIZE)
        assert page.locator("#page").inner_text() == f"1 / {pages}"
        seen = 0
        for k in range(pages):
            cards = page.locator(".card")
            assert cards.count() == min(PAGE_SIZE, failing - seen)
            assert page.locator('.card[data-status="fail"]').count() == cards.count()
            # Every card of the page shows its thumbnail.
            assert (
                cards.last.locator("img").evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
            )
            seen += cards.count()
            if k < pages - 1:
                page.click("#next")
        assert seen == failing
        assert page.locator("#next").is_disabled()
        browser.close()
