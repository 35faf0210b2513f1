from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Print what this machine can do on every run, as Pillow's test suite does."""
    from copyplate.capabilities import gather

    caps = gather()
    have = ", ".join(c.name for c in caps if c.ok)
    lack = ", ".join(c.name for c in caps if not c.ok) or "nothing"
    return [f"copyplate capabilities: {have}", f"copyplate missing: {lack}"]


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`copyplate ARGS...` in a fresh interpreter, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "copyplate.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def sample_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of a sample campaign folder; returns its campaign.json path."""

    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(SAMPLES / name, dst)
        return dst / "campaign.json"

    return make


def edit_json(path: Path, fn: Callable[[Any], None]) -> None:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


@pytest.fixture
def images_api(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fake OpenAI Images API on localhost, with the SDK pointed at it the way a user
    would: OPENAI_API_KEY and OPENAI_BASE_URL."""
    from copyplate.renderers.openai_images import client_for
    from tests.fake_images_api import KEY, FakeImagesAPI

    api = FakeImagesAPI().start()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", api.base_url)
    client_for.cache_clear()
    yield api
    api.stop()
    client_for.cache_clear()
