"""The campaign layout file as pydantic v2 models.

These models are the single source of truth: `campaign.schema.json` is exported from them
(`copyplate schema --write`) and a test fails when the two disagree. Structural rules live
here; rules that need more than one field or the file system (copy keys, fonts, boxes that
leave the canvas) live in `copyplate.layouts.checks`, so that every problem is reported at
once instead of the first one hiding the rest.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
)

from copyplate.limits import MAX_REGIONS

SCHEMA_VERSION = 1
SCHEMA_ID = "https://copyplate.dev/schema/campaign-v1.json"

# --- scalar vocabularies -------------------------------------------------------------------

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
    Field(description="Lower-case letters, digits, '-' and '_' (max 64)."),
]
CopyKey = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,99}$"),
    Field(description="Name of an entry in the copy deck, e.g. 'headline' or 'legal.footer'."),
]
TokenName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,63}$"),
    Field(description="A brand colour token, e.g. 'ink' or 'accent-2'."),
]
HexColor = Annotated[
    str,
    StringConstraints(pattern=r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"),
    Field(description="sRGB colour as #RRGGBB or #RRGGBBAA."),
]
ColorRef = Annotated[
    str,
    StringConstraints(pattern=r"^(?:#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-z][a-z0-9-]{0,63})$"),
    Field(description="A brand colour token name, or a literal #RRGGBB colour."),
]
ScriptKey = Annotated[
    str,
    StringConstraints(pattern=r"^(?:default|[A-Z][a-z]{3})$"),
    Field(
        description="ISO 15924 script code (Latn, Arab, Hebr, Jpan, Hans, Kore ...) or 'default'."
    ),
]
LocaleTag = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$"),
    Field(description="BCP 47 language tag such as 'pt-BR' or 'zh-Hans-CN'."),
]
RelPath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1024),
    Field(description="A path relative to the campaign file's folder; it may not leave it."),
]
CopyText = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]


class Strict(BaseModel):
    # strict: "width": "1080" is a string, not a number; nothing is coerced silently.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


# --- brand ---------------------------------------------------------------------------------


class FontRef(Strict):
    """A font by system family + style (resolved through fontconfig) or by file."""

    family: str | None = Field(None, max_length=200, examples=["Noto Sans Arabic"])
    style: str = Field("Regular", max_length=100, examples=["Bold"])
    file: RelPath | None = Field(None, description="Font file inside the campaign folder.")
    index: int = Field(0, ge=0, le=255, description="Face index inside a .ttc collection.")


FontChain = Annotated[
    list[FontRef],
    Field(min_length=1, max_length=8, description="Fonts tried in order, by glyph coverage."),
]


class Brand(Strict):
    name: str = Field(min_length=1, max_length=200)
    colors: dict[TokenName, HexColor] = Field(
        min_length=1, max_length=64, description="Colour tokens regions refer to by name."
    )
    fonts: dict[Slug, dict[ScriptKey, FontChain]] = Field(
        min_length=1,
        description=(
            "Font roles (e.g. 'display', 'body'), each mapping scripts to a fallback chain. "
            "A locale uses its script's chain, else 'default'."
        ),
    )
    min_contrast: float = Field(
        4.5, ge=1.0, le=21.0, description="Default minimum WCAG contrast ratio for copy."
    )
    hyphenation: bool = Field(False, description="Whether the typesetter may hyphenate words.")


# --- sizes ---------------------------------------------------------------------------------


class SafeArea(Strict):
    """Insets in pixels that copy must stay inside (platform UI, cropping)."""

    top: int = Field(0, ge=0, le=8192)
    right: int = Field(0, ge=0, le=8192)
    bottom: int = Field(0, ge=0, le=8192)
    left: int = Field(0, ge=0, le=8192)


class Grid(Strict):
    """A layout grid laid over the safe area; grid boxes refer to its cells (1-based)."""

    columns: int = Field(12, ge=1, le=48)
    rows: int = Field(12, ge=1, le=48)
    gutter: int = Field(0, ge=0, le=512, description="Gap between cells, in pixels.")


ImageFormat = Literal["png", "jpeg", "webp"]


class OutputSize(Strict):
    name: Slug
    width: int = Field(ge=16, le=8192)
    height: int = Field(ge=16, le=8192)
    safe_area: SafeArea = Field(default_factory=SafeArea)
    grid: Grid = Field(default_factory=Grid)
    format: ImageFormat = "png"
    delivery_width: int | None = Field(
        None,
        ge=16,
        le=8192,
        description="Width the channel delivers the asset at; codes must still decode there "
        "after JPEG compression. Default: the asset's own width.",
    )
    type_scale: float = Field(
        1.0,
        gt=0,
        le=1,
        description="Scales every copy region's min_font_px and max_font_px on this size "
        "(never below the floor of 10 px, nor below a smaller min the region sets itself). "
        "Derived sizes smaller than their master get their scale from it.",
    )


# --- plate ---------------------------------------------------------------------------------


class Plate(Strict):
    prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str = Field("", max_length=2000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    model: str = Field(
        "builtin",
        min_length=1,
        max_length=300,
        description="Plate generator: 'builtin', 'diffusers:<local path or hub id>', ...",
    )
    palette: list[ColorRef] = Field(
        min_length=1, max_length=8, description="Colours the plate should follow, in order."
    )
    mood: str | None = Field(None, max_length=64, examples=["soft-light", "bokeh", "paper"])
    steps: int | None = Field(None, ge=1, le=200)
    calm_under_copy: float = Field(
        0,
        ge=0,
        le=1,
        description="Layout-aware plates: how strongly the plate is calmed (detail and "
        "luminance spread lowered) under the copy boxes, 0 (off) to 1. The plate request "
        "then carries the boxes, and the plate cache key includes them.",
    )


class GptImage(Strict):
    """Settings for the `gpt-image` backends (OpenAI Images API). The key comes from
    OPENAI_API_KEY and the endpoint from OPENAI_BASE_URL, never from this file."""

    model: str = Field(
        "gpt-image-1",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        examples=["gpt-image-1", "gpt-image-1-mini"],
    )
    quality: Literal["low", "medium", "high", "auto"] = "high"
    size: Literal["auto", "1024x1024", "1536x1024", "1024x1536"] = Field(
        "auto", description="Size of the image sent and asked for; 'auto': nearest aspect."
    )
    input_fidelity: Literal["low", "high"] | None = Field(
        None, description="How closely edits keep the input image (models that support it)."
    )
    timeout_s: float = Field(120, ge=1, le=900, description="Per HTTP request.")
    max_retries: int = Field(
        4, ge=0, le=10, description="HTTP retries on 429, 5xx, timeouts and dropped connections."
    )
    max_wait_s: float = Field(
        60, ge=0, le=900, description="Longest single wait between retries (Retry-After included)."
    )
    concurrency: int = Field(
        4, ge=1, le=64, description="Requests in flight at once, across all worker processes."
    )
    relaxed_retries: int = Field(
        2,
        ge=0,
        le=5,
        description="Re-asks with a relaxed prompt for a region that fails validation, "
        "before it falls back to 'typeset'.",
    )
    mask_margin_px: int = Field(
        8, ge=0, le=256, description="Editable margin around a region's box in the mask."
    )
    style: str | None = Field(
        None, max_length=500, description="Extra art direction added to every prompt."
    )


# --- boxes ---------------------------------------------------------------------------------


class RelBox(Strict):
    """A box in fractions of the canvas: x, y of the top-left corner, width, height."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    w: float = Field(gt=0, le=1)
    h: float = Field(gt=0, le=1)


