"""A batch of derived sizes (issue 14): worker processes load the campaign file, which has
no such size, and derive it as the driver did."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from copyplate.pipeline.job import RunOptions
from copyplate.pipeline.run import run_batch
from tests.renderers.copy.helpers import campaign, text_region


def test_derived_sizes_run_in_worker_processes(tmp_path: Path) -> None:
    lc = campaign(
        tmp_path / "c",
        [text_region("head", min_font_px=16, max_font_px=48, max_lines=2)],
        {"en-US": {"head": "Spring Sale"}, "de-DE": {"head": "Frühlings-Sale"}},
        800,
        400,
    )
    out = tmp_path / "out"
    _, results = run_batch(
        lc,
        out,
        sizes=["600x300", "iab-mrec"],
        plate_backend="gradient",
        options=RunOptions(validate=False),
        workers=2,
    )
    assert [r.job.name for r in results] == [
        "600x300/en-US",
        "600x300/de-DE",
        "iab-mrec/en-US",
        "iab-mrec/de-DE",
    ]
    assert all(r.passed and not r.error for r in results), [r.error for r in results]
    assert Image.open(out / "iab-mrec" / "de-DE.png").size == (300, 250)
    manifest = json.loads((out / "600x300" / "en-US.json").read_text(encoding="utf-8"))
    # The master's box in fractions (0.05, 0.1, 0.9, 0.8) on the derived canvas.
    assert manifest["regions"][0]["box"] == [30, 30, 540, 240]
