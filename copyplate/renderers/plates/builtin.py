"""`builtin`: copyplate's own plate model, a small conditional diffusion model that runs
offline on a CPU (see MODEL_CARD.md beside the weights).

A diffusers UNet2DModel denoises a 32x32 plate conditioned on the brand palette and a
mood; DDIM takes 25 steps. The small plate is pulled towards the palette with a gradient
map, upscaled in stages to the output size, softened and given a fine grain so that no
banding shows. Inpainting uses RePaint (diffusers' RePaintScheduler) at the same scale.

The UNet runs as a TorchScript graph traced from the diffusers model once per machine and
kept in the cache (`~/.cache/copyplate/models`, under the weights digest, the torch
version and the graph's version), and DDIM is copyplate's own dozen lines (tested equal
to diffusers' DDIMScheduler): a plate then needs torch alone, not the seconds it takes to
import diffusers. Every plate comes from the graph as loaded from its file, so a plate is
the same whether the graph was traced in this process or an earlier one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageFilter

from copyplate.capabilities import require
from copyplate.color import parse_hex
from copyplate.errors import MissingCapability, RenderError
from copyplate.fileio import cache_dir, write_atomic
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


# The traced graph's own version: part of its cache name and of the model id (plates from
# the graph differ from the eager diffusers model's in the last float bits).
GRAPH = 1


def _graph_path(model_dir: Path, torch_version: str) -> Path:
    name = f"builtin-{weights_digest(model_dir)}-g{GRAPH}-torch{torch_version}.pt"
    return cache_dir("models") / name


def trace_unet(model_dir: Path) -> bytes:
    """The diffusers UNet as a TorchScript graph, `eps = unet(x, t, mood)`, serialised."""
    torch = _torch()
    require("diffusers")
    from diffusers import UNet2DModel

    unet = UNet2DModel.from_pretrained(_weights(model_dir).parent).eval()

    class Eps(torch.nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, u: Any) -> None:
            super().__init__()
            self.u = u

        def forward(self, x: Any, t: Any, mood: Any) -> Any:
            return self.u(x, t, class_labels=mood, return_dict=False)[0]

    example = (
        torch.zeros((1, unet.config.in_channels, SIZE, SIZE)),
        torch.tensor(0),
        torch.tensor([0]),
    )
    with torch.no_grad(), warnings.catch_warnings():
        # Branches on shapes, which are fixed here (one 32x32 sample), become constants.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # TorchScript is deprecated in favour of torch.export, whose programs took longer
        # to load here than importing diffusers does: the point of the graph.
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = torch.jit.trace(Eps(unet), example, check_trace=False)
        buf = io.BytesIO()
        torch.jit.save(graph, buf)
    return buf.getvalue()


@functools.lru_cache(maxsize=2)
def _load(model_dir: Path) -> tuple[Any, dict[str, Any], str]:
    torch = _torch()
    path = _graph_path(model_dir, torch.__version__)
    try:
        blob = path.read_bytes()
    except OSError:
        blob = trace_unet(model_dir)
        # The cache only saves time: without it the graph is traced again next time.
        with contextlib.suppress(OSError):
            write_atomic(path, blob)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        unet = torch.jit.load(io.BytesIO(blob), map_location="cpu")
    unet.eval()
    torch.set_grad_enabled(False)
    config = json.loads((model_dir / "scheduler" / "scheduler_config.json").read_text())
    return unet, config, weights_digest(model_dir)


def _alphas_cumprod(config: dict[str, Any]) -> Any:
    """The training schedule's cumulative alphas, as diffusers computes them for
    `squaredcos_cap_v2` (float32, the same operations in the same order)."""
    torch = _torch()
    # What `ddim_step` and `ddim_timesteps` are written for (the shipped model's config).
    for key, want, default in (
        ("beta_schedule", "squaredcos_cap_v2", None),
        ("prediction_type", "epsilon", "epsilon"),  # diffusers' defaults when absent
        ("timestep_spacing", "leading", "leading"),
    ):
        if config.get(key, default) != want:
            msg = f"built-in plate model: {key} {config.get(key)!r} is not supported ({want})"
            raise RenderError(msg)
    n = int(config["num_train_timesteps"])

    def bar(t: float) -> float:
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [min(1 - bar((i + 1) / n) / bar(i / n), 0.999) for i in range(n)]
    return torch.cumprod(1.0 - torch.tensor(betas, dtype=torch.float32), dim=0)


def ddim_timesteps(config: dict[str, Any], steps: int) -> Any:
    """DDIM's "leading" timesteps, high to low."""
    torch = _torch()
    n = int(config["num_train_timesteps"])
    if not 0 < steps <= n:
        raise RenderError(f"built-in plate model: steps must be 1 to {n}, got {steps}")
    ts = (np.arange(0, steps) * (n // steps)).round()[::-1].copy().astype(np.int64)
    return torch.from_numpy(ts + int(config.get("steps_offset", 0)))


def ddim_step(config: dict[str, Any], alphas: Any, steps: int, eps: Any, t: Any, x: Any) -> Any:
    """One deterministic DDIM step (eta 0, epsilon prediction, x0 clipped to [-1, 1]),
    written as diffusers' DDIMScheduler.step computes it, so the floats agree."""
    torch = _torch()
    prev = t - int(config["num_train_timesteps"]) // steps
    a_t = alphas[t]
    a_prev = alphas[prev] if prev >= 0 else torch.tensor(1.0)
    beta_t = 1 - a_t
    x0 = (x - beta_t ** (0.5) * eps) / a_t ** (0.5)
    if config.get("clip_sample", True):
        limit = float(config.get("clip_sample_range", 1.0))
        x0 = x0.clamp(-limit, limit)
    direction = (1 - a_prev - 0.0) ** (0.5) * eps
    return a_prev ** (0.5) * x0 + direction


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
        """Weights digest, sampler and graph: each changes the plate, so each keys the cache."""
        digest = weights_digest(self.model_dir)
        return f"copyplate/builtin-plates@{digest}+g{GRAPH}+ddim{self.steps}"

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
        unet, config, _ = _load(self.model_dir)
        cond, mood, gen = self._inputs(req)
        steps = req.steps or self.steps
        alphas = _alphas_cumprod(config)
        x = torch.randn((1, 3, SIZE, SIZE), generator=gen)
        with _one_thread(torch):
            for t in ddim_timesteps(config, steps):
                eps = unet(torch.cat([x, cond], dim=1), t, mood)
                x = ddim_step(config, alphas, steps, eps, t, x)
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
                    eps = unet(torch.cat([x, cond], dim=1), t, mood)
                    x = sched.step(eps, t, x, known[None], keep, gen).prev_sample
                else:
                    x = sched.undo_step(x, t_last, gen)
                t_last = t
        out = ((x[0].permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1)
        return upscale(out, plate.width, plate.height, req.seed + 1)
