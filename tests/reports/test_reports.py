"""report.json, junit.xml and report.html of a batch with a passing and a failing asset."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from copyplate.pipeline.run import run_batch
from copyplate.reports.assemble import THUMBS
from copyplate.reports.html import thumb_path, thumbnail
from tests.renderers.copy.helpers import campaign, text_region

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("reports")
    lc = campaign(
        tmp / "c",
        [
            text_region("head", max_font_px=40, box={"x": 0.05, "y": 0.05, "w": 0.6, "h": 0.4}),
            # Fine in en-US; in de-DE the payload is long and the box cannot hold 6 px modules.
            {
                "id": "qr",
                "kind": "qr",
                "copy": "url",
                "min_module_px": 6,
                "box": {"x": 0.7, "y": 0.05, "w": 0.28, "h": 0.6},
            },
        ],
        {
            "en-US": {"head": "Spring Sale", "url": "https://l.example/a"},
            "de-DE": {
                "head": "Frühlings-Sale",
                "url": "https://lumen.example/de/fruehling?utm_campaign=spring27&x=1",
            },
        },
    )
    out = tmp / "out"
    html, results = run_batch(lc, out, plate_backend="gradient")
    assert html == out / "report.html"
    assert [r.passed for r in results] == [True, False]
    return out


def test_report_json_has_what_the_html_needs(run_dir: Path) -> None:
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert (report["passed"], report["failed"]) == (1, 1)
    bad = next(a for a in report["assets"] if not a["passed"])
    qr = next(r for r in bad["regions"] if r["id"] == "qr")
    assert not qr["passed"] and any(f["check"] == "qr.module_size" for f in qr["failed"])
    assert qr["attempts"] and qr["attempts"][0]["changed"] == {"ecc": "Q"}
    assert bad["plate"]["seed"] == 0 and bad["width"] == 800


def test_junit_has_one_case_per_asset(run_dir: Path) -> None:
    suite = ET.parse(run_dir / "junit.xml").getroot()
    cases = suite.findall("testcase")
    assert suite.get("tests") == "2" and suite.get("failures") == "1" and len(cases) == 2
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["de-DE"]
    assert "qr.module_size" in (failed[0].find("failure").text or "")  # type: ignore[union-attr]


def test_html_is_self_contained_and_filterable(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert page.count('class="card') == 2
    assert 'data-status="fail"' in page and 'data-status="pass"' in page
    assert 'id="f-locale"' in page and 'id="f-size"' in page and 'id="f-status"' in page
    assert page.count("data:image/jpeg;base64,") == 2
    # Failing regions are outlined; the passing asset has no outline.
    assert len(re.findall(r"<rect [^>]*stroke=\"#c8462b\"", page)) == 1
    # Nothing is fetched from elsewhere.
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "qr.module_size" in page and "retry attempt" in page


def test_thumbnails_are_kept_by_the_worker_and_match_the_written_image(run_dir: Path) -> None:
    """The worker keeps each asset's thumbnail from the pixels in memory; the report uses
    it, and it is what decoding the written PNG gives (so a rerun decodes nothing)."""
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    kept = []
    for a in report["assets"]:
        path = thumb_path(run_dir / a["image"], run_dir / THUMBS)
        assert path is not None and path.is_file()
        with Image.open(run_dir / a["image"]) as im:
            assert path.read_bytes() == thumbnail(im)
        assert base64.b64encode(path.read_bytes()).decode("ascii") in page
        kept.append(path)
    assert sorted((run_dir / THUMBS).glob("*.jpg")) == sorted(kept)
