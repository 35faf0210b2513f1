"""Shared measurements for 1D and 2D codes: decoding, quiet zones, delivery-size decoding."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from copyplate.capabilities import require
from copyplate.errors import MissingCapability
from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect


def zxing() -> Any:
    return require("zxingcpp")


@dataclass
class Decoded:
    text: str
    format: str
    rect: Rect  # axis-aligned bounds of the symbol in image pixels
    extra: dict[str, Any]


def decode(image: Image.Image, area: Rect, formats: Any = None) -> list[Decoded]:
    """Decode codes inside `area` (with a margin, so a code at the box edge still reads)."""
    zx = zxing()
    m = max(8, min(area.w, area.h) // 10)
    x0, y0 = max(0, area.x - m), max(0, area.y - m)
    crop = image.crop(
        (x0, y0, min(image.width, area.right + m), min(image.height, area.bottom + m))
    )
    kw = {"formats": formats} if formats is not None else {}
    out = []
    for r in zx.read_barcodes(crop, **kw):
        p = r.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        rect = Rect(x0 + min(xs), y0 + min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
        out.append(Decoded(r.text, str(r.format), rect, dict(r.extra or {})))
    return out


def zbar_texts(image: Image.Image, area: Rect) -> list[str] | None:
    """zbar's reading of the area, or None when zbar is not installed."""
    try:
        pyzbar = require("pyzbar")
    except MissingCapability:  # optional: the second opinion is skipped
        return None
    m = max(8, min(area.w, area.h) // 10)
    crop = image.crop(
        (
            max(0, area.x - m),
            max(0, area.y - m),
            min(image.width, area.right + m),
            min(image.height, area.bottom + m),
        )
    )
    return [d.data.decode("utf-8", "replace") for d in pyzbar.decode(crop.convert("L"))]


def quiet_zone_modules(
    gray: NDArray[np.uint8], sym: Rect, module: float, sides: str = "lrtb", limit: int = 12
) -> dict[str, float]:
    """How many modules of light background lie outside the symbol on each side.

    Light means brighter than the midpoint of the symbol's own dark and light pixels.
    Counting stops at `limit` modules or the image edge (the image edge counts as dark:
    a printer or a crop may put anything there).
    """
    inner = gray[sym.y : sym.bottom, sym.x : sym.right].astype(np.float64)
    if inner.size == 0:
        return dict.fromkeys(sides, 0.0)
    lo, hi = np.percentile(inner, 5), np.percentile(inner, 95)
    light = gray > (lo + hi) / 2
    H, W = gray.shape
    out: dict[str, float] = {}
    span = round(limit * module)
    for side in sides:
        n = 0
        for k in range(1, span + 1):
            if side == "l":
                x = sym.x - k
                ok = x >= 0 and light[sym.y : sym.bottom, x].all()
            elif side == "r":
                x = sym.right - 1 + k
                ok = x < W and light[sym.y : sym.bottom, x].all()
            elif side == "t":
                y = sym.y - k
                ok = y >= 0 and light[y, sym.x : sym.right].all()
            else:
                y = sym.bottom - 1 + k
                ok = y < H and light[y, sym.x : sym.right].all()
            if not ok:
                break
            n = k
        out[side] = n / module if module > 0 else 0.0
    return out


def delivery_copy(image: Image.Image, width: int, quality: int = 75) -> Image.Image:
    """The image as a channel would deliver it: scaled to `width` and JPEG-compressed."""
    scale = width / image.width
    small = image.resize((width, max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.convert("RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def scaled(rect: Rect, scale: float) -> Rect:
    return Rect(
        round(rect.x * scale),
        round(rect.y * scale),
        max(1, round(rect.w * scale)),
        max(1, round(rect.h * scale)),
    )


def zbar_finding(
    family: str,
    region_id: str,
    image: Image.Image,
    box: Rect,
    payload: str,
    same: Callable[[str], bool],
) -> Finding | None:
    """zbar's second opinion: a different reading fails; no reading is advisory."""
    zb = zbar_texts(image, box)
    if zb is None:
        return None
    agree = len(zb) == 1 and same(zb[0])
    msg = (
        "zbar agrees"
        if agree
        else "zbar could not decode it (advisory)"
        if not zb
        else f"zbar reads {zb!r}"
    )
    return Finding(
        f"{family}.zbar",
        region_id,
        agree or not zb,
        msg,
        measured=zb,
        expected=payload,
        bbox=box.as_list(),
        action="none" if agree or not zb else "retypeset",
    )


def delivery_finding(
    family: str,
    region_id: str,
    image: Image.Image,
    box: Rect,
    delivery_width: int,
    payload: str,
    same: Callable[[str], bool],
    formats: Callable[[str], bool],
) -> Finding:
    """The code still decodes once scaled to the delivery width and JPEG-compressed."""
    small = delivery_copy(image, delivery_width)
    scale = small.width / image.width
    again = [d.text for d in decode(small, scaled(box, scale)) if formats(d.format)]
    ok = len(again) == 1 and same(again[0])
    size = f"{small.width}x{small.height} JPEG q75"
    return Finding(
        f"{family}.delivery",
        region_id,
        ok,
        f"decodes at {size}" if ok else f"does not decode at {size}",
        measured=again,
        expected=payload,
        bbox=box.as_list(),
        action="none" if ok else "retypeset",
    )
