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


def test_an_unwritable_output_is_one_line_and_exit_4(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The machine refusing a write (full disk, read-only folder) is not a bug: exit 4 with
    one line, not 70. procfs refuses new files even for root."""
    code = main(
        [
            "plate",
            "--prompt",
            "p",
            "--palette",
            "#112233",
            "--size",
            "64x64",
            "--model",
            "gradient",
            "-o",
            "/proc/copyplate-plate.png",
        ]
    )
    err = capsys.readouterr().err
    assert code == 4 and "cannot use" in err and "Traceback" not in err, err


def test_empty_list_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`--locales ,` used to mean every locale."""
    path = str(SAMPLES / "spring-sale" / "campaign.json")
    assert main(["plan", path, "--locales", ","]) == 2
    assert "--locales" in capsys.readouterr().err


def test_plan_shows_a_derived_stack_its_type_scale_and_harmony_bands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    flow = str(SAMPLES / "flow-sale" / "campaign.json")
    assert main(["plan", flow, "--sizes", "728x90", "--locales", "en-US,ar-SA", "--harmony"]) == 0
    err = capsys.readouterr().err
    assert "728x90: 728x90, derived from 'landscape', type x0.1433" in err
    assert "  stack copy: row in box [36, 9, 656, 72]" in err  # the column turned
    assert "  headline: flows in stack copy, 10..14 px" in err
    # Bands are planned over all the campaign's locales, listed per locale.
    band = next(ln for ln in err.splitlines() if ln.startswith("harmony 728x90 headline: "))
    assert "ar-SA" in band and "de-DE" in band and "en-US" in band
