"""Read a manifest and its image defensively: anything unusable is one clear error."""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path
from typing import Any

import jsonschema
from PIL import Image

from copyplate.errors import InputError, Problem
from copyplate.layouts.jsonsource import load_json
from copyplate.layouts.sources import safe_path
from copyplate.limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS
from copyplate.validators.base import AssetView, RegionSpec

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")


class ManifestError(InputError):
    """A manifest or its image cannot be used."""


@functools.lru_cache(maxsize=1)
def manifest_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


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
    errors = sorted(
        jsonschema.Draft202012Validator(manifest_schema()).iter_errors(doc.data),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        e = errors[0]
        ptr = "/" + "/".join(str(p) for p in e.absolute_path)
        loc = doc.smap.locate(ptr if ptr != "/" else "")
        at = f" (line {loc[0]})" if loc else ""
        more = f"; {len(errors) - 1} more" if len(errors) > 1 else ""
        raise ManifestError(f"{ptr}: {e.message[:300]}{at}{more}")
    data: dict[str, Any] = doc.data
    ids = [r["id"] for r in data["regions"]]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ManifestError(f"region id {dup[0]!r} appears more than once")
    image_file = _image_path(path, data["image"], allowed_roots or [])
    image = open_image(image_file, data["image"])
    locale = str(data.get("locale") or "en-US")
    regions = [RegionSpec(r, locale) for r in data["regions"]]
    return AssetView(path, data, image, regions)
