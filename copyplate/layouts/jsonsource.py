"""Read JSON input files defensively and locate any JSON pointer as line:column.

The stdlib parser does the parsing (fast, exact error positions); a small iterative scanner
then maps every member and element to its offset, which also finds duplicate keys that
`json.loads` would silently collapse. Nothing here recurses, so hostile nesting cannot
crash it.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from copyplate.errors import Problem

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<punct>[{}\[\]:,])
      | (?P<atom>-?[0-9][0-9.eE+\-]*|true|false|null)
    )""",
    re.S | re.X,
)


def escape_pointer_part(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, part: str | int) -> str:
    return f"{base}/{escape_pointer_part(part)}"


@dataclass
class SourceMap:
    """Offsets of every value in one JSON text, by pointer, plus what the scan found wrong."""

    text: str
    offsets: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    _line_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def locate(self, pointer: str) -> tuple[int, int] | None:
        """Line and column of `pointer`, or of its nearest ancestor present in the file."""
        p = pointer
        while True:
            if p in self.offsets:
                return self.position(self.offsets[p])
            if not p:
                return None
            p = p.rsplit("/", 1)[0]


def scan(text: str) -> SourceMap:
    """Map pointers to offsets. `text` must already be valid JSON."""
    smap = SourceMap(text)
    # Each frame: [pointer, kind ("{" or "["), next index, pending key, keys seen]
    stack: list[list[Any]] = []
    pos = 0
    expect_key = False
    root_seen = False
    while True:
        m = _TOKEN.match(text, pos)
        if m is None:
            break
        pos = m.end()
        start = m.start(m.lastgroup or "str")
        tok = m.group(m.lastgroup or "str")
        if m.lastgroup == "punct" and tok in ":,":
            if tok == "," and stack and stack[-1][1] == "{":
                expect_key = True
            continue
        if m.lastgroup == "punct" and tok in "}]":
            stack.pop()
            expect_key = False
            continue
        if expect_key:  # an object member's key
            key = json.loads(tok)
            frame = stack[-1]
            ptr = join_pointer(frame[0], key)
            if key in frame[4]:
                smap.duplicates.append((ptr, start))
            frame[4].add(key)
            frame[3] = ptr
            smap.offsets.setdefault(ptr, start)
            expect_key = False
            continue
        # A value: work out its pointer from the enclosing container.
        if not stack:
            ptr = ""
            if root_seen:
                break
            root_seen = True
            smap.offsets[ptr] = start
        elif stack[-1][1] == "[":
            frame = stack[-1]
            ptr = join_pointer(frame[0], frame[2])
            frame[2] += 1
            smap.offsets[ptr] = start
        else:
            ptr = stack[-1][3]
        if tok in "{[":
            stack.append([ptr, tok, 0, None, set()])
            expect_key = tok == "{"
            # An empty object "{}" must not treat "}" as a key.
            nxt = _TOKEN.match(text, pos)
            if nxt is not None and nxt.group(nxt.lastgroup or "str") in "}]":
                expect_key = False
    return smap


@dataclass
class JsonDocument:
    path: Path
    display: str  # path as shown to the user
    data: Any
    smap: SourceMap

    def problem(self, pointer: str, message: str, severity: str = "error") -> Problem:
        loc = self.smap.locate(pointer)
        line, col = loc if loc else (None, None)
        return Problem(self.display, pointer, message, line, col, severity)  # type: ignore[arg-type]


def _reject_constant(name: str) -> Any:
    msg = f"{name} is not valid JSON"
    raise ValueError(msg)


def _depth(value: Any) -> int:
    deepest = 0
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, dict):
            deepest = max(deepest, d)
            todo.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            deepest = max(deepest, d)
            todo.extend((x, d + 1) for x in v)
    return deepest


def read_text(path: Path, display: str, limit: int = MAX_FILE_BYTES) -> str | Problem:
    """The file's text as UTF-8, or one Problem saying why it cannot be read."""
    try:
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            return Problem(display, "", f"file {what}")
        size = path.stat().st_size
        if size > limit:
            return Problem(
                display, "", f"file is {size:,} bytes; input files are limited to {limit:,} bytes"
            )
        raw = path.read_bytes()
    except OSError as e:
        return Problem(display, "", f"cannot read file: {e.strerror or e}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        return Problem(display, "", f"not UTF-8 text (byte 0x{raw[e.start]:02x})", line, col)


def load_json(path: Path, display: str | None = None) -> JsonDocument | Problem:
    """Parse one JSON file. Floats become Decimal so prices stay exact."""
    shown = display if display is not None else str(path)
    text = read_text(path, shown)
    if isinstance(text, Problem):
        return text
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        return Problem(shown, "", f"invalid JSON: {e.msg}", e.lineno, e.colno)
    except RecursionError:
        return Problem(shown, "", f"JSON nests deeper than the limit of {MAX_DEPTH} levels")
    except ValueError as e:  # NaN / Infinity
        return Problem(shown, "", f"invalid JSON: {e}")
    if _depth(data) > MAX_DEPTH:
        return Problem(shown, "", f"JSON nests deeper than the limit of {MAX_DEPTH} levels")
    return JsonDocument(path, shown, data, scan(text))
