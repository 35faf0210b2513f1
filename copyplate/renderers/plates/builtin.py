"""`builtin`: copyplate's own plate model, a small conditional diffusion model that runs
offline on a CPU (see MODEL_CARD.md beside the weights).

A diffusers UNet2DModel denoises a 32x32 plate conditioned on the brand palette and a
mood; DDIM takes 25 steps. The small plate is pulled towards the palette with a gradient
map, upscaled in stages to the output size, softened and given a fine grain so that no
banding shows. Inpainting uses RePaint (diffusers' RePaintScheduler) at the same scale.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageFilter

from copyplate.capabilities import require
from copyplate.color import parse_hex
from copyplate.errors import MissingCapability, RenderError
from copyplate.renderers.plates.base import PlateRequest, plate_generators
from copyplate.renderers.plates.procedural import MOODS, palette_planes

MODEL_DIR = Path(__file__).with_name("builtin_model")
SIZE = 32
STEPS = 25
PALETTE_PULL = 0.6  # how far the gradient map pulls the model's colours to the palette
# Words in a prompt that pick a mood when the campaign names none.
MOOD_WORDS = {
    "bokeh": "bokeh",
    "light": "soft-light",
    "glow": "soft-light",
    "paper": "paper",
    "linen": "fabric",
    "fabric": "fabric",
    "textile": "fabric",
    "duotone": "duotone",
    "gradient": "gradient",
}


def _torch() -> Any:
    return require("torch")


@contextlib.contextmanager
def _one_thread(torch: Any) -> Iterator[None]:
    """Sample on one thread. The model is tiny (2.5 M parameters at 32x32): handing each
    of its ~900 small convolutions to a second thread costs more than it saves, and on a
    shared 2-core machine two threads ran a plate 4-8x slower than one (with --workers
    every process's threads contend too). One thread also makes the float sums the same
    whatever the machine's core count (the sample plates' pixels were equal either way)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _weights(model_dir: Path) -> Path:
    weights = model_dir / "unet" / "diffusion_pytorch_model.safetensors"
    if not weights.is_file():
        msg = f"built-in plate model weights missing at {weights} (reinstall copyplate)"
        raise MissingCapability(msg)
    return weights


@functools.lru_cache(maxsize=2)
def weights_digest(model_dir: Path) -> str:
    """The weights file's digest, read without torch: the model id (and so every plate
    cache key and ledger hash) is known before, and without, loading the model, so a run
    whose plates are all cached or whose jobs are all done never imports torch."""
    return hashlib.sha256(_weights(model_dir).read_bytes()).hexdigest()[:12]


@functools.lru_cache(maxsize=2)
def _load(model_dir: Path) -> tuple[Any, dict[str, Any], str]:
    torch = _torch()
    require("diffusers")
    from diffusers import DDPMScheduler, UNet2DModel

    _weights(model_dir)
    unet = UNet2DModel.from_pretrained(model_dir / "unet")
    unet.eval()
    torch.set_grad_enabled(False)
    config = dict(DDPMScheduler.from_pretrained(model_dir / "scheduler").config)
    return unet, config, weights_digest(model_dir)


def pick_mood(req: PlateRequest) -> str:
    if req.mood in MOODS:
        return req.mood
    if req.mood is not None:
        msg = f"unknown mood {req.mood!r} for the built-in model (known: {', '.join(MOODS)})"
        raise RenderError(msg)
    prompt = req.prompt.lower()
    for word, mood in MOOD_WORDS.items():
        if word in prompt:
            return mood
    return "soft-light"


def _palette(req: PlateRequest) -> np.ndarray:
    return np.array([parse_hex(c)[:3] for c in req.palette], dtype=np.float64) / 255.0


