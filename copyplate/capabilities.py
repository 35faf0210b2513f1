"""What this machine can do: one table of capabilities, behind `copyplate doctor`,
`require(...)` (how every optional Python package is imported) and MissingCapability.

Each capability names what provides it (an extra of copyplate, an apt package) and a
one-line install hint; `doctor` prints the same table, and `require("segno")` imports the
module or raises MissingCapability with that hint, in one message format. A leaf module:
it imports nothing from copyplate's layers.
"""

from __future__ import annotations

import ctypes.util
import importlib
import importlib.metadata
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

from copyplate.errors import MissingCapability

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


Probe = Callable[[], tuple[bool, str]]  # (available, what was found)


@dataclass(frozen=True)
class Capability:
    """One thing copyplate can use, and how to get it when it is missing."""

    name: str
    needed_for: str
    required: bool  # `doctor` exits 3 when a required capability is missing
    provides: str  # what provides it: an extra of copyplate or apt package(s)
    hint: str  # one line: how to install it
    module: str | None = None  # a Python package: its import name ...
    dist: str | None = None  # ... and its distribution, whose version doctor shows
    probe: Probe | None = None  # anything else: how to find out

    def status(self) -> Status:
        """This capability as found on this machine (a module is imported to find out)."""
        if self.module is None:
            assert self.probe is not None, self.name
            ok, detail = self.probe()
            return self._status(ok, detail, "" if ok else self.hint)
        dist = self.dist or self.module
        ver = _version(dist)
        if ver is None:
            return self._status(False, f"{dist} not installed", self.hint)
        try:
            importlib.import_module(self.module)
        except Exception as e:  # a broken native library shows up here, not as ImportError only
            return self._status(False, f"{dist} {ver} fails to import: {e}", self._reinstall)
        return self._status(True, f"{dist} {ver}", "")

    def missing(self, error: BaseException | None = None) -> str:
        """The one message for a capability that is not there, with its install hint."""
        what = self.dist or self.module or self.name
        ver = _version(self.dist) if self.dist else None
        if ver is not None and error is not None:
            return (
                f"{what} {ver} is installed but fails to import ({error}); it is needed for "
                f"{self.needed_for}: {self._reinstall}"
            )
        return f"{what} is not installed; it is needed for {self.needed_for}: {self.hint}"

    @property
    def _reinstall(self) -> str:
        return f"reinstall with: {self.hint}"

    def _status(self, ok: bool, detail: str, fix: str) -> Status:
        return Status(self.name, ok, detail, self.needed_for, self.required, fix, self.provides)


@dataclass(frozen=True)
class Status:
    """One line of `copyplate doctor`: a capability as found on this machine."""

    name: str
    ok: bool
    detail: str
    needed_for: str
    required: bool
    fix: str = ""  # what to do about it; empty when there is nothing to do
    provides: str = ""

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


def _pip(extra: str) -> tuple[str, str]:
    return f"copyplate[{extra}]", f"pip install 'copyplate[{extra}]'"


def _package(
    name: str, dist: str, extra: str, needed_for: str, required: bool, module: str = ""
) -> Capability:
    provides, hint = _pip(extra)
    return Capability(name, needed_for, required, provides, hint, module or name, dist)


def _raqm() -> tuple[bool, str]:
    from PIL import features

    if not features.check("raqm"):
        return False, "Pillow has no Raqm layout (complex scripts would be shaped wrong)"
    return True, (
        f"raqm {features.version('raqm')}, harfbuzz {features.version('harfbuzz')}, "
        f"fribidi {features.version('fribidi')}"
    )


def _fonts_for(lang: str) -> Probe:
    def probe() -> tuple[bool, str]:
        exe = shutil.which("fc-list")
        if exe is None:
            return False, "fc-list not found"
        out = subprocess.run(
            [exe, f":lang={lang}", "family"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        ).stdout
        fams = sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})
        if not fams:
            return False, "no installed font covers it"
        noto = [f for f in fams if f.startswith("Noto Sans")]
        shown = ", ".join((noto or fams)[:3])
        return True, f"{len(fams)} families ({shown}{', ...' if len(fams) > 3 else ''})"

    return probe


def _tessdata() -> tuple[bool, str]:
    d = tessdata_dir()
    if d is None:
        return False, "no tessdata folder found"
    langs = tesseract_languages()
    missing = [lang for lang in SAMPLE_TESS_LANGS if lang not in langs]
    detail = f"{d}: {len(langs)} languages" + (f"; missing {', '.join(missing)}" if missing else "")
    return not missing, detail


def _on_path(exe: str, absent: str = "not on PATH") -> Probe:
    def probe() -> tuple[bool, str]:
        found = shutil.which(exe)
        return found is not None, found or absent

    return probe


def _zbar() -> tuple[bool, str]:
    found = ctypes.util.find_library("zbar")
    return found is not None, found or "libzbar not found"


def _cuda() -> tuple[bool, str]:
    if _version("torch") is None:
        return False, "torch not installed"
    try:
        import torch
    except Exception as e:  # a broken install: doctor reports it, never crashes
        return False, f"torch fails to import: {e}"
    if not torch.cuda.is_available():
        return False, "no CUDA device (plates run on the CPU)"
    return True, f"{torch.cuda.device_count()} device(s): {torch.cuda.get_device_name(0)}"


PLATE_WEIGHTS = (
    Path(__file__).parent
    / "renderers"
    / "plates"
    / "builtin_model"
    / "unet"
    / "diffusion_pytorch_model.safetensors"
)


