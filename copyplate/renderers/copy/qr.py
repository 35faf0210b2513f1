"""`qr`: a QR code on whole-pixel modules with a real quiet zone.

Modules are drawn as exact pixel squares (no resampling), the quiet zone is painted in the
light colour, and the symbol is as large as the box allows in whole modules.
"""

from __future__ import annotations

from typing import ClassVar

from PIL import Image, ImageDraw

from copyplate.capabilities import require
from copyplate.color import parse_hex
from copyplate.findings import Finding
from copyplate.layouts.models import QrRegion, RegionBase
from copyplate.renderers.copy.base import (
    Layer,
    LayerMeta,
    RenderContext,
    copy_renderers,
    payload_of,
)


def qr_matrix(payload: str, ecc: str) -> tuple[list[bytearray], int]:
    segno = require("segno")
    # boost_error=False: the campaign chose the level; a silent upgrade would change the
    # symbol the manifest describes.
    code = segno.make_qr(payload, error=ecc.lower(), boost_error=False)
    return [bytearray(row) for row in code.matrix], int(code.version)


@copy_renderers.register("qr")
class QrRenderer:
    name: ClassVar[str] = "qr"
    kinds: ClassVar[tuple[str, ...]] = ("qr",)

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, QrRegion)
        lc = ctx.campaign
        rect = lc.region_rect(region, ctx.size)
        payload = payload_of(region, ctx)
        ecc, quiet, min_module = region.ecc, region.quiet_zone_modules, region.min_module_px
        matrix, version = qr_matrix(payload, ecc)
        n = len(matrix)
        total = n + 2 * quiet
        module = min(rect.w, rect.h) // total
        findings: list[Finding] = []
        image = Image.new("RGBA", (rect.w, rect.h), (0, 0, 0, 0))
        meta: LayerMeta = {
            "renderer": self.name,
            "payload": payload,
            "ecc": ecc,
            "version": version,
            "modules": n,
            "module_px": module,
            "quiet_zone_modules": quiet,
        }
        if module < min_module:
            findings.append(
                Finding(
                    "qr.module_size",
                    region.id,
                    False,
                    f"box {rect.w}x{rect.h} px holds {total} modules at {module} px each; "
                    f"at least {min_module} px are required",
                    measured=module,
                    expected=min_module,
                    bbox=rect.as_list(),
                    action="retypeset",
                )
            )
        if module >= 1:
            side = total * module
            ox, oy = (rect.w - side) // 2, (rect.h - side) // 2
            d = ImageDraw.Draw(image)
            d.rectangle(
                (ox, oy, ox + side - 1, oy + side - 1), fill=parse_hex(lc.color(region.background))
            )
            dark = parse_hex(lc.color(region.color))
            for r, row in enumerate(matrix):
                for c, v in enumerate(row):
                    if v:
                        x = ox + (c + quiet) * module
                        y = oy + (r + quiet) * module
                        d.rectangle((x, y, x + module - 1, y + module - 1), fill=dark)
            meta["symbol_box"] = [rect.x + ox, rect.y + oy, side, side]
        return Layer(region.id, rect, image, region.z, meta, findings)
