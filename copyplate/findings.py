"""A Finding is data, shaped like pydantic's errors: what was checked, where, and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Action = Literal["none", "retypeset", "inpaint_plate", "fallback", "fail"]


@dataclass(frozen=True)
class Finding:
    check: str  # dotted, family first: "glyphs.missing", "geometry.fit", "qr.module_size"
    region: str
    passed: bool
    message: str
    measured: Any = None
    expected: Any = None
    bbox: list[int] | None = None
    action: Action = "none"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["extra"]:
            del d["extra"]
        return d
