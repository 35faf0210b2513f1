"""What OCR and expected copy are compared on: meaning kept, reader noise removed.

A leaf of the validators: `ocr` compares readings with it, `align` groups a recogniser's
characters by it (a digit in any script, an apostrophe of any shape)."""

from __future__ import annotations

import unicodedata

from copyplate.textlayout import BIDI_CONTROLS

_SAME = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "´": "'",
        "ʼ": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "−": "-",
        "٪": "%",
        "\u0e33": "\u0e4d\u0e32",  # Thai SARA AM as NIKHAHIT + SARA AA: OCR splits it
    }
)


# Arabic vowel signs (harakat, shadda, tanwin), the dagger alef and tatweel, and Hebrew
# points: optional in the script, drawn as small marks no reader here sees reliably. They
# are not verified by reading (a missing shadda passes); the letters around them are.
POINTS = frozenset([*range(0x064B, 0x0660), 0x0670, 0x0640, *range(0x0591, 0x05C8)]) - {
    0x05BE,  # maqaf, a hyphen
    0x05C0,  # paseq
    0x05C3,  # sof pasuq
    0x05C6,  # nun hafukha
}


_GREEK_ABOVE = frozenset("\u0300\u0301\u0313\u0314\u0342")  # accents and breathings


def _monotonic(ch: str) -> str:
    """A polytonic Greek letter as modern (monotonic) copy writes it: any accent or
    breathing above a vowel is the one tonos. Readers trained on polytonic text read a
    tonos as a breathing (ἑ for έ); modern copy never has breathings, so this confuses
    nothing, while a missing accent or one on another letter still differs."""
    if not 0x1F00 <= ord(ch) <= 0x1FFF:
        return ch
    parts = unicodedata.normalize("NFD", ch)
    base = "".join(c for c in parts if c not in _GREEK_ABOVE)
    if len(base) == len(parts):
        return ch
    return unicodedata.normalize("NFC", base[0] + "\u0301" + base[1:])


def normalise(text: str) -> str:
    """What OCR and copy are compared on: meaning kept, reader noise removed."""
    text = unicodedata.normalize("NFKC", "".join(_monotonic(c) for c in text))
    out = []
    for ch in text.translate(_SAME):
        if ch in BIDI_CONTROLS or ch.isspace() or ord(ch) in POINTS:
            continue
        d = unicodedata.decimal(ch, None)
        out.append(str(d) if d is not None else ch)
    return "".join(out)