class GridBox(Strict):
    """A box spanning cells of the size's grid (1-based column and row)."""

    col: int = Field(ge=1, le=48)
    row: int = Field(ge=1, le=48)
    col_span: int = Field(1, ge=1, le=48)
    row_span: int = Field(1, ge=1, le=48)


def _box_kind(v: Any) -> str:
    if isinstance(v, dict):
        return "grid" if "col" in v or "row" in v else "rel"
    return "grid" if isinstance(v, GridBox) else "rel"


Box = Annotated[
    Annotated[RelBox, Tag("rel")] | Annotated[GridBox, Tag("grid")],
    Discriminator(_box_kind),
]


# --- per-region validator settings --------------------------------------------------------


def _compiles(pattern: str) -> str:
    from copyplate.patterns import PatternError, compile_pattern

    try:
        compile_pattern(pattern)
    except PatternError as e:
        raise ValueError(str(e)) from None
    return pattern


class RegionChecks(Strict):
    """Validator settings for one region; unset values fall back to brand defaults."""

    min_contrast: float | None = Field(None, ge=1.0, le=21.0)
    min_apca: float | None = Field(None, ge=0, le=108, description="Minimum APCA |Lc|.")
    pattern: Annotated[str, AfterValidator(_compiles)] | None = Field(
        None, max_length=1000, description="Regex the rendered copy must match in full."
    )
    skip: list[str] = Field(
        default_factory=list, description="Check families not to run here, e.g. ['ocr']."
    )


