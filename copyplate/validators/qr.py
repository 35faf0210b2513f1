"""`qr`: decodes to exactly the payload (zxing-cpp, zbar as a second opinion), with a quiet
zone of at least 4 modules measured in pixels, big enough modules, and still decoding at
delivery size after JPEG compression."""

from __future__ import annotations

from typing import ClassVar

from copyplate.findings import Finding
from copyplate.validators.base import AssetView, RegionSpec, validators
from copyplate.validators.codes import (
    decode,
    delivery_finding,
    quiet_zone_modules,
    zbar_finding,
)

MIN_QUIET = 4
DEFAULT_MIN_MODULE_PX = 2


@validators.register("qr")
class QrValidator:
    check: ClassVar[str] = "qr"
    kinds: ClassVar[tuple[str, ...]] = ("qr",)

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        box = region.box
        bbox = box.as_list()
        payload = str(region.m.payload)
        found = [d for d in decode(asset.image, box) if d.format.startswith("QR")]
        if not found:
            return [
                Finding(
                    "qr.decode",
                    region.id,
                    False,
                    "no QR code could be decoded",
                    expected=payload,
                    bbox=bbox,
                    action="fail",
                )
            ]
        texts = [d.text for d in found]
        ok = texts == [payload]
        out = [
            Finding(
                "qr.decode",
                region.id,
                ok,
                "decodes to the payload" if ok else f"decodes to {texts!r}, not the payload",
                measured=texts,
                expected=payload,
                bbox=bbox,
                action="none" if ok else "fail",
            )
        ]
        sym = found[0]
        version = int(sym.extra.get("Version", 0) or 0)
        modules = 17 + 4 * version if version else 21
        module = sym.rect.w / modules
        min_module = float(region.m.min_module_px or DEFAULT_MIN_MODULE_PX)
        mod_ok = module >= min_module - 0.25
        out.append(
            Finding(
                "qr.module_size",
                region.id,
                mod_ok,
                f"{module:.1f} px per module (version {version}, {modules} modules)",
                measured=round(module, 2),
                expected=min_module,
                bbox=bbox,
                action="none" if mod_ok else "retypeset",
            )
        )
        qz = quiet_zone_modules(asset.gray, sym.rect, module)
        worst = min(qz.values())
        qz_ok = worst >= MIN_QUIET - 0.5
        out.append(
            Finding(
                "qr.quiet_zone",
                region.id,
                qz_ok,
                f"quiet zone {worst:.1f} modules at its narrowest (minimum {MIN_QUIET})",
                measured={k: round(v, 1) for k, v in qz.items()},
                expected=MIN_QUIET,
                bbox=bbox,
                action="none" if qz_ok else "retypeset",
            )
        )
        zb = zbar_finding("qr", region.id, asset.image, box, payload, payload.__eq__)
        if zb is not None:
            out.append(zb)
        width = int(asset.manifest.delivery_width or asset.image.width)
        out.append(
            delivery_finding(
                "qr",
                region.id,
                asset.image,
                box,
                width,
                payload,
                payload.__eq__,
                lambda f: f.startswith("QR"),
            )
        )
        return out
