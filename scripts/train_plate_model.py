"""Train copyplate's built-in plate model: a small conditional DDPM on procedural plates.

    .venv/bin/python scripts/train_plate_model.py --minutes 16 \
        --out copyplate/renderers/plates/builtin_model

The model is a diffusers UNet2DModel at 32x32 conditioned on the palette (12 constant input
planes: four colours) and the mood (class embedding). The data comes from
copyplate/renderers/plates/procedural.py, generated on the fly, so anyone can retrain.
Runs on a CPU (2 cores: ~12 minutes for the shipped weights) or a GPU when present.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from diffusers import DDPMScheduler, UNet2DModel

from copyplate.renderers.plates.procedural import MOODS, PALETTE_SIZE, batch


def make_unet() -> UNet2DModel:
    return UNet2DModel(
        sample_size=32,
        in_channels=3 + 3 * PALETTE_SIZE,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=(32, 64, 128),
        down_block_types=("DownBlock2D", "DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D", "UpBlock2D"),
        norm_num_groups=8,
        num_class_embeds=len(MOODS),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="copyplate/renderers/plates/builtin_model")
    ap.add_argument("--minutes", type=float, default=12.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", help="continue from a saved model folder")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rng = np.random.default_rng(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    unet = (
        UNet2DModel.from_pretrained(Path(args.resume) / "unet") if args.resume else make_unet()
    ).to(device)
    unet.train()
    before: dict[str, float] = {}
    if args.resume and (Path(args.resume) / "training.json").is_file():
        before = json.loads((Path(args.resume) / "training.json").read_text())
    sched = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=1e-4)
    params = sum(p.numel() for p in unet.parameters())
    print(f"UNet2DModel: {params / 1e6:.2f} M parameters on {device}", flush=True)
    t0 = time.time()
    step, losses = 0, []
    deadline = t0 + args.minutes * 60
    while time.time() < deadline:
        x, cond, mood = batch(rng, args.batch)
        x0 = torch.tensor(x, dtype=torch.float32, device=device)
        c = torch.tensor(cond, dtype=torch.float32, device=device)
        m = torch.tensor(mood, dtype=torch.long, device=device)
        noise = torch.randn_like(x0)
        t = torch.randint(0, 1000, (x0.shape[0],), device=device)
        xt = sched.add_noise(x0, noise, t)
        pred = unet(torch.cat([xt, c], dim=1), t, class_labels=m).sample
        loss = torch.nn.functional.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % 100 == 0:
            print(
                f"step {step} loss {np.mean(losses[-100:]):.4f} {time.time() - t0:.0f}s", flush=True
            )
    out = Path(args.out)
    unet.to("cpu").save_pretrained(out / "unet", safe_serialization=True)
    sched.save_pretrained(out / "scheduler")
    (out / "training.json").write_text(
        json.dumps(
            {
                "steps": step + int(before.get("steps", 0)),
                "batch": args.batch,
                "lr": args.lr,
                "seed": args.seed,
                "minutes": round((time.time() - t0) / 60 + float(before.get("minutes", 0)), 1),
                "device": device,
                "final_loss": round(float(np.mean(losses[-200:])), 4),
                "parameters": params,
                "moods": list(MOODS),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"saved to {out} after {step} steps", flush=True)


if __name__ == "__main__":
    main()
