"""The manifest: the `copyplate verify` contract as types.

The pipeline writes it next to every asset and `verify` reads it; anything else (a
designer's export, another tool) may write it too. The contract's fields say what the image
must show. The pipeline's own keys (font, size, lines, runs ...) are *hints*: typed and
bounded here because they are untrusted input, used to sharpen a check, never to change
what the expected copy is. Unknown keys are kept and ignored.

`manifest.schema.json` is generated from these models (`copyplate schema --write`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from copyplate.limits import MAX_REGIONS

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")

Kind = Literal["text", "price", "cta", "qr", "barcode", "logo", "image"]
Coord = Annotated[int, Field(ge=0, le=100_000)]
Box = Annotated[
    list[Coord],
    Field(min_length=4, max_length=4, description="[x, y, w, h] in integer pixels of the image."),
]
Short = Annotated[str, Field(max_length=1000)]
Copy = Annotated[str, Field(max_length=10_000)]

_REQUIRED: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "cta": ("text",),
    "price": ("text", "amount", "currency"),
    "qr": ("payload",),
    "barcode": ("payload", "symbology"),
}


class Run(BaseModel):
    """Hint: one stretch of a line set in one font ("path#index")."""

    model_config = ConfigDict(extra="allow", strict=True)

    text: Copy
    font: Short


RunLine = Annotated[list[Run], Field(max_length=200)]


def _kind_rules(schema: dict[str, Any]) -> None:
    schema["allOf"] = [
        {
            "if": {"properties": {"kind": {"enum": kinds}}},
            "then": {"required": list(fields)},
        }
        for fields, kinds in _grouped().items()
    ]


def _grouped() -> dict[tuple[str, ...], list[str]]:
    out: dict[tuple[str, ...], list[str]] = {}
    for kind, fields in _REQUIRED.items():
        out.setdefault(fields, []).append(kind)
    return out


class ManifestRegion(BaseModel):
    """One region: the contract's fields, then the pipeline's hints."""

    model_config = ConfigDict(extra="allow", strict=True, json_schema_extra=_kind_rules)

    id: Annotated[str, Field(min_length=1, max_length=100)]
    kind: Kind
    box: Box
    text: Copy | None = None
    amount: Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?$", max_length=40)] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    payload: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    symbology: Literal["ean13", "upca"] | None = None
    min_contrast: Annotated[float, Field(ge=1, le=21)] | None = None
    pattern: Short | None = None
    direction: Literal["ltr", "rtl"] | None = None
    min_font_px: Annotated[int, Field(ge=1, le=2000)] | None = None
    min_module_px: Annotated[int, Field(ge=1, le=1000)] | None = None
    min_apca: Annotated[float, Field(ge=0, le=110)] | None = None
    skip: Annotated[list[Short], Field(max_length=20)] = []
    # --- hints (untrusted; never the expected copy) ---
    z: Annotated[int, Field(ge=-10_000, le=10_000)] = 0
    font_px: Annotated[int, Field(ge=1, le=2000)] | None = None
    lines: Annotated[list[Copy], Field(max_length=200)] | None = None
    runs: Annotated[list[RunLine], Field(max_length=200)] | None = None
    font_chain: Annotated[list[Short], Field(max_length=20)] | None = None
    font_files: Annotated[list[Short], Field(max_length=20)] | None = None
    bold: bool | None = None
    color: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$")] | None = None
    text_bbox: Box | None = None
    align: Annotated[str, Field(max_length=20)] | None = None
    generated: bool = False
    # image regions: the product's visible alpha on a grid over the box ('1' = product),
    # and the share of it copy may cover; logo regions: the logo's drawn extent, its clear
    # space in logo heights and its smallest height.
    alpha_grid: (
        Annotated[list[Annotated[str, Field(pattern=r"^[01]{1,64}$")]], Field(max_length=64)] | None
    ) = None
    protect: Annotated[float, Field(ge=0, le=1)] | None = None
    ink_box: Box | None = None
    clear_space: Annotated[float, Field(ge=0, le=5)] | None = None
    min_px: Annotated[int, Field(ge=1, le=100_000)] | None = None

    @model_validator(mode="after")
    def _kind_needs(self) -> ManifestRegion:
        missing = [f for f in _REQUIRED.get(self.kind, ()) if getattr(self, f) is None]
        if missing:
            msg = f"a {self.kind} region needs {', '.join(repr(m) for m in missing)}"
            raise ValueError(msg)
        return self


class Manifest(BaseModel):
    """One JSON file per image: what the image must say and where."""

    model_config = ConfigDict(
        extra="allow",
        strict=True,
        title="copyplate asset manifest",
        json_schema_extra={
            "description": "One JSON file per image: what the image must say and where. "
            "Read by `copyplate verify`. Unknown keys are allowed and ignored."
        },
    )

    image: Annotated[
        str,
        Field(
            min_length=1,
            max_length=1024,
            pattern=r"^[^\x00]+$",
            description="Image path relative to the manifest.",
        ),
    ]
    locale: (
        Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")]
        | None
    ) = None
    regions: Annotated[list[ManifestRegion], Field(max_length=MAX_REGIONS)]
    # --- hints ---
    safe_area: Box | None = None
    delivery_width: Annotated[int, Field(ge=1, le=100_000)] | None = None


def manifest_schema() -> dict[str, Any]:
    schema = Manifest.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://copyplate.dev/schema/manifest-v1.json",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(manifest_schema(), indent=2, ensure_ascii=False) + "\n"
