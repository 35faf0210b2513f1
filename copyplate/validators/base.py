"""The validators' extension point and the view of one asset they all share."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.registry import Registry
from copyplate.validators.contract import Manifest, ManifestRegion

COPY_KINDS = ("text", "price", "cta")


@dataclass
class RegionSpec:
    """One manifest region (`m`, typed) and the locale it is read in."""

    m: ManifestRegion
    locale: str

    @property
    def id(self) -> str:
        return self.m.id

    @property
    def kind(self) -> str:
        return self.m.kind

    @property
    def box(self) -> Rect:
        x, y, w, h = self.m.box
        return Rect(x, y, w, h)

    @property
    def text(self) -> str:
        return self.m.text or ""

    @property
    def direction(self) -> str:
        if self.m.direction is not None:
            return self.m.direction
        from copyplate.layouts.locales import LocaleProblem, locale_info

        try:
            return locale_info(self.locale).direction
        except LocaleProblem:
            return "ltr"

    def skips(self, family: str) -> bool:
        return family in self.m.skip


@dataclass
class AssetView:
    """An image and its manifest, as every validator sees them."""

    manifest_path: Path
    manifest: Manifest
    image: Image.Image  # RGB
    regions: list[RegionSpec] = field(default_factory=list)
    # Work several validators share (glyph masks per region), computed once per asset.
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def locale(self) -> str:
        return self.manifest.locale or "en-US"

    @functools.cached_property
    def pixels(self) -> NDArray[np.uint8]:
        return np.asarray(self.image, dtype=np.uint8)

    @functools.cached_property
    def gray(self) -> NDArray[np.uint8]:
        return np.asarray(self.image.convert("L"), dtype=np.uint8)

    def crop(self, rect: Rect) -> NDArray[np.uint8]:
        """RGB pixels of `rect`, clipped to the image."""
        h, w = self.pixels.shape[:2]
        x0, y0 = max(0, rect.x), max(0, rect.y)
        x1, y1 = min(w, rect.right), min(h, rect.bottom)
        return self.pixels[y0:y1, x0:x1]


class Validator(Protocol):
    check: ClassVar[str]  # family: "ocr", "contrast", ...
    kinds: ClassVar[tuple[str, ...]]  # region kinds it looks at

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]: ...


validators: Registry[type[Validator]] = Registry("copyplate.validators", "validator")
FAMILIES = ("geometry", "glyphs", "regex", "contrast", "rtl", "qr", "barcode", "ocr", "logo")


def load_builtins() -> None:
    from copyplate.validators import (  # noqa: F401  (registers built-ins)
        barcode,
        contrast,
        covers,
        geometry,
        glyphs,
        logo,
        ocr,
        qr,
        regex,
        rtl,
    )


@functools.lru_cache(maxsize=1)
def instances() -> dict[str, Validator]:
    """One instance per validator per process: OCR engines inside are reused."""
    load_builtins()
    return {name: validators.get(name)() for name in validators.names()}


def validate_asset(
    asset: AssetView, only: list[str] | None = None, regions: set[str] | None = None
) -> dict[str, list[Finding]]:
    """Findings per region id, from every validator that applies to the region's kind.

    `only` limits the validator families, `regions` the regions (a retry re-checks one)."""
    chosen = [r for r in asset.regions if regions is None or r.id in regions]
    out: dict[str, list[Finding]] = {r.id: [] for r in chosen}
    for name, v in instances().items():
        # By registry name or by family (`geometry` includes `covers_product`).
        if only is not None and name not in only and v.check not in only:
            continue
        for region in chosen:
            if region.kind in v.kinds and not region.skips(v.check):
                out[region.id].extend(v.validate(asset, region))
    return out
