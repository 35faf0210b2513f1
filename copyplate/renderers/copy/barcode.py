"""`barcode`: EAN-13 and UPC-A with the check digit verified, whole-pixel modules,
GS1 quiet zones and the human-readable digits."""

from __future__ import annotations

from typing import ClassVar

from PIL import Image, ImageDraw

from copyplate.color import parse_hex
from copyplate.errors import MissingCapability
from copyplate.findings import Finding
from copyplate.fonts import FontIndex
from copyplate.gs1 import barcode_problem
from copyplate.layouts.models import BarcodeRegion, RegionBase
from copyplate.renderers.copy.base import (
    Layer,
    LayerMeta,
    RenderContext,
    copy_renderers,
    payload_of,
)
from copyplate.textlayout import load_font

# GS1 General Specifications, figure 5.2.1.2.1-2: the three digit sets and first-digit parity.
L_CODES = [
    "0001101",
    "0011001",
    "0010011",
    "0111101",
    "0100011",
    "0110001",
    "0101111",
    "0111011",
    "0110111",
    "0001011",
]
G_CODES = ["".join("1" if b == "0" else "0" for b in reversed(code)) for code in L_CODES]
R_CODES = ["".join("1" if b == "0" else "0" for b in code) for code in L_CODES]
PARITY = [
    "LLLLLL",
    "LLGLGG",
    "LLGGLG",
    "LLGGGL",
    "LGLLGG",
    "LGGLLG",
    "LGGGLL",
    "LGLGLG",
    "LGLGGL",
    "LGGLGL",
]
QUIET = {"ean13": (11, 7), "upca": (9, 9)}  # modules left, right


def ean13_modules(digits13: str) -> str:
    """The 95 modules of an EAN-13 symbol ('1' = bar)."""
    first, left, right = int(digits13[0]), digits13[1:7], digits13[7:]
    out = "101"
    for d, parity in zip(left, PARITY[first], strict=True):
        out += (L_CODES if parity == "L" else G_CODES)[int(d)]
    out += "01010"
    for d in right:
        out += R_CODES[int(d)]
    return out + "101"


def guard_modules() -> set[int]:
    """Module indices of the start, centre and end guards (drawn longer)."""
    return {0, 1, 2, 45, 46, 47, 48, 49, 92, 93, 94}


@copy_renderers.register("barcode")
class BarcodeRenderer:
    name: ClassVar[str] = "barcode"
    kinds: ClassVar[tuple[str, ...]] = ("barcode",)

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, BarcodeRegion)
        lc = ctx.campaign
        rect = lc.region_rect(region, ctx.size)
        digits = payload_of(region, ctx)
        image = Image.new("RGBA", (rect.w, rect.h), (0, 0, 0, 0))
        meta: LayerMeta = {
            "renderer": self.name,
            "symbology": region.symbology,
            "payload": digits,
        }
        problem = barcode_problem(region.symbology, digits)
        if problem:
            finding = Finding(
                "barcode.check_digit",
                region.id,
                False,
                problem,
                measured=digits,
                bbox=rect.as_list(),
                action="fail",
            )
            return Layer(region.id, rect, image, region.z, meta, [finding])
        ean = digits if region.symbology == "ean13" else "0" + digits
        bars = ean13_modules(ean)
        ql, qr = QUIET[region.symbology]
        total = ql + len(bars) + qr
        module = rect.w // total
        min_module = region.min_module_px
        findings: list[Finding] = []
        if module < min_module:
            findings.append(
                Finding(
                    "barcode.module_size",
                    region.id,
                    False,
                    f"box {rect.w} px wide holds {total} modules at {module} px; "
                    f"at least {min_module} px are required",
                    measured=module,
                    expected=min_module,
                    bbox=rect.as_list(),
                    action="retypeset",
                )
            )
        meta.update({"module_px": module, "quiet_zone_modules": [ql, qr]})
        if module < 1:
            return Layer(region.id, rect, image, region.z, meta, findings)
        width = total * module
        ox = (rect.w - width) // 2
        digit_px = round(module * 9) if region.show_digits else 0
        bar_h = rect.h - (digit_px // 2 if region.show_digits else 0)
        short_h = rect.h - digit_px - module if region.show_digits else bar_h
        light = parse_hex(lc.color(region.background))
        dark = parse_hex(lc.color(region.color))
        d = ImageDraw.Draw(image)
        d.rectangle((ox, 0, ox + width - 1, rect.h - 1), fill=light)
        guards = guard_modules()
        for i, bit in enumerate(bars):
            if bit == "1":
                x = ox + (ql + i) * module
                h = bar_h if (i in guards or not region.show_digits) else short_h
                d.rectangle((x, 0, x + module - 1, h - 1), fill=dark)
        if region.show_digits:
            face = FontIndex.system().find("Noto Sans Mono", "Regular")
            if face is None:
                msg = "font 'Noto Sans Mono' (barcode digits) is not installed (make setup)"
                raise MissingCapability(msg)
            font = load_font(face, digit_px)
            base_y = rect.h - 1
            left_mid = ox + (ql + 3 + 21) * module
            right_mid = ox + (ql + 50 + 21) * module
            if region.symbology == "ean13":
                groups = [
                    (ean[0], ox + (ql - 1) * module, "rs"),
                    (ean[1:7], left_mid, "ms"),
                    (ean[7:], right_mid, "ms"),
                ]
            else:  # UPC-A: number system and check digit stand outside the bars
                groups = [
                    (digits[0], ox + (ql - 1) * module, "rs"),
                    (digits[1:6], left_mid + 3 * module, "ms"),
                    (digits[6:11], right_mid - 3 * module, "ms"),
                    (digits[11], ox + (ql + 95 + 1) * module, "ls"),
                ]
            for text, x, anchor in groups:
                d.text((x, base_y), text, font=font, fill=dark, anchor=anchor)
            meta["digits_font"] = face.label
        meta["symbol_box"] = [rect.x + ox, rect.y, width, rect.h]
        return Layer(region.id, rect, image, region.z, meta, findings)
