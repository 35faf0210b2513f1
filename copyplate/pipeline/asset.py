"""One asset: plate + one layer per region in z-order, written with its manifest.

The manifest is the `copyplate verify` contract (see design.md): boxes in image pixels,
the exact expected copy, and the pipeline's own extra keys (font, size, z, renderer ...).
"""

from __future__ import annotations

import functools
import io
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms

from copyplate.fileio import write_atomic
from copyplate.findings import Finding
from copyplate.layouts.geometry import safe_rect
from copyplate.layouts.loader import LoadedCampaign
from copyplate.layouts.models import BarcodeRegion, OutputSize, QrRegion, Region
from copyplate.pipeline.directives import Directive
from copyplate.pipeline.plan import Job
from copyplate.pipeline.provenance import Signing, sign, summary, xmp_packet
from copyplate.pngfile import encode_png
from copyplate.renderers.copy.base import Layer, RenderContext, backend_of, renderer_for
from copyplate.renderers.plates.base import PlateRequest
from copyplate.validators.contract import Manifest
from copyplate.validators.manifest import parse_manifest

MANIFEST_VERSION = 1


@dataclass
class RenderedAsset:
    job: Job
    image: Image.Image  # RGB, the final composite
    layers: list[Layer]
    plate: dict[str, Any] = field(default_factory=dict)  # model, seed, cache key
    # Validator findings per region (empty until validated) and retry attempts per region.
    validation: dict[str, list[Finding]] = field(default_factory=dict)
    attempts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # The plate as used (after any inpainting): the C2PA ingredient.
    plate_image: Image.Image | None = None

    @property
    def ok(self) -> bool:
        return all(layer.ok for layer in self.layers) and all(
            f.passed for fs in self.validation.values() for f in fs
        )


def plate_request(lc: LoadedCampaign, size: OutputSize, variant: str) -> PlateRequest:
    p = lc.campaign.plate
    seed = next(
        (v.seed for v in lc.campaign.variants if v.id == variant and v.seed is not None), p.seed
    )
    extra: dict[str, Any] = {}
    if p.calm_under_copy > 0:
        # Only when asked: a request without layout keeps the cache key it always had.
        extra = {
            "copy_boxes": [
                lc.region_rect(r, size).as_list()
                for r in lc.campaign.regions
                if r.kind in ("text", "price", "cta")
            ],
            "calm": p.calm_under_copy,
        }
    return PlateRequest(
        prompt=p.prompt,
        width=size.width,
        height=size.height,
        palette=tuple(lc.color(c)[:7] for c in p.palette),
        seed=seed,
        negative_prompt=p.negative_prompt,
        mood=p.mood,
        steps=p.steps,
        extra=extra,
    )


def draw_region(
    lc: LoadedCampaign,
    job: Job,
    region: Region,
    below: Image.Image,
    directive: Directive | None = None,
    copy_backend: str | None = None,
) -> Layer:
    """One region's layer over `below` (the composite beneath it), drawn as `directive`
    says (a retry's relaxations), by the backend that draws it: the directive's fallback
    wins over the region's, the run's and the campaign's choice."""
    d = directive or Directive()
    backend = d.backend or backend_of(region, lc.campaign.copy_backend, copy_backend)
    ctx = RenderContext(
        lc,
        job.locale,
        lc.size(job.size),
        job.variant,
        backdrop=below,
        font_shift=d.relax.font_shift,
        prompt_relax=d.relax.prompt_relax,
    )
    layer = renderer_for(region.kind, backend).render(d.region(region), ctx)
    layer.meta.setdefault("backend", backend)
    return layer


def render_copy(
    lc: LoadedCampaign,
    job: Job,
    plate: Image.Image,
    copy_backend: str | None = None,
) -> tuple[Image.Image, list[Layer]]:
    """Render every region over `plate` in z-order; each region sees what lies beneath it."""
    size = lc.size(job.size)
    if plate.size != (size.width, size.height):
        w, h = plate.size
        msg = f"plate is {w}x{h}; size {size.name!r} needs {size.width}x{size.height}"
        raise ValueError(msg)
    canvas = plate.convert("RGBA")
    layers: list[Layer] = []
    order = sorted(enumerate(lc.campaign.regions), key=lambda ir: (ir[1].z, ir[0]))
    for _, region in order:
        layer = draw_region(lc, job, region, canvas, copy_backend=copy_backend)
        canvas.alpha_composite(layer.image, (layer.rect.x, layer.rect.y))
        layers.append(layer)
    return canvas.convert("RGB"), layers


def manifest(lc: LoadedCampaign, asset: RenderedAsset, image_name: str) -> Manifest:
    """The asset's manifest as the validators read it (typed, checked like any other);
    without the findings and attempts so far, which no validator reads (a region's retry
    would otherwise serialise every finding of the asset again)."""
    return parse_manifest(manifest_data(lc, asset, image_name, record=False))


