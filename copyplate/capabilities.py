"""What this machine can do: the facts behind `copyplate doctor` and MissingCapability errors."""

from __future__ import annotations

import ctypes.util
import importlib
import importlib.metadata
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

# Tesseract language packs for the sample locales (ISO 639-2 names tesseract uses).
SAMPLE_TESS_LANGS = [
    "eng",
    "deu",
    "fra",
    "spa",
    "por",
    "pol",
    "tur",
    "rus",
    "ell",
    "vie",
    "ara",
    "heb",
    "jpn",
    "chi_sim",
    "kor",
    "hin",
    "tha",
]
# One fontconfig language per script the samples use.
SCRIPT_LANGS = {
    "Latn": "en",
    "Cyrl": "ru",
    "Grek": "el",
    "Arab": "ar",
    "Hebr": "he",
    "Thai": "th",
    "Deva": "hi",
    "Jpan": "ja",
    "Hans": "zh-cn",
    "Kore": "ko",
}
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
)


@dataclass(frozen=True)
class Capability:
    name: str
    ok: bool
    detail: str
    needed_for: str
    required: bool
    fix: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def tessdata_dir() -> Path | None:
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = ([env] if env else []) + list(TESSDATA_DIRS)
    for c in candidates:
        p = Path(c)
        if (p / "eng.traineddata").is_file():
            return p
    return None


def tesseract_languages() -> list[str]:
    d = tessdata_dir()
    if d is None:
        return []
    return sorted(p.name.removesuffix(".traineddata") for p in d.glob("*.traineddata"))


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _module(name: str, dist: str, needed_for: str, required: bool, extra: str) -> Capability:
    ver = _version(dist)
    ok = ver is not None
    if ok:
        try:
            importlib.import_module(name)
        except Exception as e:  # a broken native library shows up here, not as ImportError only
            return Capability(
                name,
                False,
                f"{dist} {ver} fails to import: {e}",
                needed_for,
                required,
                f"reinstall with: pip install 'copyplate[{extra}]'",
            )
    return Capability(
        name,
        ok,
        f"{dist} {ver}" if ok else f"{dist} not installed",
        needed_for,
        required,
        "" if ok else f"pip install 'copyplate[{extra}]'",
    )


def _raqm() -> Capability:
    from PIL import features

    ok = bool(features.check("raqm"))
    detail = (
        f"raqm {features.version('raqm')}, harfbuzz {features.version('harfbuzz')}, "
        f"fribidi {features.version('fribidi')}"
        if ok
        else "Pillow has no Raqm layout (complex scripts would be shaped wrong)"
    )
    return Capability(
        "raqm",
        ok,
        detail,
        "shaping Arabic, Hebrew, Indic, Thai copy",
        True,
        "" if ok else "install libraqm0 and libfribidi0 (make setup)",
    )


def _tesseract() -> list[Capability]:
    langs = tesseract_languages()
    missing = [lang for lang in SAMPLE_TESS_LANGS if lang not in langs]
    d = tessdata_dir()
    caps = [
        Capability(
            "tessdata",
            d is not None and not missing,
            f"{d}: {len(langs)} languages" + (f"; missing {', '.join(missing)}" if missing else "")
            if d
            else "no tessdata folder found",
            "OCR validation of every sample locale",
            True,
            "" if not missing and d else "apt-get install tesseract-ocr-<lang> (make setup)",
        ),
        _module("tesserocr", "tesserocr", "in-process OCR (one API per worker)", True, "ocr"),
    ]
    exe = shutil.which("tesseract")
    caps.append(
        Capability(
            "tesseract-cli",
            exe is not None,
            exe or "not on PATH",
            "fallback OCR and its language data",
            False,
            "" if exe else "apt-get install tesseract-ocr",
        )
    )
    return caps


