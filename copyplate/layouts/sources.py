"""Shared helpers for reading input files: safe relative paths and pydantic errors as Problems."""

from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from copyplate.errors import Problem
from copyplate.layouts.jsonsource import JsonDocument, join_pointer


def safe_path(root: Path, rel: str) -> Path | str:
    """`rel` resolved inside `root`, or a message saying why it is refused.

    Symlinks are resolved before the check, so a link pointing out of the campaign folder
    is refused like a `../` path.
    """
    if "\x00" in rel:
        return "path contains a NUL character"
    p = Path(rel)
    if p.is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        return f"path {rel!r} is absolute; paths must be relative to the campaign folder"
    base = root.resolve()
    target = (base / p).resolve()
    if target != base and base not in target.parents:
        return f"path {rel!r} leaves the campaign folder {str(base)!r}"
    return target


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if isinstance(value, str) and len(value) > 200:
        text += f" ({len(value):,} characters)"
    return text


@functools.lru_cache(maxsize=1)
def _known_keys() -> list[str]:
    """Every field name and alias of every campaign model, for 'did you mean' hints."""
    from copyplate.layouts import models

    names: set[str] = set()
    for obj in vars(models).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for name, f in obj.model_fields.items():
                names.add(f.alias or name)
    return sorted(names)


def did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def step(node: Any, part: int | str) -> tuple[bool, Any]:
    """Follow one element of a pydantic `loc` into raw JSON data, if it exists there.

    `loc` also holds union tags and validator names that are not in the data.
    """
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def validation_problems(
    doc: JsonDocument, err: ValidationError, data: Any, base: str = ""
) -> list[Problem]:
    """One Problem per pydantic error, located by JSON pointer and line:column.

    Pydantic's `loc` mixes real keys with union tags and validator names; walking the actual
    data keeps the parts that exist there, so the pointer always names a real place.
    """
    out: list[Problem] = []
    for e in err.errors(include_url=False):
        node = data
        ptr = base
        loc = e["loc"]
        kind = e["type"]
        missing_field: str | None = None
        for i, part in enumerate(loc):
            found, child = step(node, part)
            if found:
                ptr = join_pointer(ptr, part)
                node = child
            elif kind == "missing" and i == len(loc) - 1:
                missing_field = str(part)
        if kind == "missing":
            msg = f"required key {missing_field!r} is missing"
        elif kind == "extra_forbidden":
            key = str(loc[-1])
            msg = f"unknown key {key!r}{did_you_mean(key, _known_keys())}"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            if isinstance(node, dict) and "kind" in node:
                ptr = join_pointer(ptr, "kind")
            msg = e["msg"]
        else:
            msg = f"{e['msg']} (got {_short(e.get('input'))})"
        out.append(doc.problem(ptr, msg))
    return out
