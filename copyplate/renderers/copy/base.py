"""The copy stage's extension point: one renderer per region kind, registered by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypedDict

from PIL import Image

from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import OutputSize, RegionBase
from copyplate.layouts.sources import did_you_mean
from copyplate.registry import Registry


@dataclass
class RenderContext:
    """Everything a renderer may look at for one region of one asset."""

    campaign: LoadedCampaign
    locale: str
    size: OutputSize
    variant: str = "default"
    # The composite beneath this region (plate plus lower layers), full canvas, opaque RGB
    # or RGBA (the canvas itself: converting it whole for every region cost more than the
    # crops a renderer reads). Used to choose a contrast aid; renderers never draw on it.
    backdrop: Image.Image | None = None
    # What a retry relaxes that a Region cannot hold (the rest arrives in the Region itself):
    # start the font chain this many faces later; how relaxed a hosted model's prompt is.
    font_shift: int = 0
    prompt_relax: int = 0


class PriceMeta(TypedDict, total=False):
    """What a price region's manifest entry says beyond its text."""

    amount: str
    currency: str
    numbering_system: str


class RunMeta(TypedDict):
    text: str
    font: str  # "path#index"
    rtl: bool


class LayerMeta(PriceMeta, total=False):
    """What a renderer reports about its layer: the manifest entry's keys beyond id, kind,
    box and z (the verify contract's `text`, `payload` ... and the pipeline's hints)."""

    renderer: str
    backend: str
    text: str
    direction: str
    payload: str
    symbology: str
    hyphenation: bool
    font: list[str]
    font_files: list[str]
    font_chain: list[str]
    font_px: int
    bold: bool
    lines: list[str]
    runs: list[list[RunMeta]]
    color: str
    background: str
    contrast_aid: str
    contrast_target: float | None
    text_bbox: list[int]
    symbol_box: list[int]
    digits_font: str
    ecc: str
    version: int
    modules: int
    module_px: int
    quiet_zone_modules: int | list[int]
    src: str
    # image and logo regions
    fit: str
    anchor: str
    focal: list[float]
    focal_source: str
    crop: list[int]
    scale: float
    alpha_grid: list[str]
    protect: float
    shadow: bool
    variant: str
    ink_box: list[int]
    clear_space: float
    min_px: int
    min_contrast: float
    generated: bool
    model: str
    prompt: str
    prompt_relax: int
    calls: list[dict[str, Any]]
    fallback: dict[str, Any]


def add_price(meta: LayerMeta, price: PriceMeta) -> None:
    """A price's keys into a layer's, in the manifest's order."""
    if "amount" in price:
        meta["amount"] = price["amount"]
    if "currency" in price:
        meta["currency"] = price["currency"]
    if "numbering_system" in price:
        meta["numbering_system"] = price["numbering_system"]


@dataclass
class Layer:
    """One region drawn on its own: an RGBA image exactly the size of `rect`."""

    region: str
    rect: Rect
    image: Image.Image
    z: int
    meta: LayerMeta = field(default_factory=lambda: LayerMeta())  # goes into the manifest
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.passed for f in self.findings)


class CopyRenderer(Protocol):
    name: ClassVar[str]  # registry key, e.g. "typeset"
    kinds: ClassVar[tuple[str, ...]]  # region kinds it can draw

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer: ...


copy_renderers: Registry[type[CopyRenderer]] = Registry("copyplate.copy", "copy renderer")

# Which renderer draws a kind when the campaign does not choose one.
DEFAULT_RENDERER = {
    "text": "typeset",
    "price": "price",
    "cta": "cta",
    "qr": "qr",
    "barcode": "barcode",
    "logo": "image",
    "image": "image",
}


def payload_of(region: Any, ctx: RenderContext) -> str:
    """A QR or barcode region's payload: from the copy deck, or written in the region."""
    if region.copy_key is not None:
        lc = ctx.campaign
        return str(lc.copy_value(lc.copy_key(region.copy_key, ctx.variant), ctx.locale))
    return str(region.payload or "")


def copy_of(region: Any, ctx: RenderContext) -> tuple[str, PriceMeta]:
    """A text, price or CTA region's copy as it must appear, and the manifest keys that
    describe it beyond the text (a price's amount, currency and digits)."""
    from copyplate.layouts.models import Price

    lc = ctx.campaign
    key = lc.copy_key(region.copy_key, ctx.variant)
    value = lc.copy_value(key, ctx.locale)
    extra: PriceMeta = {}
    if isinstance(value, Price):
        extra = {
            "amount": str(value.amount),
            "currency": value.currency,
            "numbering_system": lc.locale(ctx.locale).numbering_system,
        }
    return lc.text(key, ctx.locale), extra


TYPESET = "typeset"  # the backend name of copyplate's own renderers (typeset, price, cta ...)


def backend_of(region: Any, campaign_default: str | None, run_default: str | None = None) -> str:
    """Which backend draws `region`: its own `backend`, else the run's --copy-backend, else
    the campaign's copy_backend, else `typeset`. Only text, price and CTA regions have a
    choice; codes and images are always drawn by copyplate."""
    if region.kind not in ("text", "price", "cta"):
        return TYPESET
    return str(getattr(region, "backend", None) or run_default or campaign_default or TYPESET)


def renderer_for(kind: str, name: str | None = None) -> CopyRenderer:
    load_builtins()
    if name == TYPESET:
        name = None
    cls = copy_renderers.get(name or DEFAULT_RENDERER[kind])
    if kind not in cls.kinds:
        from copyplate.errors import InputError

        msg = f"copy renderer {cls.name!r} cannot draw regions of kind {kind!r}"
        raise InputError(msg)
    return cls()


def load_builtins() -> None:
    # Importing the modules runs their `register` decorators.
    from copyplate.renderers.copy import (  # noqa: F401
        barcode,
        cta,
        gpt_image,
        image,
        price,
        qr,
        typeset,
    )


def backend_problem(name: str, kind: str) -> str | None:
    """Why copy backend `name` cannot draw regions of `kind`, or None when it can."""
    if name == TYPESET:
        return None
    load_builtins()
    if name not in copy_renderers:
        # Backends a user picks: `typeset` (copyplate's own per kind) and the others.
        own = set(DEFAULT_RENDERER.values())
        known = sorted({TYPESET, *(n for n in copy_renderers.names() if n not in own)})
        return (
            f"unknown copy backend {name!r}{did_you_mean(name, known)} (known: {', '.join(known)})"
        )
    if kind not in copy_renderers.get(name).kinds:
        return f"copy backend {name!r} cannot draw {kind} regions"
    return None