def gradient_map(img: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """The image's luminance mapped through the palette sorted dark to light."""
    lum = img @ np.array([0.2126, 0.7152, 0.0722])
    order = palette[np.argsort(palette @ np.array([0.2126, 0.7152, 0.0722]))]
    lo, hi = np.percentile(lum, 2), np.percentile(lum, 98)
    t = np.clip((lum - lo) / max(hi - lo, 1e-6), 0, 1) * (len(order) - 1)
    i = np.minimum(t.astype(int), max(len(order) - 2, 0))
    f = (t - i)[..., None]
    if len(order) == 1:
        return np.broadcast_to(order[0], img.shape).copy()
    return order[i] * (1 - f) + order[i + 1] * f  # type: ignore[no-any-return]


def upscale(small: np.ndarray, width: int, height: int, seed: int) -> Image.Image:
    """Staged bicubic upscaling, a blur that hides the 32 px grid, and fine seeded grain."""
    img = Image.fromarray((np.clip(small, 0, 1) * 255).round().astype(np.uint8), "RGB")
    first = True
    while img.width * 4 < width or img.height * 4 < height:
        img = img.resize((img.width * 4, img.height * 4), Image.Resampling.BICUBIC)
        # The first blur (about 0.6 px of the 32 px sample) removes the sampler's pixel-level
        # residue; shapes of a few pixels (bokeh discs) survive it.
        img = img.filter(ImageFilter.GaussianBlur(2.5 if first else 1.2))
        first = False
    img = img.resize((width, height), Image.Resampling.BICUBIC)
    img = img.filter(ImageFilter.GaussianBlur(max(width, height) / 320))
    grain = np.random.default_rng(seed).normal(0, 1.6, (height, width, 1))
    arr = np.asarray(img, dtype=np.float32) + grain
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


@plate_generators.register("builtin")
class BuiltinPlate:
    name: ClassVar[str] = "builtin"

    def __init__(self, model_dir: Path = MODEL_DIR, steps: int = STEPS) -> None:
        self.model_dir = model_dir
        self.steps = steps

    @property
    def model_id(self) -> str:
        """Weights digest and sampler: both change the plate, so both key the cache."""
        return f"copyplate/builtin-plates@{weights_digest(self.model_dir)}+ddim{self.steps}"

    def _inputs(self, req: PlateRequest) -> tuple[Any, Any, Any]:
        torch = _torch()
        pal = _palette(req)
        cond = torch.tensor(palette_planes(pal, SIZE)[None], dtype=torch.float32)
        mood = torch.tensor([MOODS.index(pick_mood(req))])
        gen = torch.Generator("cpu").manual_seed(int(req.seed))
        return cond, mood, gen

    def sample_small(self, req: PlateRequest) -> np.ndarray:
        """The 32x32 plate, HxWx3 in [0, 1], before palette pull and upscaling."""
        torch = _torch()
        from diffusers import DDIMScheduler

        unet, config, _ = _load(self.model_dir)
        cond, mood, gen = self._inputs(req)
        sched = DDIMScheduler.from_config(config)
        sched.set_timesteps(req.steps or self.steps)
        x = torch.randn((1, 3, SIZE, SIZE), generator=gen)
        with _one_thread(torch):
            for t in sched.timesteps:
                eps = unet(torch.cat([x, cond], dim=1), t, class_labels=mood).sample
                x = sched.step(eps, t, x, eta=0.0).prev_sample
        return ((x[0].permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1)  # type: ignore[no-any-return]

    def generate(self, req: PlateRequest) -> Image.Image:
        small = self.sample_small(req)
        pal = _palette(req)
        small = (1 - PALETTE_PULL) * small + PALETTE_PULL * gradient_map(small, pal)
        return upscale(small, req.width, req.height, req.seed)

    def inpaint(self, plate: Image.Image, mask: Image.Image, req: PlateRequest) -> Image.Image:
        """RePaint at 32x32 inside the mask; the caller pastes the result through the mask."""
        torch = _torch()
        from diffusers import RePaintScheduler

        unet, config, _ = _load(self.model_dir)
        cond, mood, gen = self._inputs(req)
        small = plate.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BOX)
        known = torch.tensor(np.asarray(small, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)
        # RePaint's mask: 1 keeps the original, 0 is repainted. Any masked pixel in a cell
        # marks the whole cell for repainting.
        hole = mask.convert("L").resize((SIZE, SIZE), Image.Resampling.BOX)
        keep = torch.tensor(np.asarray(hole) == 0, dtype=torch.float32)[None, None]
        sched = RePaintScheduler.from_config(config)
        sched.set_timesteps(self.steps, jump_length=5, jump_n_sample=2)
        x = torch.randn((1, 3, SIZE, SIZE), generator=gen)
        t_last = sched.timesteps[0] + 1
        with _one_thread(torch):
            for t in sched.timesteps:
                if t < t_last:
                    eps = unet(torch.cat([x, cond], dim=1), t, class_labels=mood).sample
                    x = sched.step(eps, t, x, known[None], keep, gen).prev_sample
                else:
                    x = sched.undo_step(x, t_last, gen)
                t_last = t
        out = ((x[0].permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1)
        return upscale(out, plate.width, plate.height, req.seed + 1)
