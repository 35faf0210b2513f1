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
        # Greek vowels with varia (polytonic grave) as the monotonic tonos Greek copy uses:
        # readers trained on polytonic text take the one accent for the other.
        "\u1f70": "\u03ac",
        "\u1f72": "\u03ad",
        "\u1f74": "\u03ae",
        "\u1f76": "\u03af",
        "\u1f78": "\u03cc",
        "\u1f7a": "\u03cd",
        "\u1f7c": "\u03ce",
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


def normalise(text: str) -> str:
    """What OCR and copy are compared on: meaning kept, reader noise removed."""
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text.translate(_SAME):
        if ch in BIDI_CONTROLS or ch.isspace() or ord(ch) in POINTS:
            continue
        d = unicodedata.decimal(ch, None)
        out.append(str(d) if d is not None else ch)
    return "".join(out)
