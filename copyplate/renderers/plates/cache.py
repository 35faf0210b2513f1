"""Plates on disk by content hash: every locale of a size shares one plate, and a second run
of the same campaign makes none."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.fileio import cache_dir, write_atomic
from copyplate.pngfile import encode_png


def default_cache_dir() -> Path:
    return cache_dir("plates")


class PlateCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir()
        self.hits = 0
        self.misses = 0
        self.unwritable = False

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.png"

    def get(self, key: str) -> Image.Image | None:
        p = self.path(key)
        try:
            with Image.open(p) as im:
                im.load()
                img = im.convert("RGB")
        except (OSError, ValueError):
            self.misses += 1
            return None  # absent or damaged: make it again
        self.hits += 1
        return img

    def put(self, key: str, image: Image.Image, meta: dict[str, Any] | None = None) -> None:
        """Store a plate, and what making it took (a hosted model's calls) beside it.

        The cache only saves time: a read-only or full cache folder leaves the plate
        uncached (made again next time), it never fails the asset."""
        rgb = image if image.mode in ("RGB", "RGBA") else image.convert("RGB")
        self.put_png(key, encode_png(rgb), meta)

    def put_png(self, key: str, png: bytes, meta: dict[str, Any] | None = None) -> None:
        """`put` for a plate that is already PNG bytes (made by a Ray actor)."""
        try:
            if meta:
                write_atomic(self.path(key).with_suffix(".json"), json.dumps(meta).encode())
            write_atomic(self.path(key), png)
        except OSError:
            self.unwritable = True

    def get_png(self, key: str) -> bytes | None:
        """The stored PNG bytes, undecoded (what a Ray task is sent), or None. Read whole
        and checked as a PNG: a damaged file is made again, as `get` would."""
        try:
            data = self.path(key).read_bytes()
            with Image.open(io.BytesIO(data)) as im:
                im.load()
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return data

    def meta(self, key: str) -> dict[str, Any]:
        try:
            data = json.loads(self.path(key).with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def plan(self, key: str) -> Any:
        """A batch-wide plan (JSON data) kept under `key` by `keep_plan`, or None."""
        try:
            kept = json.loads(self._plan_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return kept.get("plan") if isinstance(kept, dict) and kept.get("key") == key else None

    def keep_plan(self, key: str, plan: Any) -> None:
        """Keep a plan beside the plates for the next run of the same inputs into another
        output folder. Like a plate it only saves time: an unwritable folder is no error."""
        data = json.dumps({"key": key, "plan": plan}, sort_keys=True, ensure_ascii=False)
        with contextlib.suppress(OSError):
            write_atomic(self._plan_path(key), data.encode("utf-8"))

    def plans_folder(self) -> Path:
        return self.root / "plans"

    def _plan_path(self, key: str) -> Path:
        return self.plans_folder() / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.json"
