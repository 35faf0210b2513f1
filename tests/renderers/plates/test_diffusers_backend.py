"""The diffusers backend through the real AutoPipeline code paths, on a tiny random-weight
Stable Diffusion pipeline built here (no download), as diffusers' own tests do."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import (
    AutoencoderKL,
    DDIMScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from PIL import Image
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from copyplate.errors import InputError
from copyplate.renderers.plates.base import PlateRequest, plate_generator

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


def tiny_tokenizer(folder: Path) -> CLIPTokenizer:
    """A CLIP BPE tokenizer over single characters: enough to tokenise any ASCII prompt."""
    chars = [chr(c) for c in range(33, 127)]
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in chars:
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77
    )


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    tmp = tmp_path_factory.mktemp("tiny-sd")
    tok = tiny_tokenizer(tmp)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=4,
        attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=16,
    )
    text = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=16,
            intermediate_size=32,
            layer_norm_eps=1e-5,
            num_attention_heads=2,
            num_hidden_layers=2,
            vocab_size=len(tok),
            max_position_embeddings=77,
        )
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text,
        tokenizer=tok,
        scheduler=DDIMScheduler(
            beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, clip_sample=False
        ),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(tmp / "model")
    return tmp / "model"


REQ = PlateRequest(
    prompt="soft light on linen", width=96, height=64, palette=("#E9DCC4",), seed=5, steps=2
)


def test_generate_and_inpaint_through_autopipeline(tiny_sd: Path) -> None:
    gen = plate_generator(f"diffusers:{tiny_sd}")
    assert gen.model_id.startswith(f"diffusers:{tiny_sd}@")
    a = gen.generate(REQ)
    b = gen.generate(REQ)
    assert a.size == (96, 64)
    assert np.array_equal(np.asarray(a), np.asarray(b))  # same seed, same plate
    mask = Image.new("L", a.size, 0)
    mask.paste(255, (20, 10, 60, 50))
    patch = gen.inpaint(a, mask, REQ)
    assert patch.size == a.size
    merged = a.copy()
    merged.paste(patch, (0, 0), mask)
    outside = np.asarray(mask) == 0
    assert np.array_equal(np.asarray(a)[outside], np.asarray(merged)[outside])


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    gen = plate_generator(f"diffusers:{tmp_path / 'nope'}")
    with pytest.raises(InputError, match="cannot load diffusers model"):
        gen.generate(REQ)
    with pytest.raises(InputError, match="needs a model"):
        plate_generator("diffusers")
