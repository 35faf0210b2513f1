"""`gpt-image`: an autoregressive image model (OpenAI Images API) draws a region's copy.

The service gets the composite as it stands (plate plus every layer below the region) and
a mask whose transparent pixels are the region's box plus a small margin, so it can blend
into the surroundings; the prompt carries the exact copy in quotes and the region's
constraints. Only the box's pixels are taken from the answer: whatever the service drew
elsewhere, margin included, is dropped, so the layer stays confined to its box like every
other layer, and a retry or a fallback replaces exactly that box.

Nothing here trusts the answer: the validators read the region like any other, and the
retry ladder (pipeline/replan.py) re-asks with a relaxed prompt, then falls back to
`typeset`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from copyplate.errors import ServiceError
from copyplate.findings import Finding
from copyplate.layouts.geometry import Rect
from copyplate.layouts.models import CtaRegion, PriceRegion, RegionBase, TextRegion
from copyplate.renderers.copy.base import (
    Layer,
    LayerMeta,
    RenderContext,
    add_price,
    copy_of,
    copy_renderers,
)
from copyplate.renderers.openai_images import API_SIZES, api_size, client_for

TextLike = TextRegion | PriceRegion | CtaRegion
NAME = "gpt-image"


@dataclass(frozen=True)
class Frame:
    """Where the canvas sits inside the API image: scaled to fit, centred, padded."""

    width: int  # canvas
    height: int
    api: tuple[int, int]
    scale: float
    x: int  # canvas origin in the API image
    y: int
    cw: int  # canvas size in the API image
    ch: int

    @classmethod
    def fit(cls, width: int, height: int, size: str) -> Frame:
        aw, ah = API_SIZES[size]
        scale = min(aw / width, ah / height)
        cw, ch = round(width * scale), round(height * scale)
        return cls(width, height, (aw, ah), scale, (aw - cw) // 2, (ah - ch) // 2, cw, ch)

    def to_api(self, canvas: Image.Image) -> Image.Image:
        out = Image.new("RGB", self.api, (128, 128, 128))
        scaled = canvas.convert("RGB").resize((self.cw, self.ch), Image.Resampling.LANCZOS)
        out.paste(scaled, (self.x, self.y))
        return out

    def mask(self, box: Rect, margin: int) -> Image.Image:
        """Opaque everywhere but over the box plus `margin` canvas pixels: transparent
        pixels are the ones the service may change."""
        m = Image.new("RGBA", self.api, (0, 0, 0, 255))
        x0 = self.x + math.floor((box.x - margin) * self.scale)
        y0 = self.y + math.floor((box.y - margin) * self.scale)
        x1 = self.x + math.ceil((box.right + margin) * self.scale)
        y1 = self.y + math.ceil((box.bottom + margin) * self.scale)
        # Never into the padding: that is not part of the picture.
        x0, y0 = max(x0, self.x), max(y0, self.y)
        x1, y1 = min(x1, self.x + self.cw), min(y1, self.y + self.ch)
        m.paste((0, 0, 0, 0), (x0, y0, x1, y1))
        return m

    def from_api(self, answer: Image.Image) -> Image.Image:
        """The answer back at canvas size. An answer of another size but the same shape is
        scaled first; one of another shape cannot be mapped back and is refused."""
        if answer.size != self.api:
            a, b = answer.width / answer.height, self.api[0] / self.api[1]
            if abs(a - b) > 0.01:
                w, h = answer.size
                msg = f"asked for {self.api[0]}x{self.api[1]}, the answer is {w}x{h}"
                raise ValueError(msg)
            answer = answer.resize(self.api, Image.Resampling.LANCZOS)
        crop = answer.crop((self.x, self.y, self.x + self.cw, self.y + self.ch))
        return crop.resize((self.width, self.height), Image.Resampling.LANCZOS)


def language_name(locale: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(locale, sep="-").english_name)
    except (UnknownLocaleError, ValueError):
        return locale


def build_prompt(region: TextLike, ctx: RenderContext, text: str, relax: int, scale: float) -> str:
    """The edit prompt. `relax` 0 asks for the brand's look; 1 lets go of the typeface;
    2 lets go of the colour and asks for the plainest legible lettering."""
    lc = ctx.campaign
    info = lc.locale(ctx.locale)
    direction = region.direction or lc.direction(ctx.locale)
    what = {"text": "text", "price": "price", "cta": "button label"}[region.kind]
    lines = region.max_lines
    min_px = max(1, round(region.min_font_px * scale))
    max_px = max(min_px, round(region.max_font_px * scale))
    parts = [
        f"Edit only the transparent area of the mask. Draw this {what} in "
        f"{language_name(ctx.locale)} ({info.script} script, "
        f"{'right-to-left' if direction == 'rtl' else 'left-to-right'}), exactly as "
        f'written between the quotes, every character, nothing added or left out: "{text}"',
        f"At most {lines} line(s), letters {min_px}-{max_px} px tall, aligned "
        f"{region.align}, kept well inside the area.",
    ]
    color = lc.color(region.color)[:7]
    if relax == 0:
        chain = lc.font_chain(region.font_role, info.script)
        if chain:
            face = chain[0]
            parts.append(f"Lettering in the style of {face.family} {face.style}.")
        parts.append(f"Text colour {color}.")
    elif relax == 1:
        parts.append(f"Plain, clean sans-serif lettering. Text colour {color} or close to it.")
    else:
        parts.append(
            "The plainest, most legible lettering: simple sans-serif, solid colour with strong "
            "contrast against what is behind it; a calm, flat background behind the text is fine."
        )
    if isinstance(region, CtaRegion):
        parts.append(f"It is a {region.shape} button filled {lc.color(region.background)[:7]}.")
    elif isinstance(region, PriceRegion) and region.background and region.shape != "none":
        parts.append(f"On a {region.shape} badge filled {lc.color(region.background)[:7]}.")
    parts.append(
        "Keep the surroundings continuous with the image. No other text, no logos, "
        "no watermark, no border."
    )
    style = lc.campaign.gpt_image.style
    if style:
        parts.append(style)
    return "\n".join(parts)


@copy_renderers.register(NAME)
class GptImageRenderer:
    name: ClassVar[str] = NAME
    kinds: ClassVar[tuple[str, ...]] = ("text", "price", "cta")

    def preflight(self, lc: Any) -> None:
        """Fails now, not at the first region, without the SDK or OPENAI_API_KEY."""
        client_for(lc.campaign.gpt_image, lc.display)

    def render(self, region: RegionBase, ctx: RenderContext) -> Layer:
        assert isinstance(region, TextRegion | PriceRegion | CtaRegion)
        lc = ctx.campaign
        settings = lc.campaign.gpt_image
        rect = lc.region_rect(region, ctx.size)
        text, extra = copy_of(region, ctx)
        relax = ctx.prompt_relax
        frame = Frame.fit(
            ctx.size.width,
            ctx.size.height,
            api_size(ctx.size.width, ctx.size.height, settings.size),
        )
        prompt = build_prompt(region, ctx, text, relax, frame.scale)
        meta: LayerMeta = {"text": text}
        add_price(meta, extra)
        meta.update(
            {
                "direction": region.direction or lc.direction(ctx.locale),
                "renderer": NAME,
                "backend": NAME,
                # Not drawn in a known font: the OCR validator must read it exactly, with no
                # rendered reference to vouch for it.
                "generated": True,
                "model": settings.model,
                "prompt_relax": relax,
                "prompt": prompt,
                # An explicit target only; else the validator picks WCAG's by measured size.
                "contrast_target": region.checks.min_contrast,
            }
        )
        backdrop = ctx.backdrop
        if backdrop is None:  # render_copy always passes one; a caller that does not gets this
            msg = "the gpt-image backend needs the composite beneath the region"
            raise ServiceError(msg)
        client = client_for(settings, lc.display)
        try:
            answer, call = client.edit(
                frame.to_api(backdrop),
                frame.mask(rect, settings.mask_margin_px),
                prompt,
                f"{frame.api[0]}x{frame.api[1]}",
            )
        except ServiceError as e:
            return _failed(region, rect, meta, e.call, str(e))
        try:
            canvas = frame.from_api(answer)
        except ValueError as e:
            call.status, call.error = "malformed", str(e)
            return _failed(region, rect, meta, call.as_dict(), f"malformed answer: {e}")
        meta["calls"] = [call.as_dict()]
        tile = canvas.crop((rect.x, rect.y, rect.right, rect.bottom)).convert("RGBA")
        return Layer(region.id, rect, tile, region.z, meta, [])


def _failed(region: RegionBase, rect: Rect, meta: LayerMeta, call: Any, why: str) -> Layer:
    """An empty layer with the finding that sends the region to the fallback."""
    meta["calls"] = [call] if call else []
    meta["generated"] = False  # nothing was drawn: provenance must not claim otherwise
    finding = Finding(
        "backend.service",
        region.id,
        False,
        f"{NAME} could not draw the region: {why}",
        expected="an image from the service",
        bbox=rect.as_list(),
        action="fallback",
    )
    empty = Image.new("RGBA", (rect.w, rect.h), (0, 0, 0, 0))
    return Layer(region.id, rect, empty, region.z, meta, [finding])
