"""The spring-sale images are byte-identical to the digest recorded before the architecture
step (issue 11). The recorded manifests matched too when that step landed; they are not
checked here because validators may rightly change their findings' messages later. The
digest only holds for the toolchain it was made with (fonts rasterise differently in another
FreeType), so another toolchain skips, saying so."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from PIL import Image

from copyplate.layouts.loader import load_campaign
from copyplate.pipeline.run import run_batch
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it

DIGEST = Path(__file__).with_name("data") / "spring_sale.sha256"
PIXELS = Path(__file__).with_name("data") / "spring_sale.pixels.sha256"


def _recorded(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return dict(
        (name, digest)
        for digest, name in (line.split() for line in text.splitlines() if line[:1] != "#")
    )


def pixel_digest(path: Path) -> str:
    """sha256 of the decoded image: mode, size, raw pixels (not how they were encoded)."""
    with Image.open(path) as im:
        im.load()
        head = f"{im.mode} {im.width}x{im.height}\n".encode()
        return hashlib.sha256(head + im.tobytes()).hexdigest()


def _toolchain() -> str:
    import isal
    import numpy
    import torch
    from PIL import __version__, features

    return (
        f"pillow={__version__} freetype={features.version('freetype2')} "
        f"raqm={features.version('raqm')} harfbuzz={features.version('harfbuzz')} "
        f"torch={torch.__version__} numpy={numpy.__version__} "
        f"isal={isal.__version__} simd={_simd()}"
    )


def _simd() -> str:
    """The widest vector unit ISA-L's deflate dispatches to: its matches, so the PNG
    bytes (not the pixels), may differ between them."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text(encoding="utf-8").split())
    except OSError:
        return "unknown"
    return next((f for f in ("avx512f", "avx2", "avx") if f in flags), "base")


def test_spring_sale_is_byte_identical(tmp_path: Path) -> None:
    text = DIGEST.read_text(encoding="utf-8")
    recorded = re.search(r"^# toolchain: (.*)$", text, re.M)
    assert recorded is not None
    if recorded.group(1) != _toolchain():
        pytest.skip(f"digest made with {recorded.group(1)}, this is {_toolchain()}")
    want = _recorded(DIGEST)
    lc = load_campaign(SAMPLES / "spring-sale" / "campaign.json")
    _, results = run_batch(lc, tmp_path, workers=2)
    assert all(r.passed for r in results)
    got = {
        f"./{p.relative_to(tmp_path)}": hashlib.sha256(p.read_bytes()).hexdigest()
        for p in tmp_path.rglob("*")
        if p.suffix == ".png" and ".plates" not in p.parts
    }
    want = {k: v for k, v in want.items() if k.endswith(".png")}
    assert got.keys() == want.keys()
    changed = sorted(k for k in want if got[k] != want[k])
    assert not changed, f"{len(changed)} files changed, e.g. {changed[:3]}"
    # The PNG bytes above were re-recorded when the encoder's zlib level changed (issue
    # 15); the pixels were recorded from the files that matched the bytes before it.
    pixels = _recorded(PIXELS)
    assert pixels.keys() == want.keys()
    moved = sorted(k for k in pixels if pixel_digest(tmp_path / k) != pixels[k])
    assert not moved, f"{len(moved)} images' pixels changed, e.g. {moved[:3]}"
