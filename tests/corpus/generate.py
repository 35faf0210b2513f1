"""A labelled corpus for the validators: clean assets and assets with one known defect.

It draws with Pillow directly (one `ImageDraw.text` call per line, its own layout), makes
QR codes from segno's module matrix and EAN-13 with python-barcode: never with copyplate's
renderers, so the validators are tested and not the renderer's habits. Every asset comes
with a manifest stating the *intended* copy, as a designer's export would.

    python -m tests.corpus.generate OUT_DIR [--locales ...] [--fonts N] [--plates ...]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from copyplate.fonts import FontFace, FontIndex, coverage
from copyplate.layouts.locales import locale_info

ROOT = Path(__file__).resolve().parents[2]
W, H = 640, 240
MARGIN = 24

STYLE = "Bold"
FAMILIES = {
    "Latn": ["Noto Sans", "Noto Serif", "DejaVu Sans"],
    "Cyrl": ["Noto Sans", "Noto Serif", "DejaVu Sans"],
    "Grek": ["Noto Sans", "Noto Serif", "DejaVu Sans"],
    "Arab": ["Noto Sans Arabic", "Noto Naskh Arabic", "Noto Kufi Arabic"],
    "Hebr": ["Noto Sans Hebrew", "Noto Serif Hebrew", "DejaVu Sans"],
    "Thai": ["Noto Sans Thai", "Noto Serif Thai"],
    "Deva": ["Noto Sans Devanagari", "Noto Serif Devanagari"],
    "Jpan": ["Noto Sans CJK JP", "Noto Serif CJK JP"],
    "Hans": ["Noto Sans CJK SC", "Noto Serif CJK SC"],
    "Kore": ["Noto Sans CJK KR", "Noto Serif CJK KR"],
}
# A font that lacks the locale's script: drawing with it leaves .notdef boxes.
WRONG_FONT = {"Latn": "Noto Sans Hebrew", "Cyrl": "Noto Sans Hebrew", "Grek": "Noto Sans Hebrew"}
PRICES = {
    "en-US": ("49.99", "USD"),
    "de-DE": ("49.99", "EUR"),
    "fr-FR": ("49.99", "EUR"),
    "es-ES": ("49.99", "EUR"),
    "pt-BR": ("249.90", "BRL"),
    "pl-PL": ("219.99", "PLN"),
    "tr-TR": ("1699.00", "TRY"),
    "ru-RU": ("4490", "RUB"),
    "el-GR": ("49.99", "EUR"),
    "vi-VN": ("1290000", "VND"),
    "ar-SA": ("199", "SAR"),
    "he-IL": ("189.90", "ILS"),
    "ja-JP": ("7480", "JPY"),
    "zh-CN": ("369", "CNY"),
    "ko-KR": ("69000", "KRW"),
    "hi-IN": ("3999", "INR"),
    "th-TH": ("1790", "THB"),
}
TEXT_DEFECTS = [
    "typo",
    "missing_word",
    "wrong_digit",
    "wrong_price_format",
    "low_contrast",
    "busy_plate",
    "clipped",
    "missing_glyphs",
    "reversed_rtl",
    "unjoined_rtl",
]
CODE_DEFECTS = ["wrong_qr", "damaged_qr", "no_quiet_zone", "wrong_ean"]


@dataclass
class Sample:
    locale: str
    kind: str  # text | price | cta
    text: str
    amount: str | None = None
    currency: str | None = None


def sample_copy() -> dict[str, list[Sample]]:
    """Headline, CTA and price of every sample locale, from the spring-sale deck."""
    rows = list(
        csv.DictReader((ROOT / "samples/spring-sale/copy/strings.csv").open(encoding="utf-8"))
    )
    by_key = {r["key"]: r for r in rows}
    out: dict[str, list[Sample]] = {}
    for loc, (amount, cur) in PRICES.items():
        price = locale_info(loc).format_price(Decimal(amount), cur)
        out[loc] = [
            Sample(loc, "text", by_key["headline"][loc]),
            Sample(loc, "cta", by_key["cta"][loc]),
            Sample(loc, "price", price, amount, cur),
        ]
    return out


def faces(script: str) -> list[FontFace]:
    idx = FontIndex.system()
    return [f for fam in FAMILIES[script] if (f := idx.find(fam, STYLE)) is not None]


def covers(face: FontFace, text: str) -> bool:
    cmap = coverage(face.path, face.index)
    return all(ord(c) in cmap or c.isspace() or ord(c) in (0x200E, 0x200F) for c in text)


# --- plates -------------------------------------------------------------------------------


def plate(style: str, rng: random.Random, dark: bool = False) -> Image.Image:
    base = (30, 32, 40) if dark else (236, 230, 218)
    if style == "flat":
        return Image.new("RGB", (W, H), base)
    if style == "gradient":
        a = np.array(base, dtype=np.float64)
        b = a + (np.array([-25, -10, 15]) if not dark else np.array([30, 20, 40]))
        t = np.linspace(0, 1, W)[None, :, None]
        arr = a * (1 - t) + b * t
        return Image.fromarray(np.repeat(arr, H, axis=0).clip(0, 255).astype(np.uint8))
    if style == "bokeh":
        img = Image.new("RGB", (W, H), base)
        d = ImageDraw.Draw(img)
        for _ in range(12):
            x, y, r = rng.randint(0, W), rng.randint(0, H), rng.randint(20, 70)
            tint = tuple(min(255, max(0, c + rng.randint(-18, 18))) for c in base)
            d.ellipse((x - r, y - r, x + r, y + r), fill=tint)
        return img.filter(ImageFilter.GaussianBlur(12))
    if style == "busy":
        small = np.random.default_rng(rng.randint(0, 10**6)).integers(
            0, 256, (H // 6, W // 6, 3), dtype=np.uint8
        )
        return Image.fromarray(small).resize((W, H), Image.Resampling.NEAREST)
    raise ValueError(style)


# --- text ---------------------------------------------------------------------------------


def fit_size(font_path: FontFace, text: str, direction: str, lang: str, width: int) -> int:
    size = 64
    while size > 18:
        f = ImageFont.truetype(str(font_path.path), size, index=font_path.index)
        if f.getlength(text, direction=direction, language=lang) <= width:
            return size
        size -= 2
    return size


def draw_copy(
    img: Image.Image,
    face: FontFace,
    text: str,
    size: int,
    color: tuple[int, ...],
    direction: str,
    lang: str,
    box: tuple[int, int, int, int],
    shift: int = 0,
    basic: bool = False,
) -> None:
    """One line, start-aligned (right for RTL), clipped to the box like a design tool."""
    x0, y0, bw, bh = box
    engine = ImageFont.Layout.BASIC if basic else ImageFont.Layout.RAQM
    font = ImageFont.truetype(str(face.path), size, index=face.index, layout_engine=engine)
    kw: dict[str, Any] = {} if basic else {"direction": direction, "language": lang}
    width = font.getlength(text, **kw)
    layer = Image.new("RGBA", (bw, bh), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    x = (bw - 4 - width) if direction == "rtl" else 4
    d.text((x + shift, bh // 2), text, font=font, fill=(*color[:3], 255), anchor="lm", **kw)
    img.paste(layer, (x0, y0), layer)


def mutate_letter(text: str, rng: random.Random) -> str | None:
    idx = [i for i, c in enumerate(text) if c.isalpha()]
    letters = sorted({c for c in text if c.isalpha()})
    if len(idx) < 2 or len(letters) < 2:
        return None
    i = rng.choice(idx)
    other = rng.choice([c for c in letters if c != text[i]])
    return text[:i] + other + text[i + 1 :]


def drop_word(text: str, rng: random.Random) -> str | None:
    words = text.split(" ")
    if len(words) >= 3:
        del words[rng.randrange(1, len(words))]
        return " ".join(words)
    chars = [i for i, c in enumerate(text) if c.isalpha()]
    if len(chars) >= 4:
        i = rng.choice(chars[1:-1])
        return text[:i] + text[i + 2 :]
    return None


def change_digit(text: str, rng: random.Random) -> str | None:
    idx = [i for i, c in enumerate(text) if c.isdigit()]
    if not idx:
        return None
    i = rng.choice(idx)
    zero = ord(text[i]) - int(text[i])
    new = (int(text[i]) + rng.randint(1, 9)) % 10
    return text[:i] + chr(zero + new) + text[i + 1 :]


def wrong_format(s: Sample) -> str | None:
    if s.amount is None or s.currency is None:
        return None
    for other in ("en-US", "de-DE", "ja-JP"):
        alt = locale_info(other).format_price(Decimal(s.amount), s.currency)
        if alt.replace("\u200f", "") != s.text.replace("\u200f", ""):
            return alt
    return None


# --- codes --------------------------------------------------------------------------------


def qr_image(payload: str, module: int, border: int) -> Image.Image:
    import segno

    m = segno.make_qr(payload, error="m").matrix
    n = len(m)
    img = Image.new("L", ((n + 2 * border) * module,) * 2, 255)
    d = ImageDraw.Draw(img)
    for r, row in enumerate(m):
        for c, v in enumerate(row):
            if v:
                x, y = (c + border) * module, (r + border) * module
                d.rectangle((x, y, x + module - 1, y + module - 1), fill=0)
    return img


def ean_image(digits: str) -> Image.Image:
    from barcode import EAN13
    from barcode.writer import ImageWriter

    buf = io.BytesIO()
    EAN13(digits[:12], writer=ImageWriter()).write(
        buf,
        {
            "module_width": 0.4,
            "module_height": 18,
            "quiet_zone": 7,
            "dpi": 150,
            "font_size": 8,
            "text_distance": 4,
        },
    )
    buf.seek(0)
    return Image.open(buf).convert("L")


# --- assembly -----------------------------------------------------------------------------


def write(
    out: Path,
    name: str,
    img: Image.Image,
    manifest: dict[str, Any],
    label: dict[str, Any],
    labels: list[dict[str, Any]],
) -> None:
    img.convert("RGB").save(out / f"{name}.png")
    manifest["image"] = f"{name}.png"
    (out / f"{name}.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    labels.append({"manifest": f"{name}.json", **label})


def generate(
    out: Path,
    locales: list[str] | None = None,
    n_fonts: int = 3,
    plates: tuple[str, ...] = ("flat", "gradient", "bokeh"),
    seed: int = 7,
) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    labels: list[dict[str, Any]] = []
    copy = sample_copy()
    box = (MARGIN, MARGIN, W - 2 * MARGIN, H - 2 * MARGIN)
    for loc in locales or list(copy):
        info = locale_info(loc)
        direction, script = info.direction, info.script
        for fi, face in enumerate(faces(script)[:n_fonts]):
            for pi, style in enumerate(plates):
                for s in copy[loc]:
                    if not covers(face, s.text):
                        continue
                    tag = f"{loc}_{s.kind}_f{fi}_{style}"
                    size = fit_size(face, s.text, direction, loc, box[2] - 8)
                    ink = (26, 24, 22)
                    region: dict[str, Any] = {
                        "id": "copy",
                        "kind": s.kind,
                        "box": list(box),
                        "text": s.text,
                        "font_files": [f"{face.path}#{face.index}"],
                        "font_px": size,
                        "color": "#{:02X}{:02X}{:02X}".format(*ink),
                        "lines": [s.text],
                        "direction": direction,
                    }
                    if s.kind == "price":
                        region.update(amount=s.amount, currency=s.currency)
                    base = {"locale": loc, "regions": [region]}
                    meta = {"locale": loc, "font": face.label, "plate": style, "kind": s.kind}
                    # Clean.
                    img = plate(style, rng)
                    draw_copy(img, face, s.text, size, ink, direction, loc, box)
                    write(
                        out,
                        f"{tag}_clean",
                        img,
                        json.loads(json.dumps(base)),
                        {**meta, "defect": "clean"},
                        labels,
                    )
                    if pi > 0 and fi > 0:
                        continue  # defects on a subset of font x plate combinations
                    for defect in TEXT_DEFECTS:
                        made = make_text_defect(
                            defect,
                            s,
                            face,
                            size,
                            ink,
                            direction,
                            loc,
                            box,
                            style,
                            rng,
                            base,
                            script,
                        )
                        if made is not None:
                            img, man = made
                            write(
                                out, f"{tag}_{defect}", img, man, {**meta, "defect": defect}, labels
                            )
        labels += code_assets(out, loc, rng)
    (out / "labels.json").write_text(
        json.dumps(labels, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    return labels


def make_text_defect(
    defect: str,
    s: Sample,
    face: FontFace,
    size: int,
    ink: tuple[int, ...],
    direction: str,
    loc: str,
    box: tuple[int, int, int, int],
    style: str,
    rng: random.Random,
    base: dict[str, Any],
    script: str,
) -> tuple[Image.Image, dict[str, Any]] | None:
    man = json.loads(json.dumps(base))
    img = plate(style, rng)
    drawn: str | None = s.text
    if defect == "typo":
        drawn = mutate_letter(s.text, rng) if s.kind != "price" else None
    elif defect == "missing_word":
        drawn = drop_word(s.text, rng) if s.kind != "price" else None
    elif defect == "wrong_digit":
        drawn = change_digit(s.text, rng)
    elif defect == "wrong_price_format":
        if s.kind != "price":
            return None
        if rng.random() < 0.5:
            drawn = wrong_format(s)
        else:  # hand-typed manifest copy: the image matches it, CLDR does not
            typed = f"{s.amount} {s.currency}"
            man["regions"][0]["text"] = typed
            man["regions"][0]["lines"] = [typed]
            if not covers(face, typed):
                return None
            drawn = typed
    elif defect == "low_contrast":
        img = Image.new("RGB", (W, H), (150, 150, 150))
        ink = (120, 120, 120)
        man["regions"][0]["color"] = "#787878"
    elif defect == "busy_plate":
        img = plate("busy", rng)
    elif defect == "clipped":
        # Push a third of the copy past the box edge, where the box cuts it off.
        f = ImageFont.truetype(str(face.path), size, index=face.index)
        width = f.getlength(s.text, direction=direction, language=loc)
        push = int(box[2] - 8 - width + width / 3)
        draw_copy(
            img,
            face,
            s.text,
            size,
            ink,
            direction,
            loc,
            box,
            shift=(-1 if direction == "rtl" else 1) * max(push, box[2] // 4),
        )
        return img, man
    elif defect == "missing_glyphs":
        wrong = WRONG_FONT.get(script, "Noto Sans")
        f = FontIndex.system().find(wrong, STYLE)
        if f is None or covers(f, s.text):
            return None
        man["regions"][0]["font_files"] = [f"{f.path}#{f.index}"]
        draw_copy(img, f, s.text, size, ink, direction, loc, box)
        return img, man
    elif defect == "reversed_rtl":
        if direction != "rtl":
            return None
        drawn = "".join(reversed(s.text.replace("\u200f", "")))
    elif defect == "unjoined_rtl":
        if script != "Arab":
            return None
        draw_copy(
            img,
            face,
            "".join(reversed(s.text.replace("\u200f", ""))),
            size,
            ink,
            "ltr",
            loc,
            box,
            basic=True,
        )
        return img, man
    unchanged = drawn == s.text and defect in ("typo", "missing_word", "wrong_digit")
    if drawn is None or unchanged or not covers(face, drawn):
        return None
    draw_copy(img, face, drawn, size, ink, direction, loc, box)
    return img, man


def code_assets(out: Path, loc: str, rng: random.Random) -> list[dict[str, Any]]:
    labels: list[dict[str, Any]] = []
    url = f"https://lumen.example/{loc.lower()}/spring?c=27"
    for defect in ("clean", "wrong_qr", "damaged_qr", "no_quiet_zone"):
        img = plate("bokeh", rng)
        border = 0 if defect == "no_quiet_zone" else 4
        payload = url.replace("spring", "autumn") if defect == "wrong_qr" else url
        q = qr_image(payload, 5, border).convert("RGB")
        x, y = (W - q.width) // 2, (H - q.height) // 2
        if defect == "no_quiet_zone":
            img = plate("busy", rng)
        img.paste(q, (x, y))
        if defect == "damaged_qr":
            d = ImageDraw.Draw(img)
            cx, cy = x + q.width // 2, y + q.height // 2
            d.ellipse(
                (cx - q.width // 4, cy - q.width // 4, cx + q.width // 4, cy + q.width // 4),
                fill=(200, 60, 40),
            )
            d.rectangle((x + 20, y + 20, x + 55, y + 55), fill=(255, 255, 255))
        x0, y0 = max(0, x - 30), max(0, y - 30)
        x1, y1 = min(W, x + q.width + 30), min(H, y + q.height + 30)
        region = {"id": "qr", "kind": "qr", "box": [x0, y0, x1 - x0, y1 - y0], "payload": url}
        write(
            out,
            f"{loc}_qr_{defect}",
            img,
            {"locale": loc, "regions": [region]},
            {"locale": loc, "font": "-", "plate": "bokeh", "kind": "qr", "defect": defect},
            labels,
        )
    ean = "5901234123457"
    for defect in ("clean", "wrong_ean"):
        img = plate("flat", rng)
        digits = "4006381333931" if defect == "wrong_ean" else ean
        b = ean_image(digits).convert("RGB")
        scale = min((W - 40) / b.width, (H - 20) / b.height, 1.0)
        if scale < 1:
            b = b.resize((int(b.width * scale), int(b.height * scale)), Image.Resampling.NEAREST)
        x, y = (W - b.width) // 2, (H - b.height) // 2
        img.paste(b, (x, y))
        region = {
            "id": "ean",
            "kind": "barcode",
            "symbology": "ean13",
            "box": [x, y, b.width, b.height],
            "payload": ean,
        }
        write(
            out,
            f"{loc}_ean_{defect}",
            img,
            {"locale": loc, "regions": [region]},
            {"locale": loc, "font": "-", "plate": "flat", "kind": "barcode", "defect": defect},
            labels,
        )
    return labels


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--locales", nargs="*")
    ap.add_argument("--fonts", type=int, default=3)
    args = ap.parse_args()
    labels = generate(Path(args.out), args.locales, args.fonts)
    print(f"{len(labels)} assets in {args.out}")


if __name__ == "__main__":
    main()
