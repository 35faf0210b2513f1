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


class PlateGenerator(Protocol):
    name: ClassVar[str]

    @property
    def model_id(self) -> str:
        """Identity (and revision) of the model, written into every manifest."""
        ...

    def generate(self, req: PlateRequest) -> Image.Image: ...

    def inpaint(self, plate: Image.Image, mask: Image.Image, req: PlateRequest) -> Image.Image: ...


plate_generators: Registry[type[PlateGenerator]] = Registry("copyplate.plates", "plate generator")


def plate_generator(name: str, hosted: Any = None) -> PlateGenerator:
    """A generator by name: `builtin`, `gradient`, `diffusers:<folder or hub id>`,
    `gpt-image[:model]`, or a plugin's (`name:argument` passes the argument to its
    constructor). `hosted` is the campaign's settings for hosted models (`gpt_image`),
    given to generators that take settings (a `configure` method)."""
    from copyplate.renderers.plates import (  # noqa: F401  (registers built-ins)
        builtin,
        diffusers_backend,
        gpt_image,
        gradient,
    )

    backend, _, arg = name.partition(":")
    cls: Any = plate_generators.get(backend)
    gen = cls(arg) if arg else cls()
    if hosted is not None and hasattr(gen, "configure"):
        gen.configure(hosted)
    return gen  # type: ignore[no-any-return]
