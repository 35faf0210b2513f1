"""What a locale tag means for layout: script, direction, digits, and CLDR price formatting."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision, list_currencies

# Decimal numbering systems whose ten digits are contiguous code points: zero's code point.
# (CLDR `numberingSystems.xml`; the ones a marketing campaign plausibly asks for.)
DIGIT_ZERO: dict[str, int] = {
    "latn": 0x30,
    "arab": 0x660,
    "arabext": 0x6F0,
    "beng": 0x9E6,
    "deva": 0x966,
    "gujr": 0xAE6,
    "guru": 0xA66,
    "khmr": 0x17E0,
    "knda": 0xCE6,
    "laoo": 0xED0,
    "mlym": 0xD66,
    "mymr": 0x1040,
    "orya": 0xB66,
    "tamldec": 0xBE6,
    "telu": 0xC66,
    "thai": 0xE50,
    "tibt": 0xF20,
}


class LocaleProblem(ValueError):
    """A locale tag or numbering system copyplate cannot use; the message says why."""


def decimal_places(amount: Decimal) -> int:
    """Significant decimal places of `amount` ("19.90" -> 1, "1E-9" -> 9), exactly: not
    through Decimal.normalize(), which rounds in the current context ("1E-999999999" -> 0)."""
    if not amount.is_finite():
        msg = f"amount {amount} is not a finite number"
        raise LocaleProblem(msg)
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    if not any(digits):
        return 0
    trailing, n = 0, len(digits)
    while n > 1 and digits[n - 1] == 0:
        n -= 1
        trailing += 1
    return max(0, -(exponent + trailing))


@dataclass(frozen=True)
class LocaleInfo:
    tag: str  # BCP 47 as written in the campaign, e.g. "ar-SA"
    babel: Locale
    script: str  # ISO 15924, e.g. "Arab", "Jpan", "Hans"
    direction: str  # "ltr" or "rtl"
    numbering_system: str

    def digits(self, text: str) -> str:
        """ASCII digits in `text` rewritten in this locale's numbering system."""
        zero = DIGIT_ZERO[self.numbering_system]
        if zero == 0x30:
            return text
        return text.translate({0x30 + i: zero + i for i in range(10)})

    def format_price(self, amount: Decimal, currency: str) -> str:
        """The price as CLDR formats it for this locale, digits included.

        Babel swaps separators for the numbering system but leaves ASCII digits, so the
        digits are mapped here from CLDR's numbering-system data. An amount more precise
        than the currency is refused: Babel would round it, and a price is never rounded.
        """
        places, allowed = decimal_places(amount), currency_digits(currency)
        if places > allowed:
            msg = f"{currency} prices have {allowed} decimal places; {amount} has {places}"
            raise LocaleProblem(msg)
        text = format_currency(
            amount, currency, locale=self.babel, numbering_system=self.numbering_system
        )
        return self.digits(text)


@functools.lru_cache(maxsize=256)
def locale_info(tag: str, numbering_system: str | None = None) -> LocaleInfo:
    """Parse a BCP 47 tag ("pt-BR"); raise LocaleProblem with a plain message if unusable."""
    if not tag or "_" in tag:
        msg = f"locale {tag!r} is not a BCP 47 tag such as 'pt-BR'"
        raise LocaleProblem(msg)
    try:
        loc = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        msg = f"unknown locale {tag!r}: CLDR has no data for it"
        raise LocaleProblem(msg) from None
    script = loc.script
    if script is None:
        likely = get_global("likely_subtags")
        full = likely.get(f"{loc.language}_{loc.territory}") or likely.get(loc.language, "")
        parts = full.split("_")
        script = parts[1] if len(parts) > 1 else "Latn"
    direction = "rtl" if loc.character_order == "right-to-left" else "ltr"
    ns = numbering_system or loc.default_numbering_system
    if ns not in DIGIT_ZERO:
        msg = f"numbering system {ns!r} is not supported (supported: {', '.join(DIGIT_ZERO)})"
        raise LocaleProblem(msg)
    return LocaleInfo(tag, loc, script, direction, ns)


@functools.lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_digits(code: str) -> int:
    return int(get_currency_precision(code))
