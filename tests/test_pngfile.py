"""Asset PNGs written by copyplate/pngfile.py: any decoder reads the same pixels, the ICC
profile and the XMP packet back; other modes are refused; the bytes are stable."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from copyplate.pipeline.asset import srgb_profile
from copyplate.pngfile import XMP_KEY, encode_png


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
def test_pixels_profile_and_xmp_read_back(mode: str) -> None:
    rng = np.random.default_rng(1)
    bands = len(mode)
    shape = (37, 53, bands) if bands > 1 else (37, 53)
    # grain and a flat patch: every Up difference wraps somewhere
    px = rng.integers(0, 256, shape, dtype=np.uint8)
    px[10:20] = 255
    image = Image.fromarray(px, mode)
    xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/">é ✓</x:xmpmeta>'.encode()
    blob = encode_png(image, srgb_profile(), xmp)
    with Image.open(io.BytesIO(blob)) as back:
        assert back.format == "PNG" and back.mode == mode and back.size == (53, 37)
        assert np.array_equal(np.asarray(back), px)
        assert back.info["icc_profile"] == srgb_profile()
        assert back.info[XMP_KEY] == xmp.decode()
    assert encode_png(image, srgb_profile(), xmp) == blob


def test_bare_file_and_refused_mode() -> None:
    image = Image.new("RGB", (1, 1), (1, 2, 3))
    with Image.open(io.BytesIO(encode_png(image))) as back:
        assert back.getpixel((0, 0)) == (1, 2, 3)
        assert "icc_profile" not in back.info
    with pytest.raises(ValueError, match="mode 'P'"):
        encode_png(Image.new("P", (4, 4)))
