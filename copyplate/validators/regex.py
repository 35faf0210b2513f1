"""`regex`: the copy matches its pattern, and prices are formatted exactly as CLDR says."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar

from copyplate.findings import Finding
from copyplate.layouts.locales import DIGIT_ZERO, LocaleProblem, locale_info
from copyplate.patterns import PatternError, fullmatch
from copyplate.textlayout import BIDI_CONTROLS
from copyplate.validators.base import COPY_KINDS, AssetView, RegionSpec, validators


def _plain(text: str) -> str:
    return "".join(c for c in text if c not in BIDI_CONTROLS)


def cldr_prices(locale: str, amount: Decimal, currency: str) -> dict[str, str]:
    """Acceptable renderings: CLDR's format in the locale's default numbering system, its
    native one and Latin digits. A campaign may set the native digits where CLDR's default
    is Latin (Arabic-Indic digits in ar-AE, whose default is latn): copyplate then sets
    CLDR's format in those digits, and that is no wrong price."""
    out: dict[str, str] = {}
    native = locale_info(locale).babel.other_numbering_systems.get("native")
    for ns in (None, "latn", native if native in DIGIT_ZERO else None):
        info = locale_info(locale, ns)
        out[info.numbering_system] = info.format_price(amount, currency)
    return out


def describe_price_difference(got: str, want: str) -> str:
    """Say what is wrong with a price in words a reviewer can act on."""
    g, w = _plain(got), _plain(want)
    reasons = []

    def digits(s: str) -> str:
        return "".join(str(int(c)) for c in s if c.isdigit())

    def symbols(s: str) -> set[str]:
        return {c for c in s if not c.isdigit() and not c.isspace() and c not in ".,٫٬'’ "}

    def seps(s: str) -> list[str]:
        return [c for c in s if c in ".,٫٬'’ \u00a0\u202f"]

    if digits(g) != digits(w):
        reasons.append(f"digits {digits(g)} instead of {digits(w)}")
    if symbols(g) != symbols(w):
        reasons.append(
            f"symbols {''.join(sorted(symbols(g)))!r} instead of {''.join(sorted(symbols(w)))!r}"
        )
    if seps(g) != seps(w):
        reasons.append("separators or spacing differ")
    zero_g = {ord(c) - int(c) for c in g if c.isdigit()}
    zero_w = {ord(c) - int(c) for c in w if c.isdigit()}
    if zero_g != zero_w:
        names = {z: n for n, z in DIGIT_ZERO.items()}
        reasons.append(
            f"digits in {', '.join(names.get(z, hex(z)) for z in zero_g)} "
            f"instead of {', '.join(names.get(z, hex(z)) for z in zero_w)}"
        )

    def symbol_first(s: str) -> bool | None:
        sym = [i for i, c in enumerate(s) if c in symbols(s)]
        num = [i for i, c in enumerate(s) if c.isdigit()]
        return (sym[0] < num[0]) if sym and num else None

    if symbol_first(g) != symbol_first(w):
        where = {True: "before", False: "after", None: "missing"}
        reasons.append(
            f"symbol {where[symbol_first(g)]} the amount, CLDR puts it {where[symbol_first(w)]}"
        )
    if not reasons and g.split() != w.split():
        reasons.append("symbol placement differs")
    return "; ".join(reasons) or "formatting differs"


@validators.register("regex")
class RegexValidator:
    check: ClassVar[str] = "regex"
    kinds: ClassVar[tuple[str, ...]] = COPY_KINDS

    def validate(self, asset: AssetView, region: RegionSpec) -> list[Finding]:
        out: list[Finding] = []
        pattern = region.m.pattern
        if pattern:
            try:
                ok = fullmatch(pattern, region.text)
                msg = "copy matches the pattern" if ok else f"copy does not match {pattern!r}"
            except PatternError as e:
                ok, msg = False, str(e)
            out.append(
                Finding(
                    "regex.pattern",
                    region.id,
                    ok,
                    msg,
                    measured=region.text,
                    expected=pattern,
                    action="none" if ok else "fail",
                )
            )
        if region.kind == "price":
            out.append(self._price(region))
        return out

    def _price(self, region: RegionSpec) -> Finding:
        try:
            amount = Decimal(str(region.m.amount))
            wanted = cldr_prices(region.locale, amount, str(region.m.currency))
        except (InvalidOperation, LocaleProblem) as e:
            return Finding(
                "regex.price", region.id, False, f"price cannot be checked: {e}", action="fail"
            )
        got = _plain(region.text)
        for ns, text in wanted.items():
            if got == _plain(text):
                return Finding(
                    "regex.price",
                    region.id,
                    True,
                    f"CLDR {region.locale} format ({ns} digits)",
                    measured=region.text,
                    expected=text,
                )
        default = next(iter(wanted.values()))
        return Finding(
            "regex.price",
            region.id,
            False,
            f"price {region.text!r} is not CLDR's {region.locale} format {default!r}: "
            f"{describe_price_difference(region.text, default)}",
            measured=region.text,
            expected=list(wanted.values()),
            bbox=region.box.as_list(),
            action="fail",
        )
