"""The layer contracts (pyproject.toml [tool.importlinter], docs/architecture.md) hold, and
they are not vacuous: one added back-edge makes `lint-imports` fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "copyplate", tmp_path / "copyplate")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_contracts_hold(tree: Path) -> None:
    r = _lint(tree)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 kept, 0 broken" in r.stdout


@pytest.mark.parametrize(
    ("module", "edge", "contract"),
    [
        # layouts -> pipeline: a lower layer reaching up
        ("layouts/geometry.py", "import copyplate.pipeline.run", "layers"),
        # validators -> renderers: the two middle layers are independent
        ("validators/regex.py", "import copyplate.renderers.copy.base", "layers"),
        # a leaf importing a layer
        ("findings.py", "import copyplate.layouts.models", "leaf modules"),
    ],
)
def test_a_back_edge_fails(tree: Path, module: str, edge: str, contract: str) -> None:
    path = tree / "copyplate" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{edge}  # noqa\n", encoding="utf-8")
    r = _lint(tree)
    assert r.returncode != 0
    assert "1 broken" in r.stdout
    broken = [line for line in r.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1 and broken[0].startswith(contract), r.stdout
