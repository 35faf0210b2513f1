"""Read a manifest and its image defensively: anything unusable is one clear error."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from PIL import Image
from pydantic import ValidationError

from copyplate.errors import InputError, Problem
from copyplate.layouts.jsonsource import load_json
from copyplate.layouts.sources import safe_path
from copyplate.limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from copyplate.validators.base import AssetView, RegionSpec
from copyplate.validators.contract import Manifest


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
        raise ManifestError(f"{ptr}: {msg[:300]}{at}{more}") from None
    ids = [r.id for r in man.regions]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ManifestError(f"region id {dup[0]!r} appears more than once")
    return man


def view_of(path: Path, man: Manifest, image: Image.Image) -> AssetView:
    locale = man.locale or "en-US"
    return AssetView(path, man, image, [RegionSpec(r, locale) for r in man.regions])


def _image_path(manifest: Path, rel: str, allowed_roots: list[Path]) -> Path:
    inside = safe_path(manifest.parent, rel)
    if isinstance(inside, Path):
        return inside
    target = (manifest.parent / rel).resolve()
    for root in allowed_roots:
        base = root.resolve()
        if target == base or base in target.parents:
            return target
    msg = f"image {rel!r} leaves the manifest's folder (name an allowed root with --allow-root)"
    raise ManifestError(msg)


def open_image(path: Path, shown: str) -> Image.Image:
    """Decode an image after checking its header: a decompression bomb is refused unread."""
    if not path.is_file():
        raise ManifestError(f"image {shown!r} does not exist")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise ManifestError(f"image {shown!r} is larger than {MAX_IMAGE_BYTES:,} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_IMAGE_PIXELS:
                    msg = f"image {shown!r} is {w}x{h}; the limit is {MAX_IMAGE_PIXELS:,} pixels"
                    raise ManifestError(msg)
                im.load()
                return im.convert("RGB")
    except ManifestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ManifestError(f"image {shown!r} is a decompression bomb") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ManifestError(f"image {shown!r} cannot be read as an image: {e}") from None


def load_asset(path: Path, allowed_roots: list[Path] | None = None) -> AssetView:
    doc = load_json(path)
    if isinstance(doc, Problem):
        where = f" at line {doc.line}" if doc.line else ""
        raise ManifestError(f"{doc.message}{where}")
    man = parse_manifest(doc.data, doc.smap)
    image_file = _image_path(path, man.image, allowed_roots or [])
    image = open_image(image_file, man.image)
    return view_of(path, man, image)
