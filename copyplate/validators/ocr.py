"""`ocr`: does the region say exactly the expected copy?

Tesseract is the reader: in-process through tesserocr, one API object per language and
page-segmentation mode, created once per worker process and reused (the `tesseract`
command is the fallback). Raw OCR is noisy, so the validator:

- reads a binarised crop of just the glyphs, scaled so letters are ~40 px tall, with the
  locale's language plus English (brand names), first as a block, then line by line;
- compares after normalising what does not change meaning: Unicode NFKC, bidi marks,
  whitespace, digit *script* (Arabic-Indic ٣ and 3 are the same digit), Thai SARA AM,
  apostrophe and dash shapes;
- when the reading still differs, asks for a second opinion: the expected copy rendered
  in the manifest's fonts at the manifest's size, compared glyph mask to glyph mask. Only
  if the glyphs match that rendering with no local difference bigger than a stroke is the
  OCR difference put down to the reader. A typo, a missing word or a wrong digit changes
  the glyphs, and fails.
"""

from __future__ import annotations

import difflib
import functools
import subprocess
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageOps

from copyplate.capabilities import available, require, tessdata_dir
from copyplate.errors import MissingCapability
from copyplate.findings import Finding
from copyplate.textlayout import BIDI_CONTROLS
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators
from copyplate.validators.imaging import region_mask, runs, text_rect
from copyplate.validators.reference import compare

TESS_LANG = {
    "en": "eng",
    "de": "deu",
    "fr": "fra",
    "es": "spa",
    "pt": "por",
    "pl": "pol",
    "tr": "tur",
    "ru": "rus",
    "el": "ell",
    "vi": "vie",
    "ar": "ara",
    "he": "heb",
    "ja": "jpn",
    "zh": "chi_sim",
    "ko": "kor",
    "hi": "hin",
    "th": "tha",
    "it": "ita",
    "nl": "nld",
    "sv": "swe",
    "uk": "ukr",
    "cs": "ces",
    "id": "ind",
    "fa": "fas",
}
_SAME = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "ʼ": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "−": "-",
        "٪": "%",
        "\u0e33": "\u0e4d\u0e32",  # Thai SARA AM as NIKHAHIT + SARA AA: OCR splits it
    }
)