def manifest_data(
    lc: LoadedCampaign, asset: RenderedAsset, image_name: str, record: bool = True
) -> dict[str, Any]:
    """The manifest as written: key order is part of the file's bytes. `record` adds each
    region's findings and attempts."""
    regions: list[dict[str, Any]] = []
    by_id = {r.id: r for r in lc.campaign.regions}
    for layer in asset.layers:
        region = by_id[layer.region]
        entry: dict[str, Any] = {
            "id": region.id,
            "kind": region.kind,
            "box": layer.rect.as_list(),
            "z": region.z,
        }
        meta = dict(layer.meta)
        if "text" in meta:
            entry["text"] = meta.pop("text")
        for key in ("amount", "currency", "payload", "symbology"):
            if key in meta:
                entry[key] = meta.pop(key)
        if region.kind in ("text", "price", "cta"):
            entry["direction"] = meta.pop("direction", lc.direction(asset.job.locale))
            entry["min_contrast"] = meta.get("contrast_target")
            entry["min_font_px"] = getattr(region, "min_font_px", None)
            entry["align"] = getattr(region, "align", "start")
        if isinstance(region, QrRegion | BarcodeRegion):
            entry["min_module_px"] = region.min_module_px
        if region.checks.pattern:
            entry["pattern"] = region.checks.pattern
        if region.checks.min_apca is not None:
            entry["min_apca"] = region.checks.min_apca
        if region.checks.skip:
            entry["skip"] = list(region.checks.skip)
        entry.update(meta)
        if record:
            findings = [*layer.findings, *asset.validation.get(region.id, [])]
            entry["findings"] = [f.as_dict() for f in findings]
            if region.id in asset.attempts:
                entry["attempts"] = asset.attempts[region.id]
        regions.append(entry)
    return {
        "manifest_version": MANIFEST_VERSION,
        "image": image_name,
        "locale": asset.job.locale,
        "campaign": lc.campaign.id,
        "size": asset.job.size,
        "variant": asset.job.variant,
        "width": asset.image.width,
        "height": asset.image.height,
        "safe_area": safe_rect(lc.size(asset.job.size)).as_list(),
        "delivery_width": lc.size(asset.job.size).delivery_width or asset.image.width,
        "plate": asset.plate,
        "passed": asset.ok,
        "regions": regions,
    }


@functools.lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """LittleCMS's sRGB profile with a fixed creation date and no profile ID, so that the
    same asset encodes to the same bytes in any process, on any day."""
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)  # ICC header: date and time
    icc[84:100] = bytes(16)  # profile ID (an MD5 over the header): zero means "not set"
    return bytes(icc)


def encode_image(image: Image.Image, fmt: str, xmp: bytes | None = None) -> bytes:
    """Encode with an embedded sRGB profile, so every viewer shows the brand colours, and
    the XMP packet when given."""
    srgb = srgb_profile()
    buf = io.BytesIO()
    extra: dict[str, Any] = {"xmp": xmp} if xmp else {}
    if fmt == "jpeg":
        image.save(buf, "JPEG", quality=92, subsampling=0, icc_profile=srgb, **extra)
    elif fmt == "webp":
        image.save(buf, "WEBP", quality=92, icc_profile=srgb, **extra)
    else:
        return encode_png(image, srgb, xmp)
    return buf.getvalue()


def write_asset(
    lc: LoadedCampaign, asset: RenderedAsset, out_dir: Path, signing: Signing | None = None
) -> tuple[Path, Path]:
    """Write `<out>/<size>/<locale>.<ext>` and its `.json` manifest, each atomically, with
    XMP provenance embedded, and a signed C2PA manifest when `signing` is given.

    The image goes first: a manifest never names an image that is not there.
    """
    fmt = lc.size(asset.job.size).format
    ext = {"png": "png", "jpeg": "jpg", "webp": "webp"}[fmt]
    stem = out_dir / asset.job.name
    image_path = stem.with_name(f"{stem.name}.{ext}")
    manifest_path = stem.with_name(f"{stem.name}.json")
    data = manifest_data(lc, asset, image_path.name)
    prov = summary(data)
    data["provenance"] = {
        k: prov[k] for k in ("digital_source_type", "ai_systems", "generated", "typeset")
    }
    data["provenance"]["c2pa"] = (
        {"signed": True, "signer": signing.fingerprint()} if signing else {"signed": False}
    )
    blob = encode_image(asset.image, fmt, xmp_packet(data, prov))
    if signing is not None:
        blob = sign(blob, data, prov, image_path.name, asset.plate_image, signing)
    write_atomic(image_path, blob)
    write_atomic(manifest_path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())
    return image_path, manifest_path
