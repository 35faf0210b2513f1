"""The plate stage's extension point: generators that make (and repair) backgrounds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

from PIL import Image

from copyplate.registry import Registry


@dataclass(frozen=True)
class PlateRequest:
    prompt: str
    width: int
    height: int
    palette: tuple[str, ...]  # '#RRGGBB', resolved from brand tokens
    seed: int = 0
    negative_prompt: str = ""
    mood: str | None = None
    steps: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self, model_id: str) -> str:
        """Content hash of everything that determines the plate."""
        blob = json.dumps({"model": model_id, **asdict(self)}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def calm_under(plate: Image.Image, req: PlateRequest) -> Image.Image:
    """The plate with calmer, lower-detail areas under the request's copy boxes (layout-
    aware plates): a heavily low-passed plate, its luminance spread pulled in, blended in
    through a feathered mask of the boxes. Works on any backend's output, so every
    generator (built-in, diffusers, hosted) gets the same treatment; a request without
    `copy_boxes` returns the plate unchanged."""
    import numpy as np
    from PIL import ImageDraw, ImageFilter

    boxes = req.extra.get("copy_boxes") or []
    strength = float(req.extra.get("calm", 0))
    if not boxes or strength <= 0:
        return plate
    rgb = plate.convert("RGB")
    side = min(rgb.size)
    margin = max(2, round(side * 0.03))
    mask = Image.new("L", rgb.size, 0)
    draw = ImageDraw.Draw(mask)
    for x, y, w, h in boxes:
        draw.rectangle((x - margin, y - margin, x + w + margin, y + h + margin), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(margin))
    low = np.asarray(rgb.filter(ImageFilter.GaussianBlur(max(4, side / 25))), np.float64)
    # Pull each box's colours halfway to the box's mean: fewer dark and light extremes for
    # copy to fight (the tails are what the contrast check measures).
    m = np.asarray(mask, np.float64)[..., None] / 255.0
    weight = m > 0.5
    mean = low[weight[..., 0]].mean(axis=0) if weight.any() else low.mean(axis=(0, 1))
    low = mean + (low - mean) * 0.5
    arr = np.asarray(rgb, np.float64)
    out = arr * (1 - m * strength) + low * (m * strength)
    return Image.fromarray(np.clip(out.round(), 0, 255).astype(np.uint8), "RGB")


class PlateGenerator(Protocol):
    name: ClassVar[str]

    @property
    def model_id(self) -> str:
        """Identity (and revision) of the model, written into every manifest."""
        ...

    def generate(self, req: PlateRequest) -> Image.Image: ...

    def inpaint(self, plate: Image.Image, mask: Image.Image, req: PlateRequest) -> Image.Image: ...


plate_generators: Registry[type[PlateGenerator]] = Registry("copyplate.plates", "plate generator")
# Built-in generators by name, and the module that registers each.
BUILTINS = {
    "builtin": "builtin",
    "diffusers": "diffusers_backend",
    "gpt-image": "gpt_image",
    "gradient": "gradient",
}


def plate_generator(name: str, hosted: Any = None) -> PlateGenerator:
    """A generator by name: `builtin`, `gradient`, `diffusers:<folder or hub id>`,
    `gpt-image[:model]`, or a plugin's (`name:argument` passes the argument to its
    constructor). `hosted` is the campaign's settings for hosted models (`gpt_image`),
    given to generators that take settings (a `configure` method)."""
    import importlib

    backend, _, arg = name.partition(":")
    # Only the named built-in's module is imported (registering it): `copyplate plate
    # --model gradient` need not load the hosted client's SDK glue, nor any other.
    # An unknown name imports them all, so its error lists every known generator.
    for module in [BUILTINS[backend]] if backend in BUILTINS else BUILTINS.values():
        importlib.import_module(f"copyplate.renderers.plates.{module}")
    cls: Any = plate_generators.get(backend)
    gen = cls(arg) if arg else cls()
    if hosted is not None and hasattr(gen, "configure"):
        gen.configure(hosted)
    return gen  # type: ignore[no-any-return]
