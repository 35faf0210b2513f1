"""Draw the kettle-launch sample's images: every pixel is made here, by code (no photos,
no third-party artwork), so the sample is free to ship and to change.

    .venv/bin/python scripts/make_kettle_sample.py   # rewrites samples/kettle-launch/images/

The output is deterministic (fixed seeds, no fonts), so rerunning it changes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parents[1] / "samples" / "kettle-launch" / "images"


def kettle(w: int = 900, h: int = 1000) -> Image.Image:
    """The product: a matte kettle on transparency, lit from the left (a cut-out)."""
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    body = (140, 300, 760, 960)
    d.rounded_rectangle(body, radius=150, fill=(46, 104, 96, 255))
    d.polygon([(700, 420), (880, 300), (890, 330), (740, 520)], fill=(46, 104, 96, 255))  # spout
    d.arc((40, 330, 300, 760), 100, 260, fill=(30, 30, 30, 255), width=44)  # handle
    d.rounded_rectangle((250, 230, 650, 320), radius=40, fill=(36, 84, 78, 255))  # lid
    d.ellipse((410, 180, 490, 250), fill=(30, 30, 30, 255))  # knob
    # Shading: a soft highlight down the lit side, kept inside the silhouette.
    alpha = im.getchannel("A")
    light = Image.new("L", (w, h), 0)
    ImageDraw.Draw(light).ellipse((200, 360, 380, 900), fill=90)
    light = light.filter(ImageFilter.GaussianBlur(40))
    lit = Image.composite(Image.new("RGBA", (w, h), (255, 255, 255, 255)), im, light)
    lit.putalpha(alpha)
    return lit


def lifestyle(w: int = 1600, h: int = 1100) -> Image.Image:
    """A kitchen-ish scene: warm wall, window light, a counter, a plant in a pot (the salient
    object, off-centre so a centred crop would miss it)."""
    y = np.linspace(0, 1, h)[:, None, None]
    wall = (1 - y) * np.array([238, 226, 208]) + y * np.array([214, 196, 172])
    rng = np.random.default_rng(11)
    px = np.broadcast_to(wall, (h, w, 3)) + rng.normal(0, 1.5, (h, w, 1))
    im = Image.fromarray(np.clip(px, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    d.rectangle((120, 120, 560, 620), fill=(250, 246, 236))  # window
    d.line((340, 120, 340, 620), fill=(200, 186, 164), width=10)
    d.line((120, 370, 560, 370), fill=(200, 186, 164), width=10)
    d.rectangle((0, 800, w, h), fill=(150, 112, 82))  # counter
    d.rectangle((0, 800, w, 812), fill=(120, 88, 64))
    cx = 1230
    d.polygon([(cx - 90, 650), (cx + 90, 650), (cx + 70, 800), (cx - 70, 800)], fill=(182, 92, 58))
    for i, (dx, dy) in enumerate([(-120, -260), (0, -330), (120, -250), (-60, -180), (70, -170)]):
        g = 110 + 18 * i
        d.ellipse((cx + dx - 70, 650 + dy - 110, cx + dx + 70, 650 + dy + 110), fill=(48, g, 60))
        d.line((cx, 650, cx + dx, 650 + dy), fill=(40, 90, 44), width=8)
    return im.filter(ImageFilter.GaussianBlur(1.2))


def logo(fg: tuple[int, int, int]) -> Image.Image:
    """The 'Lumen' mark without a font: a ring and three bars, in one colour."""
    im = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((10, 10, 190, 190), outline=(*fg, 255), width=34)
    for i, hgt in enumerate((120, 160, 100)):
        x = 240 + i * 120
        d.rounded_rectangle((x, 100 - hgt // 2, x + 70, 100 + hgt // 2), radius=20, fill=(*fg, 255))
    return im


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    kettle().save(OUT / "kettle.png", optimize=True)
    lifestyle().save(OUT / "kitchen.jpg", quality=88)
    logo((24, 28, 36)).save(OUT / "logo-dark.png", optimize=True)
    logo((248, 246, 240)).save(OUT / "logo-light.png", optimize=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