# --- regions -------------------------------------------------------------------------------


Align = Literal["start", "end", "center"]


VAlign = Literal["top", "middle", "bottom"]


ContrastAid = Literal["none", "auto", "scrim", "halo", "swap"]

BackendName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$"),
    Field(examples=["typeset", "gpt-image"]),
]


class RegionBase(Strict):
    id: Slug
    box: Box | None = Field(
        None, description="Required, except for a region listed in a stack (the stack places it)."
    )
    boxes: dict[Slug, Box] = Field(
        default_factory=dict, description="Per-size overrides of `box`, keyed by size name."
    )
    z: int = Field(0, ge=-1000, le=1000, description="Stacking order; higher is on top.")
    checks: RegionChecks = Field(default_factory=RegionChecks)


class Harmony(Strict):
    """Type harmony across locales: this region of a size is set within `max_spread`
    across the campaign's locales (largest font px over smallest), planned over the batch
    before anything is drawn."""

    max_spread: float = Field(
        1.25,
        ge=1.0,
        le=4.0,
        description="Largest over smallest font px of this region across locales, per size "
        "and variant; 1.0 sets every locale at one size.",
    )


class TextStyle(Strict):
    font_role: Slug = "body"
    min_font_px: int = Field(12, ge=4, le=1000)
    max_font_px: int = Field(48, ge=4, le=1000)
    max_lines: int = Field(1, ge=1, le=50)
    line_height: float = Field(1.2, ge=0.8, le=3.0)
    align: Align = "start"
    valign: VAlign = "middle"
    color: ColorRef = "ink"
    direction: Literal["ltr", "rtl"] | None = Field(
        None, description="Paragraph direction; default from the locale."
    )
    contrast_aid: ContrastAid = "none"
    harmony: Harmony | None = Field(
        None,
        description="Keep this region's type size within a spread across locales "
        '(e.g. {"max_spread": 1.2}); the locale that needs the smallest size sets the band.',
    )
    backend: BackendName | None = Field(
        None,
        description="Copy backend that draws this region: 'typeset' (copyplate's own "
        "typesetter) or 'gpt-image' (OpenAI Images API, gated by the validators, falls back "
        "to 'typeset'). Default: the campaign's copy_backend.",
    )


class TextRegion(RegionBase, TextStyle):
    """Copy set as text: headline, sub-line, legal line."""

    kind: Literal["text"]
    copy_key: CopyKey = Field(alias="copy")


class PriceRegion(RegionBase, TextStyle):
    """A price from the deck (amount + currency), formatted per locale from CLDR."""

    kind: Literal["price"]
    copy_key: CopyKey = Field(alias="copy")
    background: ColorRef | None = Field(None, description="Badge fill; none for bare text.")
    shape: Literal["none", "rect", "pill", "circle", "burst"] = "none"


class CtaRegion(RegionBase, TextStyle):
    """A call-to-action button: a vector shape with a label."""

    kind: Literal["cta"]
    copy_key: CopyKey = Field(alias="copy")
    background: ColorRef = "accent"
    shape: Literal["rect", "pill"] = "pill"
    corner_radius: float = Field(0.2, ge=0, le=0.5, description="Fraction of the box height.")


class QrRegion(RegionBase):
    kind: Literal["qr"]
    copy_key: CopyKey | None = Field(None, alias="copy", description="Deck entry with the payload.")
    payload: str | None = Field(None, min_length=1, max_length=2000)
    ecc: Literal["L", "M", "Q", "H"] = "M"
    min_module_px: int = Field(4, ge=1, le=100)
    quiet_zone_modules: int = Field(4, ge=4, le=40, description="At least 4 by ISO/IEC 18004.")
    color: ColorRef = "#000000"
    background: ColorRef = "#FFFFFF"


