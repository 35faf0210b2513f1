"""Find fonts (by family and style through fontconfig, or by file) and answer coverage questions.

Pillow has no font fallback, so every stage that puts text on an image needs to know which
font of a chain has which code points. Coverage comes from the font's own cmap (fontTools),
read once per face and cached.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from copyplate.errors import MissingCapability
from copyplate.fileio import cache_dir

# Characters that are layout controls, not glyphs: a font need not have them.
IGNORABLE = frozenset(
    {
        0x200B, 0x200C, 0x200D, 0x200E, 0x200F,  # ZWSP, ZWNJ, ZWJ, LRM, RLM
        0x061C, 0x2066, 0x2067, 0x2068, 0x2069,  # ALM, isolates
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E,  # embeddings and overrides
        0x00AD, 0xFEFF, 0x000A, 0x000D, 0x0009,  # soft hyphen, BOM, line controls
    }
)  # fmt: skip


@dataclass(frozen=True)
class FontFace:
    """One face: a file and, for collections (.ttc), the face index inside it."""

    path: Path
    index: int = 0
    family: str = ""
    style: str = ""

    @property
    def label(self) -> str:
        name = f"{self.family} {self.style}".strip()
        return name or f"{self.path.name}#{self.index}"

    def covers(self, ch: str) -> bool:
        return ord(ch) in IGNORABLE or ord(ch) in coverage(self.path, self.index)

    def missing(self, text: str) -> list[str]:
        """Characters of `text` this face has no glyph for, each once, in order."""
        cmap = coverage(self.path, self.index)
        out: list[str] = []
        for ch in text:
            cp = ord(ch)
            if cp not in cmap and cp not in IGNORABLE and ch not in out:
                out.append(ch)
        return out


@functools.lru_cache(maxsize=128)
def coverage(path: Path, index: int = 0) -> frozenset[int]:
    # Decoding a cmap with fontTools takes ~65 ms a face (a CJK face more), and `check`,
    # every run and every worker ask again for the same ~16 faces: the code points are kept
    # on disk under the file's identity (path, face, size, mtime), so only a new or
    # changed font file is read.
    memo = _coverage_memo(path, index)
    if memo is not None:
        try:
            return _unranges(memo.read_text(encoding="ascii"))
        except (OSError, ValueError):
            pass  # absent or damaged: read the font
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap() or {}
    points = frozenset(cmap)
    if memo is not None:
        from copyplate.fileio import write_atomic

        # The memo only saves time: a read-only cache folder is not an error.
        with contextlib.suppress(OSError):
            write_atomic(memo, _ranges(points).encode("ascii"))
    return points


def files_identity(paths: Iterable[Path]) -> str:
    """A hash of font files' identities (path, size, mtime): part of the key of what is
    kept from typesetting between runs, so that a font installed, removed or changed
    makes it stale."""
    h = hashlib.sha256()
    for path in sorted(set(paths)):
        try:
            st = path.stat()
            ident = f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n"
        except OSError:
            ident = f"{path}\0-\n"
        h.update(ident.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _coverage_memo(path: Path, index: int) -> Path | None:
    try:
        st = path.stat()
    except OSError:
        return None  # let fontTools say what is wrong with it
    ident = f"{path.resolve()}\0{index}\0{st.st_size}\0{st.st_mtime_ns}"
    name = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return cache_dir("coverage") / f"{name}.txt"


def _ranges(points: frozenset[int]) -> str:
    """Code points as "first-last" ranges, one a line: a CJK face's 40,000 in a few KB."""
    out: list[str] = []
    for cp in sorted(points):
        if out and int(out[-1].rpartition("-")[2]) == cp - 1:
            out[-1] = f"{out[-1].partition('-')[0]}-{cp}"
        else:
            out.append(f"{cp}-{cp}")
    return "\n".join(out) + "\n"


def _unranges(text: str) -> frozenset[int]:
    if not text.endswith("\n"):
        raise ValueError("a truncated coverage memo")
    points: set[int] = set()
    for line in text.splitlines():
        first, _, last = line.partition("-")
        points.update(range(int(first), int(last) + 1))
    return frozenset(points)


def uncovered(text: str, chain: Iterable[FontFace]) -> list[str]:
    """Characters of `text` that no face of `chain` covers."""
    faces = list(chain)
    out: list[str] = []
    for ch in dict.fromkeys(text):
        if not any(f.covers(ch) for f in faces):
            out.append(ch)
    return out


def describe_chars(chars: Iterable[str], limit: int = 6) -> str:
    items = list(chars)
    text = ", ".join(f"U+{ord(c):04X} {c!r}" for c in items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


class FontIndex:
    """The system's fonts as fontconfig lists them. Built lazily, once per process."""

    def __init__(self, entries: list[FontFace]) -> None:
        # fontconfig lists secondary names too ("SemiCondensed Bold,Bold"), so a face is
        # ranked by whether the asked-for family and style are its *primary* names.
        best: dict[tuple[str, str], tuple[int, FontFace]] = {}
        self.families: set[str] = set()
        # Every font file fontconfig knows: where a font named by untrusted input may be.
        self.files: frozenset[Path] = frozenset(e.path for e in entries)
        for e in entries:
            fams = [f.strip() for f in e.family.split(",") if f.strip()]
            styles = [s.strip() for s in e.style.split(",") if s.strip()] or ["Regular"]
            face = FontFace(e.path, e.index, fams[0] if fams else "", styles[0])
            for fi, fam in enumerate(fams):
                self.families.add(fam)
                for si, sty in enumerate(styles):
                    key = (fam.casefold(), sty.casefold())
                    rank = (fi > 0) + (si > 0)
                    if key not in best or rank < best[key][0]:
                        best[key] = (rank, face)
        self._by_key = {k: v[1] for k, v in best.items()}

    @classmethod
    @functools.lru_cache(maxsize=1)
    def system(cls) -> FontIndex:
        exe = shutil.which("fc-list")
        if exe is None:
            msg = "fontconfig's fc-list is not installed (run `make setup`)"
            raise MissingCapability(msg)
        out = subprocess.run(
            [exe, "--format", "%{file}\t%{index}\t%{family}\t%{style}\n"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        ).stdout
        entries = []
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 4 and parts[1].isdigit():
                entries.append(FontFace(Path(parts[0]), int(parts[1]), parts[2], parts[3]))
        return cls(entries)

    def find(self, family: str, style: str = "Regular") -> FontFace | None:
        return self._by_key.get((family.casefold(), style.casefold()))

    def styles_of(self, family: str) -> list[str]:
        fam = family.casefold()
        return sorted({s for (f, s) in self._by_key if f == fam})
