"""GS1 check digits (EAN-13, UPC-A): shared by the campaign check, the barcode renderer and
its validator, so the three cannot disagree."""

from __future__ import annotations

import re


def gtin_check_digit(body: str) -> int:
    """GS1 check digit for the digits before it (EAN-13: 12 digits, UPC-A: 11)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def barcode_problem(symbology: str, digits: str) -> str | None:
    want = 13 if symbology == "ean13" else 12
    if not re.fullmatch(r"[0-9]+", digits) or len(digits) != want:
        return f"{symbology} needs exactly {want} digits (got {digits!r})"
    check = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != check:
        return f"{symbology} check digit of {digits!r} is wrong: it should end in {check}"
    return None