class BarcodeRegion(RegionBase):
    kind: Literal["barcode"]
    symbology: Literal["ean13", "upca"]
    copy_key: CopyKey | None = Field(None, alias="copy", description="Deck entry with the digits.")
    payload: str | None = Field(None, pattern=r"^[0-9]{11,13}$")
    min_module_px: int = Field(2, ge=1, le=50)
    show_digits: bool = True
    color: ColorRef = "#000000"
    background: ColorRef = "#FFFFFF"


ImageFit = Literal["contain", "cover"]


Anchor = Literal[
    "center",
    "top",
    "bottom",
    "left",
    "right",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
]


class FocalPoint(Strict):
    """A point of the source image, in fractions of its width and height, that a crop keeps
    in view (and as near the box's centre as the crop allows)."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)


class Shadow(Strict):
    """A soft contact shadow under a cut-out, made from its alpha."""

    opacity: float = Field(0.35, ge=0, le=1)
    blur: float = Field(
        0.04, ge=0, le=0.5, description="Blur radius, fraction of the image height."
    )
    offset: float = Field(
        0.02, ge=-0.5, le=0.5, description="Downward offset, fraction of the image height."
    )
    squash: float = Field(
        0.15, gt=0, le=1, description="Height of the shadow, fraction of the image height."
    )
    color: ColorRef = "#000000"


class LogoRegion(RegionBase):
    kind: Literal["logo"]
    src: RelPath
    fit: ImageFit = "contain"
    anchor: Anchor = "center"
    variants: dict[Literal["light", "dark"], RelPath] = Field(
        default_factory=dict,
        description="Colour variants: 'light' (for dark plates) and 'dark' (for light "
        "plates), chosen by the plate's luminance under the box. Default: `src` only.",
    )
    clear_space: float = Field(
        0.0,
        ge=0,
        le=5,
        description="Space around the logo no other region's ink may enter, in logo heights.",
    )
    min_px: int = Field(1, ge=1, le=8192, description="Smallest logo height drawn, in px.")
    scale: float = Field(
        1.0,
        gt=0,
        le=1,
        description="Share of the box the logo fills (the retry ladder lowers "
        "it to restore clear space).",
    )
    min_contrast: float = Field(
        3.0, ge=1, le=21, description="WCAG contrast of the logo against the plate around it."
    )


class ImageRegion(RegionBase):
    """A photo or a cut-out (PNG/WebP with alpha, or a photo plus `mask`)."""

    kind: Literal["image"]
    src: RelPath
    fit: ImageFit = "cover"
    mask: RelPath | None = Field(
        None, description="Greyscale mask file (white = product) giving `src` an alpha."
    )
    anchor: Anchor = "center"
    focal: FocalPoint | None = Field(
        None, description="Point a 'cover' crop keeps in view; default: `crop`."
    )
    crop: Literal["anchor", "saliency", "faces"] = Field(
        "anchor",
        description="How a 'cover' crop without `focal` is placed: by `anchor`, on the most "
        "salient area (spectral residual), or on detected faces (else saliency).",
    )
    shadow: Shadow | None = Field(None, description="Soft contact shadow from the alpha.")
    max_upscale: float = Field(
        1.25, ge=1, le=8, description="Largest enlargement before `image.resolution` fails."
    )
    protect: float = Field(
        0.02,
        ge=0,
        le=1,
        description="Share of the product's visible alpha that copy may cover "
        "(geometry.covers_product).",
    )


Region = Annotated[
    TextRegion | PriceRegion | CtaRegion | QrRegion | BarcodeRegion | LogoRegion | ImageRegion,
    Field(discriminator="kind"),
]
REGION_KINDS = ("text", "price", "cta", "qr", "barcode", "logo", "image")
TEXT_KINDS = ("text", "price", "cta")


StackDirection = Literal["column", "row"]


class Stack(Strict):
    """Flowing regions: text, price and CTA regions set one after another in a group box.

    Each region takes the extent its copy needs along the stack (a headline that needs two
    lines pushes what follows down); the type shrinks, within each region's limits, only
    when the whole stack does not fit. A row runs right to left in right-to-left locales.
    """

    id: Slug
    regions: list[Slug] = Field(
        min_length=1, max_length=16, description="Region ids in reading order."
    )
    box: Box = Field(description="The group box the regions flow in.")
    boxes: dict[Slug, Box] = Field(
        default_factory=dict, description="Per-size overrides of `box`, keyed by size name."
    )
    direction: StackDirection = "column"
    directions: dict[Slug, StackDirection] = Field(
        default_factory=dict,
        description="Per-size overrides of `direction` (derived sizes set one when their "
        "aspect turns a column into a row or back).",
    )
    gap: float = Field(
        0.04,
        ge=0,
        le=0.5,
        description="Space between regions, fraction of the group box's extent along the stack.",
    )
    align: Literal["start", "center", "end", "space-between"] = Field(
        "start",
        description="Where the regions sit along the stack when there is room to spare; "
        "start is the top of a column, and the reading start of a row (right in RTL).",
    )


# --- copy ----------------------------------------------------------------------------------


class Price(Strict):
    """A price as data: the typesetter formats it per locale (CLDR), never by hand."""

    # Not strict: the amount is written as a string ("19.99") precisely so it stays exact.
    amount: Decimal = Field(
        ge=0, le=Decimal("1e12"), strict=False, description='Exact decimal, e.g. "19.99".'
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. 'EUR'.")

    @field_validator("amount")
    @classmethod
    def _exact(cls, v: Decimal) -> Decimal:
        # A price is at most cents of cents; "1E-999999999" is not a price (and formatting
        # it would round it to 0.00). The currency's own precision is checked per locale.
        from copyplate.layouts.locales import decimal_places

        if decimal_places(v) > 12:
            msg = f"{v} has more than 12 decimal places; expected an exact amount like 19.99"
            raise ValueError(msg)
        return v


CopyValue = CopyText | Price


class Locale(Strict):
    copy_: dict[CopyKey, CopyValue] = Field(
        default_factory=dict, alias="copy", description="Inline copy for this locale."
    )
    deck: RelPath | None = Field(
        None, description="JSON copy deck with this locale's entries ({key: value})."
    )
    direction: Literal["ltr", "rtl"] | None = Field(
        None, description="Paragraph direction; default from CLDR."
    )
    numbering_system: str | None = Field(
        None,
        pattern=r"^[a-z]{4,8}$",
        description="CLDR numbering system for prices, e.g. 'latn' or 'arab'; default from CLDR.",
    )


class Deck(Strict):
    """A shared copy deck: CSV with a 'key' column and one column per locale, or JSON
    of the form {locale: {key: value}}. CSV prices are written '19.99 EUR'."""

    file: RelPath
    format: Literal["csv", "json"] | None = Field(None, description="Default: from the suffix.")


class Variant(Strict):
    id: Slug
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Plate seed override.")
    copy_: dict[CopyKey, CopyKey] = Field(
        default_factory=dict,
        alias="copy",
        description="Copy-key substitutions for this variant, e.g. {'headline': 'headline_b'}.",
    )


class Campaign(Strict):
    """A campaign: brand, output sizes, plate, regions and copy for every locale."""

    model_config = ConfigDict(
        title="copyplate campaign",
        json_schema_extra={"$id": SCHEMA_ID},
    )

    schema_: str | None = Field(None, alias="$schema", description="Path or URL of this schema.")
    version: Literal[1] = Field(description="Layout file format version.")
    id: Slug
    name: str = Field(min_length=1, max_length=200)
    brand: Brand
    sizes: list[OutputSize] = Field(min_length=1, max_length=64)
    plate: Plate
    regions: list[Region] = Field(min_length=1, max_length=MAX_REGIONS)
    stacks: list[Stack] = Field(
        default_factory=list, max_length=MAX_REGIONS, description="Flowing groups of regions."
    )
    locales: dict[LocaleTag, Locale] = Field(min_length=1, max_length=300)
    decks: list[Deck] = Field(default_factory=list, max_length=64)
    variants: list[Variant] = Field(
        default_factory=lambda: [Variant(id="default")], min_length=1, max_length=64
    )
    copy_backend: BackendName | None = Field(
        None,
        description="Default copy backend for text, price and CTA regions that name none: "
        "'typeset' or 'gpt-image'.",
    )
    gpt_image: GptImage = Field(default_factory=GptImage)
