"""`barcode`: EAN-13 / UPC-A decodes to the payload, the check digit is right, quiet zones
are wide enough, and it still decodes at delivery size."""

from __future__ import annotations

from typing import ClassVar

from copyplate.findings import Finding
from copyplate.gs1 import barcode_problem
from copyplate.validators.base import AssetView, RegionSpec, validators
from copyplate.validators.codes import (
    decode,
    delivery_finding,
    quiet_zone_modules,
    zbar_finding,
)

QUIET = {"ean13": (11, 7), "upca": (9, 9)}
LINEAR = ("EAN13", "UPCA")


def _same(read: str, payload: str, symbology: str) -> bool:
    # A UPC-A is an EAN-13 with a leading 0: decoders report either form.
    if symbology == "upca" and len(read) == 13 and read.startswith("0"):
        read = read[1:]
    return read == payload


@validators.register("barcode")
class BarcodeValidator:
    check: ClassVar[str] = "barcode"
    kinds: ClassVar[tuple[str, ...]] = ("barcode",)

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        box = region.box
        bbox = box.as_list()
        payload = str(region.m.payload)
        sym_name = str(region.m.symbology)
        out: list[Finding] = []
        problem = barcode_problem(sym_name, payload)
        out.append(
            Finding(
                "barcode.check_digit",
                region.id,
                problem is None,
                problem or "check digit is right",
                measured=payload,
                bbox=bbox,
                action="none" if problem is None else "fail",
            )
        )
        found = [d for d in decode(asset.image, box) if d.format.replace("-", "").upper() in LINEAR]
        if not found:
            out.append(
                Finding(
                    "barcode.decode",
                    region.id,
                    False,
                    "no EAN/UPC code decoded",
                    expected=payload,
                    bbox=bbox,
                    action="retypeset",
                )
            )
            return out
        texts = [d.text for d in found]
        ok = len(found) == 1 and _same(texts[0], payload, sym_name)
        out.append(
            Finding(
                "barcode.decode",
                region.id,
                ok,
                "decodes to the payload" if ok else f"decodes to {texts!r}, not {payload!r}",
                measured=texts,
                expected=payload,
                bbox=bbox,
                action="none" if ok else "retypeset",
            )
        )
        sym = found[0]
        module = sym.rect.w / 95
        need_l, need_r = QUIET.get(sym_name, (11, 7))
        qz = quiet_zone_modules(asset.gray, sym.rect, module, sides="lr", limit=need_l + 2)
        qz_ok = qz["l"] >= need_l - 0.5 and qz["r"] >= need_r - 0.5
        out.append(
            Finding(
                "barcode.quiet_zone",
                region.id,
                qz_ok,
                f"quiet zones {qz['l']:.1f} / {qz['r']:.1f} modules (minimum {need_l} / {need_r})",
                measured={k: round(v, 1) for k, v in qz.items()},
                expected=[need_l, need_r],
                bbox=bbox,
                action="none" if qz_ok else "retypeset",
            )
        )
        min_module = float(region.m.min_module_px or 1)
        out.append(
            Finding(
                "barcode.module_size",
                region.id,
                module >= min_module - 0.25,
                f"{module:.1f} px per module",
                measured=round(module, 2),
                expected=min_module,
                bbox=bbox,
                action="none" if module >= min_module - 0.25 else "retypeset",
            )
        )

        def same(read: str) -> bool:
            return _same(read, payload, sym_name)

        zb = zbar_finding("barcode", region.id, asset.image, box, payload, same)
        if zb is not None:
            out.append(zb)
        width = int(asset.manifest.delivery_width or asset.image.width)
        out.append(
            delivery_finding(
                "barcode",
                region.id,
                asset.image,
                box,
                width,
                payload,
                same,
                lambda f: f.replace("-", "").upper() in LINEAR,
            )
        )
        return out
