from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import RunOptions, run_batch
from copyplate.renderers.plates.cache import PlateCache
from tests.conftest import SAMPLES, run_cli

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


def test_second_run_makes_no_plate(tmp_path: Path) -> None:
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    cache = PlateCache(tmp_path / "cache")
    run_batch(
        lc,
        tmp_path / "a",
        ["de-DE", "fr-FR"],
        None,
        "gradient",
        options=RunOptions(validate=False),
        plate_cache=cache,
    )
    assert (cache.hits, cache.misses) == (0, 3)  # one plate per size, shared by locales
    again = PlateCache(tmp_path / "cache")
    _, results = run_batch(
        lc,
        tmp_path / "b",
        ["de-DE", "fr-FR"],
        None,
        "gradient",
        options=RunOptions(validate=False),
        plate_cache=again,
    )
    assert (again.hits, again.misses) == (3, 0)
    for r in results:
        a = Image.open(tmp_path / "a" / r.image)
        b = Image.open(tmp_path / "b" / r.image)
        assert a.tobytes() == b.tobytes()
    man = json.loads((tmp_path / "b" / results[0].manifest).read_text(encoding="utf-8"))
    assert man["plate"]["seed"] == 2027 and man["plate"]["model"].startswith("copyplate/")
    assert len(man["plate"]["key"]) == 64


def test_damaged_cache_entry_is_remade(tmp_path: Path) -> None:
    cache = PlateCache(tmp_path)
    cache.put("ab" * 32, Image.new("RGB", (8, 8), "red"))
    cache.path("ab" * 32).write_bytes(b"not a png")
    assert cache.get("ab" * 32) is None


def test_plate_command(tmp_path: Path) -> None:
    out = tmp_path / "p.png"
    r = run_cli(
        "plate",
        "--prompt",
        "dusk glow",
        "--palette",
        "#14161F,#3B3F5C,#F4B860",
        "--seed",
        "4",
        "--size",
        "640x360",
        "--model",
        "gradient",
        "-o",
        str(out),
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size == (640, 360)
    bad = run_cli("plate", "--prompt", "x", "--palette", "blue", "-o", str(out), timeout=300)
    assert bad.returncode == 2 and "--palette" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli(
        "plate",
        "--prompt",
        "x",
        "--palette",
        "#000000",
        "--size",
        "9x9",
        "-o",
        str(out),
        timeout=300,
    )
    assert bad.returncode == 2 and "--size" in bad.stderr
