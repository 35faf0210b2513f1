"""Test-side OCR read-back with tesseract, used until the OCR validator does this job."""

from __future__ import annotations

import difflib
import functools
import unicodedata
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from copyplate.capabilities import tessdata_dir
from copyplate.validators.ocr import TESS_LANG

TESS = TESS_LANG


@functools.lru_cache(maxsize=64)
def _api(lang: str, psm: int) -> Any:
    import tesserocr

    return tesserocr.PyTessBaseAPI(path=str(tessdata_dir()), lang=lang, psm=psm)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if unicodedata.category(c)[0] in "LNM")


def read_region(image: Image.Image, region: dict[str, Any], locale: str) -> list[str]:
    """OCR one manifest region: crop to the text, binarise around text vs. background.
    Returns one reading per page-segmentation mode (block; single line for one-liners)."""
    x, y, w, h = region.get("text_bbox", region["box"])
    px = int(region.get("font_px", 24))
    pad = max(4, px // 3)
    crop = image.convert("L").crop((x - pad, y - pad, x + w + pad, y + h + pad))
    col = region.get("color", "#000000")
    text_l = int(col[1:3], 16) * 0.3 + int(col[3:5], 16) * 0.59 + int(col[5:7], 16) * 0.11
    g = np.asarray(crop, dtype=np.float64)
    bg = float(np.median(g))
    thr = (text_l + bg) / 2
    background = g > thr if text_l < bg else g < thr
    binary = Image.fromarray((background * 255).astype(np.uint8))
    scale = max(1.0, 48 / px)
    if scale > 1:
        binary = binary.resize(
            (round(binary.width * scale), round(binary.height * scale)), Image.Resampling.LANCZOS
        )
    binary = ImageOps.expand(binary, 20, fill=255)
    import tesserocr

    lang = TESS[locale[:2]] + ("" if locale.startswith("en") else "+eng")
    modes = [tesserocr.PSM.SINGLE_BLOCK]
    if len(region.get("lines", [])) == 1:
        modes.append(tesserocr.PSM.SINGLE_LINE)
    out = []
    for psm in modes:
        api = _api(lang, psm)
        api.SetImage(binary)
        out.append(str(api.GetUTF8Text()))
    return out


def best_similarity(readings: list[str], expected: str) -> float:
    return max(similarity(r, expected) for r in readings)


def similarity(read: str, expected: str) -> float:
    return difflib.SequenceMatcher(None, normalise(read), normalise(expected)).ratio()
