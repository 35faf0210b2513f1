"""User regular expressions (a region's `pattern`), matched in linear time.

A pattern comes from a campaign or a manifest, i.e. from anyone. Python's `re` backtracks:
`(a+)+` against `"a" * 40 + "!"` runs for hours. RE2 (google-re2) guarantees time linear
in the input, so every user pattern goes through it. The price is RE2's syntax: no
backreferences and no lookaround; such a pattern is refused with a message saying so.
Python's `re` stays for copyplate's own, fixed patterns.
"""

from __future__ import annotations

import functools
from typing import Any

import re2

# RE2 logs every rejected pattern to stderr through absl unless told not to.
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
# RE2's own bound on the compiled program (bytes): a pattern like `(a{1000}){1000}` is
# refused instead of compiled.
_OPTIONS.max_mem = 8 << 20


class PatternError(ValueError):
    """A user pattern RE2 does not accept."""


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """The compiled pattern, or PatternError naming the pattern and why RE2 refuses it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as e:
        detail = (
            e.args[0].decode("utf-8", "replace")
            if e.args and isinstance(e.args[0], bytes)
            else str(e)
        )
        msg = (
            f"pattern {pattern!r} is not a valid RE2 regular expression ({detail}); "
            "expected RE2 syntax (no backreferences or lookaround)"
        )
        raise PatternError(msg) from None


def fullmatch(pattern: str, text: str) -> bool:
    """True when `text` matches `pattern` in full; time linear in len(text)."""
    return compile_pattern(pattern).fullmatch(text) is not None
