"""The built-in plate generator's real diffusers code paths, on tiny random weights (as
diffusers' own tests do), and on the shipped weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler, UNet2DModel
from PIL import Image

from copyplate.errors import MissingCapability, RenderError
from copyplate.renderers.plates.base import PlateRequest, plate_generator
from copyplate.renderers.plates.builtin import (
    MODEL_DIR,
    BuiltinPlate,
    _alphas_cumprod,
    _load,
    ddim_step,
    ddim_timesteps,
    gradient_map,
)
from copyplate.renderers.plates.procedural import MOODS, PALETTE_SIZE


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    unet = UNet2DModel(
        sample_size=32,
        in_channels=3 + 3 * PALETTE_SIZE,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=(8, 16),
        down_block_types=("DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D"),
        norm_num_groups=4,
        num_class_embeds=len(MOODS),
    )
    out = tmp_path_factory.mktemp("tiny")
    unet.save_pretrained(out / "unet", safe_serialization=True)
    DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2").save_pretrained(
        out / "scheduler"
    )
    return out


REQ = PlateRequest(
    prompt="soft spring light",
    width=320,
    height=180,
    palette=("#E9DCC4", "#F2C6B4", "#8FA98B"),
    seed=7,
    mood="soft-light",
)


def test_generate_is_deterministic_per_seed(tiny_model: Path) -> None:
    gen = BuiltinPlate(tiny_model, steps=4)
    assert gen.model_id.endswith("+ddim4") and BuiltinPlate(tiny_model, steps=5).model_id != (
        gen.model_id
    )
    a, b = gen.generate(REQ), gen.generate(REQ)
    assert a.size == (320, 180) and a.mode == "RGB"
    assert np.array_equal(np.asarray(a), np.asarray(b))
    c = gen.generate(PlateRequest(**{**REQ.__dict__, "seed": 8}))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_the_graph_is_the_diffusers_unet(tiny_model: Path) -> None:
    """The traced graph computes what the eager diffusers model does (to float rounding)."""
    graph, _, _ = _load(tiny_model)
    eager = UNet2DModel.from_pretrained(tiny_model / "unet").eval()
    x = torch.randn((1, 3 + 3 * PALETTE_SIZE, 32, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        for t, mood in ((999, 0), (480, 3), (0, 5)):
            m = torch.tensor([mood])
            want = eager(x, torch.tensor(t), class_labels=m).sample
            got = graph(x, torch.tensor(t), m)
            assert got.shape == want.shape
            assert torch.allclose(got, want, atol=1e-5), (t, (got - want).abs().max())


def test_ddim_is_diffusers_ddim_to_the_bit(tiny_model: Path) -> None:
    from diffusers import DDIMScheduler

    graph, config, _ = _load(tiny_model)
    sched = DDIMScheduler.from_config(config)
    sched.set_timesteps(7)
    ours = ddim_timesteps(config, 7)
    assert torch.equal(ours, sched.timesteps)
    alphas = _alphas_cumprod(config)
    assert torch.equal(alphas, sched.alphas_cumprod)
    x = torch.randn((1, 3, 32, 32), generator=torch.Generator().manual_seed(3))
    y = x.clone()
    cond = torch.rand((1, 3 * PALETTE_SIZE, 32, 32), generator=torch.Generator().manual_seed(4))
    mood = torch.tensor([2])
    with torch.no_grad():
        for t in ours:
            x = ddim_step(config, alphas, 7, graph(torch.cat([x, cond], 1), t, mood), t, x)
            eps = graph(torch.cat([y, cond], 1), t, mood)
            y = sched.step(eps, t, y, eta=0.0).prev_sample
            assert torch.equal(x, y), int(t)


def test_inpaint_changes_the_hole_and_pastes_back_exactly(tiny_model: Path) -> None:
    gen = BuiltinPlate(tiny_model, steps=4)
    plate = gen.generate(REQ)
    mask = Image.new("L", plate.size, 0)
    mask.paste(255, (100, 40, 220, 140))
    repainted = plate.copy()
    repainted.paste(gen.inpaint(plate, mask, REQ), (0, 0), mask)
    before, after = np.asarray(plate), np.asarray(repainted)
    outside = np.asarray(mask) == 0
    assert np.array_equal(before[outside], after[outside])
    assert not np.array_equal(before[~outside], after[~outside])


def test_unknown_mood_is_a_clear_error(tiny_model: Path) -> None:
    with pytest.raises(RenderError, match="unknown mood 'neon'"):
        BuiltinPlate(tiny_model, steps=2).generate(PlateRequest(**{**REQ.__dict__, "mood": "neon"}))


def test_missing_weights_is_a_missing_capability(tmp_path: Path) -> None:
    with pytest.raises(MissingCapability, match="weights missing"):
        BuiltinPlate(tmp_path, steps=2).generate(REQ)


def test_gradient_map_follows_the_palette_dark_to_light() -> None:
    ramp = np.linspace(0, 1, 32)[None, :, None].repeat(4, 0).repeat(3, 2)
    pal = np.array([[1.0, 0.9, 0.8], [0.1, 0.2, 0.4]])
    out = gradient_map(ramp, pal)
    assert np.allclose(out[0, 0], pal[1]) and np.allclose(out[0, -1], pal[0])


def test_shipped_weights_make_soft_plates_in_the_palette() -> None:
    """A person looked at these; the test keeps the statistics of a soft background."""
    gen = plate_generator("builtin")
    assert gen.model_id.startswith("copyplate/builtin-plates@")
    assert (MODEL_DIR / "unet" / "diffusion_pytorch_model.safetensors").stat().st_size < 20e6
    for mood in MOODS:
        req = PlateRequest(
            prompt="p",
            width=540,
            height=540,
            seed=3,
            mood=mood,
            palette=("#1F3A5F", "#4F7CAC", "#C0D6DF"),
        )
        img = np.asarray(gen.generate(req), dtype=np.float64)
        lum = img @ [0.2126, 0.7152, 0.0722]
        # Not noise: neighbouring pixels agree (after the grain), and there is some shape.
        hf = np.abs(np.diff(lum, axis=1)).mean()
        assert hf < 4.0, (mood, hf)
        assert 2.0 < lum.std() < 90, (mood, lum.std())
        # In the palette: the mean colour is nearer this palette than its complement.
        mean = img.reshape(-1, 3).mean(axis=0) / 255
        pal = np.array([[0x1F, 0x3A, 0x5F], [0x4F, 0x7C, 0xAC], [0xC0, 0xD6, 0xDF]]) / 255
        own = np.linalg.norm(pal - mean, axis=1).min()
        other = np.linalg.norm((1 - pal) - mean, axis=1).min()
        assert own < other, (mood, mean)
