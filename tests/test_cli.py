from __future__ import annotations

import json
from pathlib import Path

import pytest

from copyplate.cli import main
from tests.conftest import SAMPLES

SPRING = str(SAMPLES / "spring-sale" / "campaign.json")


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "copyplate campaign"


def test_schema_check_passes_on_the_packaged_file() -> None:
    assert main(["schema", "--check"]) == 0


def test_doctor_lists_capabilities(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--json"])
    caps = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert {"raqm", "tessdata", "zxingcpp", "zbar", "torch", "cuda", "fonts:Arab"} <= set(caps)
    required_ok = all(c["ok"] for c in caps.values() if c["required"])
    assert code == (0 if required_ok else 3)


def test_plan_counts_locales_times_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", SPRING, "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)
    assert len(jobs) == 17 * 3
    assert len({(j["locale"], j["size"]) for j in jobs}) == 51


def test_plan_filters_and_rejects_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", SPRING, "--locales", "de-DE,ar-SA", "--sizes", "story", "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)
    assert [(j["locale"], j["size"]) for j in jobs] == [("de-DE", "story"), ("ar-SA", "story")]
    assert main(["plan", SPRING, "--locales", "de-AT"]) == 2
    assert "unknown locale 'de-AT'" in capsys.readouterr().err


def test_demo_writes_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert "report:" in capsys.readouterr().out
    assert (tmp_path / "report.json").is_file()