def normalise(text: str) -> str:
    """What OCR and copy are compared on: meaning kept, reader noise removed."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text.translate(_SAME):
        if ch in BIDI_CONTROLS or ch.isspace():
            continue
        d = unicodedata.decimal(ch, None)
        out.append(str(d) if d is not None else ch)
    return "".join(out)


def digits_of(text: str) -> str:
    return "".join(c for c in normalise(text) if c.isdigit())


class Reader:
    """Tesseract APIs, one per (language, mode), made on first use and kept."""

    def __init__(self) -> None:
        self._apis: dict[tuple[str, int], Any] = {}
        try:
            self._tesserocr: Any = require("tesserocr")
        except MissingCapability as e:
            # The `tesseract` command does the same work, a process per reading.
            self._tesserocr = None
            if not available("tesseract-cli"):
                msg = f"{e}; the tesseract command is not installed either"
                raise MissingCapability(msg) from None
        self.tessdata = tessdata_dir()
        if self.tessdata is None:
            raise MissingCapability("no tesseract language data found (make setup)")

    def languages(self, locale: str) -> list[str]:
        base = TESS_LANG.get(locale.split("-")[0], "eng")
        have = {p.stem for p in self.tessdata.glob("*.traineddata")} if self.tessdata else set()
        if base not in have:
            pkg = "tesseract-ocr-" + base.replace("_", "-")
            msg = f"tesseract has no language data {base!r} for {locale} (apt-get install {pkg})"
            raise MissingCapability(msg)
        return [base] if base == "eng" else [f"{base}+eng", base]

    def read(self, image: Image.Image, lang: str, single_line: bool) -> str:
        if self._tesserocr is None:
            return self._read_cli(image, lang, single_line)
        t = self._tesserocr
        psm = t.PSM.SINGLE_LINE if single_line else t.PSM.SINGLE_BLOCK
        key = (lang, int(psm))
        if key not in self._apis:
            self._apis[key] = t.PyTessBaseAPI(path=str(self.tessdata), lang=lang, psm=psm)
        api = self._apis[key]
        api.SetImage(image)
        return str(api.GetUTF8Text())

    def _read_cli(self, image: Image.Image, lang: str, single_line: bool) -> str:
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "in.png"
            image.save(src)
            r = subprocess.run(
                [
                    "tesseract",
                    str(src),
                    "stdout",
                    "-l",
                    lang,
                    "--psm",
                    "7" if single_line else "6",
                    "--tessdata-dir",
                    str(self.tessdata),
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            return r.stdout


@functools.lru_cache(maxsize=1)
def reader() -> Reader:
    return Reader()


def prepared(asset: AssetView, region: RegionSpec, scale_to: float = 40.0) -> list[Image.Image]:
    """Black-on-white crops of the glyphs: the whole block, then each line."""
    px = float(region.m.font_px or 0) or None
    rect = text_rect(asset, region, pad=max(4, int((px or 24) // 3)))
    mask = region_mask(asset, region, rect)
    if px is None:
        rows = mask.any(axis=1)
        px = max(10.0, float(rows.sum()) / 0.75 / max(1, len(region.m.lines or [1])))
    scale = min(4.0, max(0.4, scale_to / px))
    img = Image.fromarray(np.where(mask, 0, 255).astype(np.uint8))

    def fit(im: Image.Image) -> Image.Image:
        if abs(scale - 1) > 0.05:
            im = im.resize(
                (max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                Image.Resampling.LANCZOS,
            )
        return ImageOps.expand(im, 16, fill=255)

    out = [fit(img)]
    n_lines = len(region.m.lines or [])
    if n_lines > 1:
        bands = runs(np.asarray(mask.any(axis=1), dtype=bool))
        if len(bands) == n_lines:
            out += [
                fit(img.crop((0, max(0, a - 4), img.width, min(img.height, b + 4))))
                for a, b in bands
            ]
    return out


def diff_words(read: str, expected: str) -> str:
    a, b = normalise(read), normalise(expected)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op != "equal":
            parts.append(f"{op} {a[i1:i2]!r}->{b[j1:j2]!r}")
    return "; ".join(parts[:4]) or "differs"


@validators.register("ocr")
class OcrValidator:
    check: ClassVar[str] = "ocr"
    kinds: ClassVar[tuple[str, ...]] = COPY_KINDS

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        expected = region.text
        want = normalise(expected)
        bbox = region.box.as_list()
        rd = reader()
        crops = prepared(asset, region)
        readings: list[str] = []
        for lang in rd.languages(region.locale):
            block = rd.read(crops[0], lang, single_line=len(crops) == 1)
            readings.append(block)
            if normalise(block) == want:
                return [self._pass(region, block, "reads back exactly")]
            if len(crops) > 1:
                joined = "".join(rd.read(c, lang, single_line=True) for c in crops[1:])
                readings.append(joined)
                if normalise(joined) == want:
                    return [self._pass(region, joined, "reads back exactly, line by line")]
        best = max(
            readings, key=lambda r: difflib.SequenceMatcher(None, normalise(r), want).ratio()
        )
        # Copy a model generated is in no known font: no rendered reference can vouch for
        # it, so it must read back exactly.
        second = None if region.m.generated else compare(asset, region)
        if second is not None and second.ok:
            return [
                self._pass(
                    region,
                    best,
                    "glyphs match the expected copy rendered in the manifest's font "
                    f"(tesseract read {best.strip()[:80]!r})",
                    extra={
                        "second_opinion": "rendered-reference",
                        "scores": [round(m.score, 3) for m in second.lines],
                    },
                )
            ]
        where = None
        detail = diff_words(best, expected)
        if second is not None:
            blobs = [b for m in second.lines for b in m.blobs] + second.unexplained
            where = blobs[0] if blobs else None
            low = [m.line for m in second.lines if m.score < 0.75]
            detail += (
                f"; the glyphs differ from the expected copy at {len(blobs)} place(s)"
                if blobs
                else ""
            )
            detail += f"; no match for line(s) {low!r}" if low else ""
        return [
            Finding(
                "ocr.text",
                region.id,
                False,
                f"the image does not say the expected copy: {detail}",
                measured=best.strip(),
                expected=expected,
                bbox=where or bbox,
                action="retypeset",
                extra={"readings": [r.strip() for r in readings]},
            )
        ]

    @staticmethod
    def _pass(
        region: RegionSpec, read: str, how: str, extra: dict[str, Any] | None = None
    ) -> Finding:
        return Finding(
            "ocr.text",
            region.id,
            True,
            how,
            measured=read.strip(),
            expected=region.text,
            bbox=region.box.as_list(),
            extra=extra or {},
        )
