"""Nothing loads that a run does not need (issue 15): a rerun with every job done, or a run
whose plates are all in the plate cache, never imports torch or diffusers (the plate model
is not loaded); `copyplate plate` with a backend that needs no model imports neither.

Each command runs in a fresh interpreter, which then lists the heavy modules it holds.
The cold run must list them (it makes plates with the built-in model): that proves the
probe sees an import, so an empty list on the other runs means something."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.renderers.copy.helpers import campaign, text_region

pytestmark = pytest.mark.slow  # makes real plates with the built-in model

HEAVY = ("torch", "diffusers", "transformers")
PROBE = f"""
import json, sys
from copyplate.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
roots = sorted({{m.split(".")[0] for m in heavy}})
print("PROBE " + json.dumps({{"exit": code, "heavy": roots, "n": len(heavy)}}))
"""


def probe(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """`copyplate ARGS...` in a fresh interpreter: its exit code and heavy modules."""
    r = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("PROBE ")), None)
    assert line is not None, r.stdout + r.stderr
    result: dict[str, Any] = json.loads(line.removeprefix("PROBE "))
    return result


def test_done_and_cached_runs_import_no_torch(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path / "c",
        [text_region("head", max_font_px=40)],
        {"en-US": {"head": "Spring Sale"}, "de-DE": {"head": "Frühlings-Sale"}},
        400,
        200,
    )
    cache = str(tmp_path / "plates")
    run = ["run", str(lc.path), "--plate-cache", cache, "--workers", "1"]
    cold = probe(*run, "--out", str(tmp_path / "a"))
    assert cold["exit"] == 0
    assert cold["n"] > 0, "the cold run made built-in plates: the probe must see torch"
    # Every job done: the ledger answers before anything heavy is imported.
    noop = probe(*run, "--out", str(tmp_path / "a"))
    assert (noop["exit"], noop["heavy"]) == (0, [])
    # A new folder, every plate in the cache: assets are made, the model is not loaded.
    warm = probe(*run, "--out", str(tmp_path / "b"))
    assert (warm["exit"], warm["heavy"]) == (0, [])
    assert (tmp_path / "b" / "s" / "de-DE.png").is_file()


def test_plate_cli_imports_only_its_backend(tmp_path: Path) -> None:
    args = ["plate", "--prompt", "spring", "--palette", "#C8462B,#F4F2EE", "--size", "64x64"]
    gradient = probe(*args, "--model", "gradient", "-o", str(tmp_path / "g.png"))
    assert (gradient["exit"], gradient["heavy"]) == (0, [])
    builtin = probe(*args, "--model", "builtin", "-o", str(tmp_path / "b.png"))
    assert builtin["exit"] == 0 and "torch" in builtin["heavy"]
    # The first plate on a machine may trace the model's graph (diffusers); once traced,
    # a plate needs torch alone.
    again = probe(*args, "--model", "builtin", "-o", str(tmp_path / "c.png"))
    assert again["exit"] == 0 and again["heavy"] == ["torch"]
