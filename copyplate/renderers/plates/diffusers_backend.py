"""`diffusers:<folder or hub id>`: real checkpoints through diffusers (Stable Diffusion
1.5/2.1, SDXL, SD-Turbo, SDXL-Turbo, FLUX.1-schnell ...), for text-to-image and inpainting.

The pipeline class comes from the checkpoint's model_index.json (AutoPipeline), so any
text-to-image checkpoint diffusers knows works; inpainting reuses the loaded components
(`AutoPipelineForInpainting.from_pipe`). CUDA when present (fp16, or bf16 for FLUX),
CPU otherwise (fp32). A folder on disk loads offline; a hub id needs the network, unless
it is in the local hub cache. Output is generated at the model's native multiple of 8 and
resized to the requested size.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image

from copyplate.capabilities import require
from copyplate.errors import InputError, RenderError
from copyplate.renderers.plates.base import PlateRequest, plate_generators

# Few-step distilled models want few steps and no classifier-free guidance.
TURBO_HINTS = ("turbo", "schnell", "lightning")


def _libs() -> tuple[Any, Any]:
    diffusers = require("diffusers")
    return require("torch"), diffusers


@functools.lru_cache(maxsize=2)
def _pipeline(source: str, device: str, dtype_name: str) -> Any:
    torch, diffusers = _libs()
    dtype = getattr(torch, dtype_name)
    local = Path(source).is_dir()
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    try:
        pipe = diffusers.AutoPipelineForText2Image.from_pretrained(
            source, dtype=dtype, local_files_only=local or offline
        )
    except (OSError, ValueError) as e:
        where = "folder" if local else "hub id (needs the network or the local hub cache)"
        msg = f"cannot load diffusers model {source!r} as a {where}: {str(e).splitlines()[0]}"
        raise InputError(msg) from None
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


@plate_generators.register("diffusers")
class DiffusersPlate:
    name: ClassVar[str] = "diffusers"

    def __init__(
        self, source: str | None = None, steps: int | None = None, guidance: float | None = None
    ) -> None:
        if not source:
            msg = "the diffusers backend needs a model: 'diffusers:<folder or hub id>'"
            raise InputError(msg)
        torch, _ = _libs()
        self.source = source
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        turbo = any(h in source.lower() for h in TURBO_HINTS)
        if self.device == "cuda":
            self.dtype = "bfloat16" if "flux" in source.lower() else "float16"
        else:
            self.dtype = "float32"
        self.steps = steps or (4 if turbo else 30)
        self.guidance = guidance if guidance is not None else (0.0 if turbo else 6.0)

    @property
    def model_id(self) -> str:
        """Source, a digest of its model_index.json (which names the scheduler), steps and
        guidance: all of them change the plate, so all of them key the cache."""
        index = Path(self.source) / "model_index.json"
        rev = hashlib.sha256(index.read_bytes()).hexdigest()[:12] if index.is_file() else "hub"
        return f"diffusers:{self.source}@{rev}+{self.steps}steps+cfg{self.guidance:g}"

    @property
    def pipe(self) -> Any:
        return _pipeline(self.source, self.device, self.dtype)

    def _size(self, req: PlateRequest) -> tuple[int, int]:
        native = int(getattr(self.pipe, "default_sample_size", 64) or 64) * int(
            getattr(self.pipe, "vae_scale_factor", 8) or 8
        )
        scale = native / max(req.width, req.height)
        w = max(8, round(req.width * scale / 8) * 8)
        h = max(8, round(req.height * scale / 8) * 8)
        return w, h

    def _generator(self, seed: int) -> Any:
        torch, _ = _libs()
        return torch.Generator(self.device).manual_seed(int(seed))

    def _kwargs(self, req: PlateRequest) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "prompt": req.prompt,
            "num_inference_steps": req.steps or self.steps,
            "guidance_scale": self.guidance,
            "generator": self._generator(req.seed),
        }
        if req.negative_prompt and self.guidance > 1.0:
            kw["negative_prompt"] = req.negative_prompt
        return kw

    def generate(self, req: PlateRequest) -> Image.Image:
        w, h = self._size(req)
        try:
            out = self.pipe(**self._kwargs(req), width=w, height=h).images[0]
        except (RuntimeError, ValueError) as e:
            raise RenderError(f"diffusers model {self.source!r} failed: {e}") from None
        image: Image.Image = out.convert("RGB")
        return image.resize((req.width, req.height), Image.Resampling.LANCZOS)

    def inpaint(self, plate: Image.Image, mask: Image.Image, req: PlateRequest) -> Image.Image:
        _, diffusers = _libs()
        pipe = diffusers.AutoPipelineForInpainting.from_pipe(self.pipe)
        w, h = self._size(req)
        try:
            out = pipe(
                **self._kwargs(req),
                image=plate.convert("RGB").resize((w, h)),
                mask_image=mask.convert("L").resize((w, h)),
                width=w,
                height=h,
                strength=1.0,
            ).images[0]
        except (RuntimeError, ValueError) as e:
            raise RenderError(f"diffusers inpainting with {self.source!r} failed: {e}") from None
        image: Image.Image = out.convert("RGB")
        return image.resize(plate.size, Image.Resampling.LANCZOS)
