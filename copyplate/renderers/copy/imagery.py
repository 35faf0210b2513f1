"""Pixels for `image` and `logo` regions: bounded, colour-managed loading, placement by fit
and anchor or focal point, smart crops (spectral-residual saliency, faces) and contact
shadows. Pure functions of their inputs, so the same campaign gives the same crop."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageCms, ImageFilter, ImageOps

from copyplate.limits import IMAGE_FORMATS, MAX_IMAGE_PIXELS

# Anchor name -> where the image sits in the slack (0 = start, 0.5 = middle, 1 = end).
ANCHORS: dict[str, tuple[float, float]] = {
    "center": (0.5, 0.5),
    "top": (0.5, 0.0),
    "bottom": (0.5, 1.0),
    "left": (0.0, 0.5),
    "right": (1.0, 0.5),
    "top-left": (0.0, 0.0),
    "top-right": (1.0, 0.0),
    "bottom-left": (0.0, 1.0),
    "bottom-right": (1.0, 1.0),
}
# Side of the grid an image region's alpha is recorded on in the manifest (cells of the box).
ALPHA_GRID = 32


class ImageProblem(ValueError):
    """An image input that cannot be used; the message names the file and what is wrong."""


def _to_srgb(im: Image.Image, name: str) -> Image.Image:
    """RGB(A) in sRGB: an embedded ICC profile is honoured (CMYK included); an image without
    one is taken as sRGB (CMYK without one: Pillow's naive conversion)."""
    alpha = im.getchannel("A") if im.mode in ("RGBA", "LA", "PA") else None
    if im.mode == "P":
        im = im.convert("RGBA")
        alpha = im.getchannel("A")
    icc = im.info.get("icc_profile")
    base = im if im.mode in ("RGB", "CMYK") else im.convert("RGB")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out = ImageCms.profileToProfile(
                base, src, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except (OSError, ImageCms.PyCMSError) as e:
            raise ImageProblem(f"image {name!r}: its ICC profile cannot be used: {e}") from None
        assert out is not None
        base = out
    elif base.mode != "RGB":
        base = base.convert("RGB")
    rgba = base.convert("RGBA")
    if alpha is not None:
        rgba.putalpha(alpha)
    return rgba


def _open_bounded(path: Path, name: str, max_pixels: int) -> Image.Image:
    try:
        src = Image.open(path)
    except (OSError, Image.DecompressionBombError) as e:
        raise ImageProblem(f"image {name!r} cannot be read: {e}") from None
    with src:
        if src.format not in IMAGE_FORMATS:
            msg = f"image {name!r} is {src.format}; expected one of {', '.join(IMAGE_FORMATS)}"
            raise ImageProblem(msg)
        w, h = src.size
        # Checked on the header, before any pixel is decoded.
        if w * h > max_pixels:
            msg = f"image {name!r} is {w}x{h}; the limit is {max_pixels:,} pixels"
            raise ImageProblem(msg)
        try:
            src.load()
            # A phone photo stores its pixels sideways and says so in EXIF: honour it.
            return ImageOps.exif_transpose(src)
        except (OSError, Image.DecompressionBombError, SyntaxError) as e:
            raise ImageProblem(f"image {name!r} cannot be read: {e}") from None


def load_image(
    path: Path,
    name: str,
    mask: Path | None = None,
    mask_name: str = "",
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> Image.Image:
    """RGBA in sRGB, upright; with `mask`, its luminance becomes (part of) the alpha."""
    im = _to_srgb(_open_bounded(path, name, max_pixels), name)
    if mask is not None:
        m = _open_bounded(mask, mask_name, max_pixels).convert("L")
        if m.size != im.size:
            msg = (
                f"mask {mask_name!r} is {m.width}x{m.height}; "
                f"expected the size of image {name!r}, {im.width}x{im.height}"
            )
            raise ImageProblem(msg)
        alpha = np.minimum(np.asarray(im.getchannel("A")), np.asarray(m))
        im.putalpha(Image.fromarray(alpha))
    return im


# --- smart crops ---------------------------------------------------------------------------


def saliency_map(im: Image.Image, width: int = 64) -> NDArray[np.float64]:
    """Spectral-residual saliency (Hou & Zhang, CVPR 2007) at `width` px wide, in [0, 1].

    The log amplitude spectrum minus its local mean is what is unexpected in the image;
    back in the image domain with the original phase it lights up the salient parts."""
    h = max(1, round(im.height * width / im.width))
    g = np.asarray(im.convert("L").resize((width, h), Image.Resampling.BILINEAR), np.float64)
    spec = np.fft.fft2(g / 255.0)
    log_amp = np.log(np.abs(spec) + 1e-9)
    phase = np.angle(spec)
    # 3x3 box filter with wrap-around (the spectrum is periodic).
    local = sum(np.roll(np.roll(log_amp, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    residual = log_amp - local / 9.0
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    blurred = Image.fromarray((sal / (sal.max() or 1.0) * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(max(1.0, width / 32))
    )
    out = np.asarray(blurred, np.float64)
    return out / (out.max() or 1.0)


def faces(im: Image.Image) -> list[tuple[int, int, int, int]] | None:
    """Frontal faces (x, y, w, h in source pixels) by OpenCV's Haar cascade, whose model
    file installs with opencv 4 (found on a copy at most 640 px wide, for speed); None when
    this OpenCV has no cascade (OpenCV 5 dropped them from the main package)."""
    from copyplate.capabilities import require

    cv2 = require("cv2")
    model = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or ".")
    model = model / "haarcascade_frontalface_default.xml"
    if not hasattr(cv2, "CascadeClassifier") or not model.is_file():
        return None
    scale = min(1.0, 640 / im.width)
    small = im.convert("L").resize(
        (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    )
    cascade = cv2.CascadeClassifier(str(model))
    found = cascade.detectMultiScale(np.asarray(small), scaleFactor=1.1, minNeighbors=5)
    return [
        (round(x / scale), round(y / scale), round(w / scale), round(h / scale))
        for x, y, w, h in (found if len(found) else [])
    ]


def _best_window(profile: NDArray[np.float64], window: float) -> float:
    """Start (in profile cells, fractional) of the window of length `window` holding most
    of `profile`; ties keep the middle-most, so a flat image crops centred."""
    n = len(profile)
    k = max(1, min(n, round(window)))
    sums = np.convolve(profile, np.ones(k), mode="valid")
    best = np.flatnonzero(sums >= sums.max() - 1e-9)
    middle = (n - k) / 2
    start = float(best[np.argmin(np.abs(best - middle))])
    return min(max(start * (n - window) / max(n - k, 1), 0.0), float(n) - window)


def smart_focal(im: Image.Image, box_w: int, box_h: int, how: str) -> tuple[float, float, str]:
    """A focal point (fractions of the source) for a cover crop into box_w x box_h: on the
    faces when asked and found, else the window with the most saliency. Returns x, y and
    which method chose it."""
    method = "saliency"
    if how == "faces":
        found = faces(im)
        if found is None:
            method = "saliency (no face detector in this OpenCV)"
        elif found:
            area = sum(w * h for _, _, w, h in found)
            fx = sum((x + w / 2) * w * h for x, _, w, h in found) / area
            fy = sum((y + h / 2) * w * h for _, y, w, h in found) / area
            return fx / im.width, fy / im.height, "faces"
    sal = saliency_map(im)
    sh, sw = sal.shape
    scale = max(box_w / im.width, box_h / im.height)
    cw, ch = box_w / scale / im.width * sw, box_h / scale / im.height * sh
    x0 = _best_window(sal.sum(axis=0), cw) if cw < sw - 1e-6 else 0.0
    y0 = _best_window(sal.sum(axis=1), ch) if ch < sh - 1e-6 else 0.0
    return (x0 + min(cw, sw) / 2) / sw, (y0 + min(ch, sh) / 2) / sh, method


# --- placement -----------------------------------------------------------------------------


@dataclass
class Placement:
    """Where the source went: the layer, and what the manifest records to repeat it."""

    image: Image.Image  # RGBA, box-sized
    crop: list[int]  # source pixels used: x, y, w, h
    at: list[int]  # where they landed in the box: x, y, w, h
    scale: float
    info: dict[str, Any] = field(default_factory=dict)


def place(
    im: Image.Image,
    box_w: int,
    box_h: int,
    fit: str,
    anchor: str = "center",
    focal: tuple[float, float] | None = None,
) -> Placement:
    """`im` fitted into a box_w x box_h layer: `contain` shows it whole, placed in the slack
    by `anchor`; `cover` fills the box, the crop centred on `focal` (clamped) or placed by
    `anchor`."""
    ax, ay = ANCHORS[anchor]
    sw, sh = im.size
    if fit == "cover":
        scale = max(box_w / sw, box_h / sh)
        cw, ch = box_w / scale, box_h / scale
        if focal is not None:
            x0 = min(max(focal[0] * sw - cw / 2, 0.0), sw - cw)
            y0 = min(max(focal[1] * sh - ch / 2, 0.0), sh - ch)
        else:
            x0, y0 = ax * (sw - cw), ay * (sh - ch)
        out = im.resize((box_w, box_h), Image.Resampling.LANCZOS, box=(x0, y0, x0 + cw, y0 + ch))
        crop = [round(x0), round(y0), round(cw), round(ch)]
        return Placement(out, crop, [0, 0, box_w, box_h], scale)
    scale = min(box_w / sw, box_h / sh)
    w, h = max(1, round(sw * scale)), max(1, round(sh * scale))
    x, y = round(ax * (box_w - w)), round(ay * (box_h - h))
    layer = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    layer.alpha_composite(im.resize((w, h), Image.Resampling.LANCZOS), (x, y))
    return Placement(layer, [0, 0, sw, sh], [x, y, w, h], scale)


def contact_shadow(
    layer: Image.Image,
    opacity: float,
    blur: float,
    offset: float,
    squash: float,
    color: tuple[int, int, int],
) -> Image.Image:
    """`layer` with a soft shadow beneath it: its alpha flattened to a squashed ellipse-like
    pool at the foot of the product, blurred; clipped to the layer, drawn under it."""
    alpha = layer.getchannel("A")
    bbox = alpha.getbbox()
    if bbox is None:
        return layer
    x0, y0, x1, y1 = bbox
    H = layer.height
    pool_h = max(1, round((y1 - y0) * squash))
    pool = alpha.crop(bbox).resize((x1 - x0, pool_h), Image.Resampling.BILINEAR)
    mask = Image.new("L", layer.size, 0)
    mask.paste(pool, (x0, y1 - pool_h // 2 + round(offset * H)))
    mask = mask.filter(ImageFilter.GaussianBlur(max(0.5, blur * H)))
    mask = mask.point(lambda v: round(v * opacity))
    shadow = Image.new("RGBA", layer.size, (*color, 0))
    shadow.putalpha(mask)
    shadow.alpha_composite(layer)
    return shadow


def alpha_grid(alpha: Image.Image, cells: int = ALPHA_GRID) -> list[str]:
    """The visible alpha (over half opaque) on a coarse grid over the box, one string of
    '0'/'1' per row: what `geometry.covers_product` compares copy against."""
    small = np.asarray(alpha.resize((cells, cells), Image.Resampling.BOX)) > 127
    return ["".join("1" if v else "0" for v in row) for row in small]


def has_alpha(im: Image.Image) -> bool:
    lo = np.asarray(im.getchannel("A")).min()
    return bool(lo < 255)
