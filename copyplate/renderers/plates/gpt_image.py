"""`gpt-image[:model]`: plates from the OpenAI Images API (generation endpoint).

The service takes no seed, so a plate is not reproducible from its request: the plate
cache (keyed by prompt, size, palette, model, quality) is what keeps every locale of a
size, and the next run, on the same plate. Prompts ask for no text at all: copy is drawn
by the copy stage, where it can be checked.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PIL import Image, ImageOps

from copyplate.layouts.geometry import Rect
from copyplate.layouts.models import GptImage
from copyplate.renderers.openai_images import Call, api_size, client_for
from copyplate.renderers.plates.base import PlateRequest, plate_generators


def plate_prompt(req: PlateRequest) -> str:
    parts = [
        req.prompt.strip(),
        "A background plate for a marketing asset: leave calm space for copy added later.",
        f"Colour palette: {', '.join(req.palette)}.",
    ]
    if req.mood:
        parts.append(f"Mood: {req.mood}.")
    avoid = "any text, letters, numbers, logos, watermarks, signatures, borders"
    if req.negative_prompt:
        avoid = f"{req.negative_prompt.strip()}, {avoid}"
    parts.append(f"Avoid: {avoid}.")
    return "\n".join(parts)


@plate_generators.register("gpt-image")
class GptImagePlate:
    name: ClassVar[str] = "gpt-image"

    def __init__(self, model: str | None = None) -> None:
        self.model = model
        self.settings = GptImage()
        self.calls: list[Call] = []  # every call made, drained by the plate source

    def configure(self, settings: GptImage) -> None:
        self.settings = settings

    @property
    def _settings(self) -> GptImage:
        if self.model:
            return self.settings.model_copy(update={"model": self.model})
        return self.settings

    @property
    def model_id(self) -> str:
        s = self._settings
        return f"openai-images/{s.model}@{s.quality}"

    def take_calls(self) -> list[dict[str, Any]]:
        out = [c.as_dict() for c in self.calls]
        self.calls.clear()
        return out

    def generate(self, req: PlateRequest) -> Image.Image:
        s = self._settings
        size = api_size(req.width, req.height, s.size)
        image, call = client_for(s, "gpt-image plate").generate(plate_prompt(req), size)
        self.calls.append(call)
        # Cover the canvas: scale to fill, crop the overflow evenly.
        return ImageOps.fit(image, (req.width, req.height), Image.Resampling.LANCZOS)

    def inpaint(self, plate: Image.Image, mask: Image.Image, req: PlateRequest) -> Image.Image:
        """A calmer patch where `mask` is white, through the edit endpoint; the caller pastes
        the result through the mask, so nothing outside it changes."""
        from copyplate.renderers.copy.gpt_image import Frame

        s = self._settings
        size = api_size(plate.width, plate.height, s.size)
        frame = Frame.fit(plate.width, plate.height, size)
        box = mask.convert("L").point(lambda v: 255 if v > 127 else 0).getbbox()
        if box is None:
            return plate
        rect = Rect(box[0], box[1], box[2] - box[0], box[3] - box[1])
        prompt = (
            "Repaint only the transparent area of the mask as a calm, even continuation of "
            "the background, with no detail, text or objects, so copy set on it reads clearly."
        )
        image, call = client_for(s, "gpt-image plate").edit(
            frame.to_api(plate), frame.mask(rect, 0), prompt, size
        )
        self.calls.append(call)
        return frame.from_api(image)
