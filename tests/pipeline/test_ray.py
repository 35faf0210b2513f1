"""`--executor ray` on a real local Ray started by the test: same assets, same ledger."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import run_batch
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_batch_matches_the_local_one(local_ray: None, tmp_path: Path) -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    kw = {"locales": ["de-DE", "he-IL"], "sizes": ["square", "story"], "plate_backend": "gradient"}
    _, local = run_batch(lc, tmp_path / "local", **kw)  # type: ignore[arg-type]
    _, remote = run_batch(lc, tmp_path / "ray", executor="ray", **kw)  # type: ignore[arg-type]
    assert [r.job.name for r in remote] == [r.job.name for r in local]
    assert all(r.passed for r in remote)
    for a, b in zip(local, remote, strict=True):
        assert (tmp_path / "local" / a.image).read_bytes() == (
            tmp_path / "ray" / b.image
        ).read_bytes()
    with sqlite3.connect(tmp_path / "ray" / "ledger.sqlite") as db:
        assert db.execute("SELECT count(*) FROM jobs WHERE status = 'done'").fetchone()[0] == 4
    # Resuming on Ray reuses the ledger like a local run.
    _, again = run_batch(lc, tmp_path / "ray", executor="ray", **kw)  # type: ignore[arg-type]
    assert all(r.reused for r in again)
