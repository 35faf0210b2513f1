"""Read a manifest and its image defensively: anything unusable is one clear error."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import ValidationError

from copyplate.errors import InputError, MissingCapability, Problem
from copyplate.layouts.jsonsource import load_json
from copyplate.layouts.sources import safe_path
from copyplate.limits import (
    IMAGE_FORMATS,
    MAX_FONT_BYTES,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MIN_IMAGE_SIDE,
)
from copyplate.validators.base import AssetView, RegionSpec
from copyplate.validators.contract import Manifest, ManifestRegion


class ManifestError(InputError):
    """A manifest or its image cannot be used."""


def parse_manifest(data: Any, smap: Any = None) -> Manifest:
    """The typed manifest, or one ManifestError naming the first bad field (JSON pointer,
    and its line when the source map knows it)."""
    try:
        man = Manifest.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        first = errors[0]
        loc = [str(p) for p in first["loc"]]
        ptr = "/" + "/".join(loc)
        where = smap.locate(ptr if ptr != "/" else "") if smap is not None else None
        at = f" (line {where[0]})" if where else ""
        more = f"; {len(errors) - 1} more" if len(errors) > 1 else ""
        msg = str(first["msg"]).removeprefix("Value error, ")
        got = repr(first.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        raise ManifestError(f"{ptr}: {msg[:300]} (got {got}){at}{more}") from None
    ids = [r.id for r in man.regions]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ManifestError(f"region id {dup[0]!r} appears more than once")
    return man


def view_of(path: Path, man: Manifest, image: Image.Image) -> AssetView:
    locale = man.locale or "en-US"
    return AssetView(path, man, image, [RegionSpec(r, locale) for r in man.regions])


def _within(target: Path, roots: list[Path]) -> bool:
    for root in roots:
        base = root.resolve()
        if target == base or base in target.parents:
            return True
    return False


def _image_path(manifest: Path, rel: str, allowed_roots: list[Path]) -> Path:
    if "\x00" in rel:
        raise ManifestError(f"/image: {rel!r} contains a NUL character; expected a file path")
    inside = safe_path(manifest.parent, rel)
    if isinstance(inside, Path):
        return inside
    target = (manifest.parent / rel).resolve()
    if _within(target, allowed_roots):
        return target
    msg = f"image {rel!r} leaves the manifest's folder (name an allowed root with --allow-root)"
    raise ManifestError(msg)


def check_boxes(man: Manifest, width: int, height: int) -> None:
    """Every region's box has an area and lies inside the image: the contract says boxes
    are pixels of that image, and a box elsewhere has nothing to check."""
    for i, r in enumerate(man.regions):
        x, y, w, h = r.box
        if w <= 0 or h <= 0 or x + w > width or y + h > height:
            msg = (
                f"/regions/{i}/box: {r.box} (region {r.id!r}) is not inside the {width}x{height} "
                f"image; expected w, h > 0, x + w <= {width} and y + h <= {height}"
            )
            raise ManifestError(msg)


def _font_ok(spec: str, roots: list[Path], system: frozenset[Path]) -> bool:
    """A font hint worth opening: a regular file in the manifest's folder, an allowed root
    or the system's font list, not too large, that starts like a font. Anything else
    (`/etc/passwd#0`, `/dev/zero#0`) is a stale or hostile hint and is not opened."""
    path, _, index = spec.rpartition("#")
    if "\x00" in spec or not path or not (index or "0").isdigit():
        return False
    try:
        target = Path(path).resolve()
        if not (target in system or _within(target, roots)):
            return False
        if not target.is_file() or target.stat().st_size > MAX_FONT_BYTES:
            return False
        with target.open("rb") as f:
            head = f.read(12)
    except (OSError, ValueError, RuntimeError):
        return False
    if head[:4] == b"ttcf":
        return int(index or 0) < int.from_bytes(head[8:12], "big")
    return head[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true") and int(index or 0) == 0


@functools.lru_cache(maxsize=1)
def _system_fonts() -> frozenset[Path]:
    # Resolving every installed font's path costs ~10 ms: once per process, as the
    # font index itself is read once.
    from copyplate.fonts import FontIndex

    try:
        return frozenset(f.resolve() for f in FontIndex.system().files)
    except MissingCapability:
        return frozenset()


def trusted_hints(man: Manifest, roots: list[Path], width: int, height: int) -> Manifest:
    """The manifest less the hints that cannot be used safely: font paths outside the
    manifest's folder, the allowed roots and the system's fonts (or not fonts at all), a
    text_bbox outside its region's box (clipped to it when it overlaps), a safe_area
    outside the image. Hints only sharpen
    a check, so dropping one leaves the verdict to the pixels and the contract fields."""
    system: frozenset[Path] | None = None
    regions: list[ManifestRegion] = []
    for r in man.regions:
        update: dict[str, Any] = {}
        specs = [*(r.font_chain or []), *(r.font_files or [])]
        specs += [run.font for line in r.runs or [] for run in line]
        if specs:
            system = _system_fonts() if system is None else system
            if not all(_font_ok(s, roots, system) for s in dict.fromkeys(specs)):
                update.update(font_chain=None, font_files=None, runs=None)
        if r.text_bbox is not None:
            tx, ty, tw, th = r.text_bbox
            x, y, w, h = r.box
            # Clipped to the box (ink past it is not the copy's); none left: no hint.
            x0, y0 = max(tx, x), max(ty, y)
            x1, y1 = min(tx + tw, x + w), min(ty + th, y + h)
            clipped = [x0, y0, x1 - x0, y1 - y0] if x1 > x0 and y1 > y0 else None
            if clipped != r.text_bbox:
                update["text_bbox"] = clipped
        regions.append(r.model_copy(update=update) if update else r)
    update_m: dict[str, Any] = {"regions": regions}
    if man.safe_area is not None:
        sx, sy, sw, sh = man.safe_area
        if sw <= 0 or sh <= 0 or sx + sw > width or sy + sh > height:
            update_m["safe_area"] = None
    return man.model_copy(update=update_m)


def to_rgb(im: Image.Image) -> Image.Image:
    """8-bit RGB as the validators see it. Pillow's convert("RGB") clips 16-bit grey
    (mode I;16 / I) at 255, turning a correct 16-bit PNG white; scale it down instead."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        arr = np.asarray(im, dtype=np.uint32)
        return Image.fromarray((arr >> 8).clip(0, 255).astype(np.uint8), "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        # Transparent pixels are shown over white, as a viewer would, not as black.
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def open_image(path: Path, shown: str) -> Image.Image:
    """Decode an image after checking its header: a decompression bomb is refused unread,
    and only raster formats meant for assets are read (never EPS through Ghostscript)."""
    if not path.is_file():
        raise ManifestError(f"image {shown!r} does not exist")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise ManifestError(f"image {shown!r} is larger than {MAX_IMAGE_BYTES:,} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=IMAGE_FORMATS) as im:
                w, h = im.size
                if w * h > MAX_IMAGE_PIXELS:
                    msg = f"image {shown!r} is {w}x{h}; the limit is {MAX_IMAGE_PIXELS:,} pixels"
                    raise ManifestError(msg)
                if min(w, h) < MIN_IMAGE_SIDE:
                    msg = (
                        f"image {shown!r} is {w}x{h}; expected at least "
                        f"{MIN_IMAGE_SIDE} px on each side"
                    )
                    raise ManifestError(msg)
                im.load()
                # A phone photo or a camera export stores its rotation in EXIF: the boxes
                # are pixels of the image as shown, so apply it.
                upright = ImageOps.exif_transpose(im)
                return to_rgb(upright)
    except ManifestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ManifestError(f"image {shown!r} is a decompression bomb") from None
    except UnidentifiedImageError:
        msg = f"image {shown!r} is not one of the formats read: {', '.join(IMAGE_FORMATS)}"
        raise ManifestError(msg) from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ManifestError(f"image {shown!r} cannot be read as an image: {e}") from None


def load_asset(path: Path, allowed_roots: list[Path] | None = None) -> AssetView:
    doc = load_json(path)
    if isinstance(doc, Problem):
        where = f" at line {doc.line}" if doc.line else ""
        raise ManifestError(f"{doc.message}{where}")
    man = parse_manifest(doc.data, doc.smap)
    roots = allowed_roots or []
    image_file = _image_path(path, man.image, roots)
    image = open_image(image_file, man.image)
    check_boxes(man, *image.size)
    man = trusted_hints(man, [path.parent, *roots], *image.size)
    return view_of(path, man, image)