def _plate_model() -> tuple[bool, str]:
    if not PLATE_WEIGHTS.is_file():
        return False, "built-in plate model weights missing"
    return True, f"{PLATE_WEIGHTS.stat().st_size / 1e6:.1f} MB of weights"


def _openai_key() -> tuple[bool, str]:
    # Whether a key is set, never the key: doctor's output is pasted into issues.
    base = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    if not os.environ.get("OPENAI_API_KEY"):
        return False, "OPENAI_API_KEY not set"
    return True, f"OPENAI_API_KEY set; endpoint {base}"


FONTS_APT = "fonts-noto-core fonts-noto-cjk"
PLATE_MODELS = "the built-in plate model and diffusers backends"

# The table, in the order `doctor` prints it.
CAPABILITIES: dict[str, Capability] = {
    c.name: c
    for c in [
        Capability(
            "raqm",
            "shaping Arabic, Hebrew, Indic, Thai copy",
            True,
            "libraqm0 libfribidi0 (apt)",
            "install libraqm0 and libfribidi0 (make setup)",
            probe=_raqm,
        ),
        Capability(
            "fontconfig",
            "finding system fonts",
            True,
            "fontconfig (apt)",
            "apt-get install fontconfig",
            probe=_on_path("fc-list", "fc-list not found"),
        ),
        *(
            Capability(
                f"fonts:{script}",
                f"copy in {script} script",
                True,
                f"{FONTS_APT} (apt)",
                f"apt-get install fontconfig {FONTS_APT} (make setup)",
                probe=_fonts_for(lang),
            )
            for script, lang in SCRIPT_LANGS.items()
        ),
        _package("icu", "pyicu", "copy", "UAX #14 line breaking, Thai and CJK rules", True),
        _package("segno", "segno", "copy", "drawing QR codes", True),
        _package("pyphen", "pyphen", "copy", "hyphenation (brand.hyphenation)", False),
        Capability(
            "tessdata",
            "OCR validation of every sample locale",
            True,
            "tesseract-ocr-<lang> (apt)",
            "apt-get install tesseract-ocr-<lang> (make setup)",
            probe=_tessdata,
        ),
        _package("tesserocr", "tesserocr", "ocr", "in-process OCR (one API per worker)", True),
        Capability(
            "tesseract-cli",
            "fallback OCR and its language data",
            False,
            "tesseract-ocr (apt)",
            "apt-get install tesseract-ocr",
            probe=_on_path("tesseract"),
        ),
        _package("zxingcpp", "zxing-cpp", "copy", "decoding QR and EAN codes", True),
        Capability(
            "zbar",
            "second-opinion barcode decoding",
            False,
            "libzbar0 (apt)",
            "apt-get install libzbar0",
            probe=_zbar,
        ),
        _package(
            "pyzbar", "pyzbar", "ocr", "second-opinion barcode decoding", False, "pyzbar.pyzbar"
        ),
        _package("cv2", "opencv-python-headless", "ocr", "image work in validators", True),
        _package("torch", "torch", "diffusion", PLATE_MODELS, False),
        Capability(
            "cuda",
            "fast plates on a GPU",
            False,
            "an NVIDIA GPU and a CUDA build of torch",
            "install a CUDA build of torch on a machine with an NVIDIA GPU",
            probe=_cuda,
        ),
        _package(
            "diffusers",
            "diffusers",
            "diffusion",
            "the built-in plate model and diffusers backends",
            False,
        ),
        Capability(
            "plate-model",
            "the built-in plate generator",
            False,
            "copyplate itself (packaged weights)",
            "reinstall copyplate or retrain (scripts/train_plate_model.py)",
            probe=_plate_model,
        ),
        _package("ray", "ray", "ray", "--executor ray", False),
        _package("fastapi", "fastapi", "serve", "copyplate serve", False),
        _package("uvicorn", "uvicorn", "serve", "copyplate serve and service", False),
        _package(
            "python_multipart", "python-multipart", "serve", "uploads to copyplate service", False
        ),
        _package("sqlalchemy", "sqlalchemy", "serve", "copyplate service's store", False),
        _package("openai", "openai", "hosted", "the gpt-image backends", False),
        Capability(
            "openai-key",
            "the gpt-image backends",
            False,
            "an OpenAI API key",
            "export OPENAI_API_KEY=... (and OPENAI_BASE_URL for a proxy)",
            probe=_openai_key,
        ),
        _package("c2pa", "c2pa-python", "provenance", "signed C2PA manifests", False),
        Capability(
            "chromium",
            "browser tests of the HTML report",
            False,
            "chromium (apt)",
            "apt-get install chromium",
            probe=_on_path("chromium", "not installed"),
        ),
    ]
}


def capability(name: str) -> Capability:
    try:
        return CAPABILITIES[name]
    except KeyError:
        msg = f"unknown capability {name!r} (known: {', '.join(CAPABILITIES)})"
        raise ValueError(msg) from None


def require(name: str) -> ModuleType:
    """The module of capability `name`, imported; MissingCapability with its install hint
    when it is not installed or cannot be imported."""
    cap = capability(name)
    if cap.module is None:
        msg = f"capability {name!r} is not a Python module"
        raise ValueError(msg)
    try:
        return importlib.import_module(cap.module)
    except (ImportError, OSError) as e:  # OSError: a native library it wraps is missing
        raise MissingCapability(cap.missing(e)) from None


def available(name: str) -> bool:
    """Whether capability `name` is there (a module: installed and importable)."""
    return capability(name).status().ok


def gather() -> list[Status]:
    """Every capability in the table as found on this machine: what `doctor` prints."""
    return [cap.status() for cap in CAPABILITIES.values()]
