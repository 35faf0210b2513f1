"""Copy decks: inline in the campaign, per-locale JSON files, or shared CSV / JSON files.

Every entry remembers where it was written, so a problem with a piece of copy (a missing
glyph, a pattern it does not match) is reported at that file and line, not at the region.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from copyplate.errors import Problem
from copyplate.layouts.jsonsource import JsonDocument, join_pointer, load_json, read_text
from copyplate.layouts.models import CopyValue, Price
from copyplate.layouts.sources import safe_path, validation_problems

MAX_COPY_CHARS = 10_000
_ENTRIES: TypeAdapter[dict[str, CopyValue]] = TypeAdapter(dict[str, CopyValue])


@dataclass(frozen=True)
class Origin:
    """Where a piece of copy was written."""

    file: str
    pointer: str
    line: int | None = None
    column: int | None = None

    def problem(self, message: str, severity: str = "error", code: str = "") -> Problem:
        return Problem(
            self.file,
            self.pointer,
            message,
            self.line,
            self.column,
            severity,  # type: ignore[arg-type]
            code,
        )


@dataclass(frozen=True)
class CopyEntry:
    locale: str
    key: str
    value: str | Price
    origin: Origin


def _origin(doc: JsonDocument, pointer: str) -> Origin:
    loc = doc.smap.locate(pointer)
    return Origin(doc.display, pointer, *(loc or (None, None)))


def entries_from_json_map(
    doc: JsonDocument, data: Any, locale: str, base: str
) -> tuple[list[CopyEntry], list[Problem]]:
    """Validate a {key: value} mapping found at `base` in `doc`."""
    from copyplate.layouts.models import CopyKey

    try:
        values = _ENTRIES.validate_python(data)
    except ValidationError as e:
        return [], validation_problems(doc, e, data, base)
    problems: list[Problem] = []
    key_check: TypeAdapter[str] = TypeAdapter(CopyKey)
    out = []
    for key, value in values.items():
        ptr = join_pointer(base, key)
        try:
            key_check.validate_python(key)
        except ValidationError:
            problems.append(doc.problem(ptr, f"copy key {key!r} must match ^[a-z][a-z0-9_.-]*$"))
            continue
        out.append(CopyEntry(locale, key, value, _origin(doc, ptr)))
    return out, problems


def read_locale_deck(
    root: Path, rel: str, locale: str, display_root: str
) -> tuple[list[CopyEntry], list[Problem]]:
    """A per-locale JSON deck: {"headline": "...", "price": {"amount": "9.99", ...}}."""
    target = safe_path(root, rel)
    shown = f"{display_root}/{rel}" if display_root else rel
    if isinstance(target, str):
        return [], [Problem(shown, "", target)]
    doc = load_json(target, shown)
    if isinstance(doc, Problem):
        return [], [doc]
    if not isinstance(doc.data, dict):
        return [], [doc.problem("", "a locale deck must be a JSON object {key: copy}")]
    entries, problems = entries_from_json_map(doc, doc.data, locale, "")
    return entries, duplicate_problems(doc) + problems


def duplicate_problems(doc: JsonDocument) -> list[Problem]:
    return [doc.problem(ptr, "key appears twice in this object") for ptr, _ in doc.smap.duplicates]


def read_shared_json(doc: JsonDocument, locales: set[str]) -> tuple[list[CopyEntry], list[Problem]]:
    """A shared JSON deck: {"de-DE": {"headline": "..."}, ...}."""
    if not isinstance(doc.data, dict):
        return [], [doc.problem("", "a shared deck must be a JSON object {locale: {key: copy}}")]
    entries: list[CopyEntry] = []
    problems: list[Problem] = []
    for loc, mapping in doc.data.items():
        ptr = join_pointer("", loc)
        if loc not in locales:
            problems.append(doc.problem(ptr, f"locale {loc!r} is not declared in the campaign"))
            continue
        if not isinstance(mapping, dict):
            problems.append(doc.problem(ptr, "expected an object {key: copy}"))
            continue
        e, p = entries_from_json_map(doc, mapping, loc, ptr)
        entries += e
        problems += p
    return entries, problems


def _parse_price(cell: str) -> Price | str:
    parts = cell.strip().split()
    if len(parts) != 2:
        return f"price {cell!r} must be written '<amount> <ISO 4217 code>', e.g. '19.99 EUR'"
    try:
        return Price(amount=Decimal(parts[0]), currency=parts[1])
    except (InvalidOperation, ValidationError):
        return f"price {cell!r} must be written '<amount> <ISO 4217 code>', e.g. '19.99 EUR'"


def read_shared_csv(
    path: Path, shown: str, locales: set[str]
) -> tuple[list[CopyEntry], list[Problem]]:
    """A translation-sheet CSV: columns `key`, optional `type` (text|price), then locales."""
    text = read_text(path, shown)
    if isinstance(text, Problem):
        return [], [text]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    entries: list[CopyEntry] = []
    try:
        header = next(reader, None)
        if not header or header[0].strip() != "key":
            return [], [Problem(shown, "", "the first CSV column must be named 'key'", 1, 1)]
        cols = [h.strip() for h in header]
        type_col = cols.index("type") if "type" in cols else None
        loc_cols: dict[int, str] = {}
        for i, name in enumerate(cols[1:], start=1):
            if i == type_col:
                continue
            if name not in locales:
                problems.append(
                    Problem(shown, "", f"column {name!r} is not a locale of the campaign", 1, i + 1)
                )
            else:
                loc_cols[i] = name
        seen: set[str] = set()
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(cols):
                problems.append(
                    Problem(shown, "", f"row has {len(row)} cells, header has {len(cols)}", line)
                )
                continue
            key = row[0].strip()
            if key in seen:
                problems.append(Problem(shown, "", f"key {key!r} appears twice", line, 1))
                continue
            seen.add(key)
            kind = row[type_col].strip() if type_col is not None else "text"
            if kind not in ("text", "price"):
                problems.append(
                    Problem(shown, "", f"type must be 'text' or 'price' (got {kind!r})", line)
                )
                continue
            for i, loc in loc_cols.items():
                cell = row[i]
                if not cell.strip():
                    continue  # not translated for this locale: reported later if it is used
                origin = Origin(shown, "", line, i + 1)
                value: str | Price
                if kind == "price":
                    parsed = _parse_price(cell)
                    if isinstance(parsed, str):
                        problems.append(origin.problem(parsed))
                        continue
                    value = parsed
                elif len(cell) > MAX_COPY_CHARS:
                    problems.append(
                        origin.problem(f"copy is {len(cell):,} characters; the limit is 10,000")
                    )
                    continue
                else:
                    value = cell
                entries.append(CopyEntry(loc, key, value, origin))
    except csv.Error as e:
        problems.append(Problem(shown, "", f"malformed CSV: {e}", reader.line_num))
    return entries, problems
