"""Self-made test images: cut-outs, photos with a salient spot, EXIF-rotated and CMYK
JPEGs, and a hand-built ICC profile (no profile files ship on the test machines)."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image, ImageDraw

# sRGB's colorants adapted to D50, as in every sRGB ICC profile.
SRGB_D50 = {
    "r": (0.4361, 0.2225, 0.0139),
    "g": (0.3851, 0.7169, 0.0971),
    "b": (0.1431, 0.0606, 0.7141),
}


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def rgb_profile(swap_red_blue: bool) -> bytes:
    """A minimal v2 RGB matrix/TRC display profile (gamma 2.2). With `swap_red_blue` its
    red and blue primaries trade places: an image tagged with it whose pixels are (255, 0, 0)
    is blue, which only a pipeline that honours the profile shows."""
    r, g, b = SRGB_D50["r"], SRGB_D50["g"], SRGB_D50["b"]
    if swap_red_blue:
        r, b = b, r
    curve = b"curv" + bytes(4) + struct.pack(">I", 1) + struct.pack(">H", 0x0233) + bytes(2)
    desc_text = b"test profile\x00"
    desc = (
        b"desc"
        + bytes(4)
        + struct.pack(">I", len(desc_text))
        + desc_text
        + bytes(4)
        + bytes(4)
        + bytes(2)
        + bytes(1)
        + bytes(67)
    )
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(*r)),
        (b"gXYZ", _xyz(*g)),
        (b"bXYZ", _xyz(*b)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        while (offset + len(data)) % 4:
            data += b"\x00"
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntr"
        + b"RGB "
        + b"XYZ "
        + bytes(12)
        + b"acsp"
        + b"APPL"
        + bytes(4)
        + bytes(4)
        + bytes(4)
        + bytes(8)
        + struct.pack(">I", 0)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + bytes(4)
        + bytes(16)
        + bytes(28)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def cutout(w: int = 300, h: int = 500, color: str = "#C8462B") -> Image.Image:
    """A bottle-like product on transparency."""
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((w * 0.2, h * 0.25, w * 0.8, h * 0.98), radius=w // 8, fill=color)
    d.rectangle((w * 0.4, h * 0.05, w * 0.6, h * 0.27), fill=color)
    return im


def salient_photo(w: int = 1200, h: int = 400, at: float = 0.8) -> Image.Image:
    """A calm photo-like field with one busy, bright object centred at `at` of the width."""
    rng = np.random.default_rng(7)
    base = np.full((h, w, 3), (90, 110, 120), np.float64)
    base += rng.normal(0, 2, (h, w, 1))
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    cx, cy, r = int(w * at), h // 2, h // 5
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(250, 220, 60))
    for i in range(0, 2 * r, 12):
        d.line((cx - r + i, cy - r, cx - r + i, cy + r), fill=(30, 30, 30), width=3)
    return im


def halves(w: int = 200, h: int = 100) -> Image.Image:
    """Left half red, right half blue: where each lands shows the orientation."""
    im = Image.new("RGB", (w, h), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, w // 2, h))
    return im


def jpeg(im: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, **kw)
    return buf.getvalue()


def exif_rotated(orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return jpeg(halves(), exif=exif.tobytes())