def _fonts() -> list[Capability]:
    exe = shutil.which("fc-list")
    if exe is None:
        return [
            Capability(
                "fontconfig",
                False,
                "fc-list not found",
                "finding system fonts",
                True,
                "apt-get install fontconfig",
            )
        ]
    caps = []
    for script, lang in SCRIPT_LANGS.items():
        out = subprocess.run(
            [exe, f":lang={lang}", "family"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        ).stdout
        fams = sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})
        noto = [f for f in fams if f.startswith("Noto Sans")]
        shown = ", ".join((noto or fams)[:3])
        caps.append(
            Capability(
                f"fonts:{script}",
                bool(fams),
                f"{len(fams)} families ({shown}{', ...' if len(fams) > 3 else ''})"
                if fams
                else "no installed font covers it",
                f"copy in {script} script",
                True,
                "" if fams else "apt-get install fonts-noto-core fonts-noto-cjk (make setup)",
            )
        )
    return caps


def _torch() -> list[Capability]:
    ver = _version("torch")
    if ver is None:
        return [
            Capability(
                "torch",
                False,
                "not installed",
                "built-in plate model, diffusers",
                False,
                "pip install 'copyplate[diffusion]'",
            ),
            Capability("cuda", False, "torch not installed", "fast plates on a GPU", False),
        ]
    import torch

    cuda = torch.cuda.is_available()
    detail = (
        f"{torch.cuda.device_count()} device(s): {torch.cuda.get_device_name(0)}"
        if cuda
        else "no CUDA device (plates run on the CPU)"
    )
    return [
        Capability("torch", True, f"torch {ver}", "built-in plate model, diffusers", False),
        Capability("cuda", cuda, detail, "fast plates on a GPU", False),
    ]


def gather() -> list[Capability]:
    caps: list[Capability] = [_raqm()]
    caps += _fonts()
    caps.append(_module("icu", "pyicu", "UAX #14 line breaking, Thai and CJK rules", True, "copy"))
    caps += _tesseract()
    caps.append(_module("zxingcpp", "zxing-cpp", "decoding QR and EAN codes", True, "copy"))
    zbar = ctypes.util.find_library("zbar")
    caps.append(
        Capability(
            "zbar",
            zbar is not None,
            zbar or "libzbar not found",
            "second-opinion barcode decoding",
            False,
            "" if zbar else "apt-get install libzbar0",
        )
    )
    caps.append(_module("cv2", "opencv-python-headless", "image work in validators", True, "ocr"))
    caps += _torch()
    caps.append(_module("diffusers", "diffusers", "diffusion plate backends", False, "diffusion"))
    weights = (
        Path(__file__).parent
        / "renderers"
        / "plates"
        / "builtin_model"
        / "unet"
        / "diffusion_pytorch_model.safetensors"
    )
    caps.append(
        Capability(
            "plate-model",
            weights.is_file(),
            f"{weights.stat().st_size / 1e6:.1f} MB of weights"
            if weights.is_file()
            else "built-in plate model weights missing",
            "the built-in plate generator",
            False,
            ""
            if weights.is_file()
            else "reinstall copyplate or retrain (scripts/train_plate_model.py)",
        )
    )
    caps.append(_module("ray", "ray", "--executor ray", False, "ray"))
    caps.append(_module("fastapi", "fastapi", "copyplate serve", False, "serve"))
    caps.append(_module("openai", "openai", "the gpt-image backends", False, "hosted"))
    # Whether a key is set, never the key: doctor's output is pasted into issues.
    key = bool(os.environ.get("OPENAI_API_KEY"))
    base = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    caps.append(
        Capability(
            "openai-key",
            key,
            f"OPENAI_API_KEY set; endpoint {base}" if key else "OPENAI_API_KEY not set",
            "the gpt-image backends",
            False,
            "" if key else "export OPENAI_API_KEY=... (and OPENAI_BASE_URL for a proxy)",
        )
    )
    caps.append(_module("c2pa", "c2pa-python", "signed C2PA manifests", False, "provenance"))
    chromium = shutil.which("chromium")
    caps.append(
        Capability(
            "chromium",
            chromium is not None,
            chromium or "not installed",
            "browser tests of the HTML report",
            False,
            "" if chromium else "apt-get install chromium",
        )
    )
    return caps
