"""Read the LSTM unicharset and recoder of a .traineddata file (no tesseract needed).

Tesseract's raw per-timestep LSTM choices (lstm_choice_mode=1) label network output
index i with unicharset.id_to_unichar(i + 2) (0 -> space, last two -> ""), which is only
right when the model does not recode (Latin, Cyrillic, Greek). For recoded models (ara,
heb, hin, tha, jpn, chi_sim, kor) we need the recoder: unichar id -> code sequence, where
codes ARE the network output indices. This module parses both tables.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass, field
from pathlib import Path

LSTM_UNICHARSET = 21
LSTM_RECODER = 22


def _components(path: Path) -> dict[int, bytes]:
    data = path.read_bytes()
    (n,) = struct.unpack_from("<I", data, 0)
    offs = struct.unpack_from(f"<{n}q", data, 4)
    out: dict[int, bytes] = {}
    for i, o in enumerate(offs):
        if o < 0:
            continue
        nxt = [x for x in offs[i + 1 :] if x >= 0]
        end = nxt[0] if nxt else len(data)
        out[i] = data[o:end]
    return out


def _unicharset(raw: bytes) -> list[str]:
    lines = raw.decode("utf-8").split("\n")
    n = int(lines[0])
    out = []
    for line in lines[1 : n + 1]:
        s = line.split(" ", 1)[0]
        out.append(" " if s == "NULL" else s)
    return out


def _recoder(raw: bytes) -> list[tuple[int, ...]]:
    (n,) = struct.unpack_from("<I", raw, 0)
    pos = 4
    codes = []
    for _ in range(n):
        _selfnorm, length = struct.unpack_from("<bi", raw, pos)
        pos += 5
        codes.append(struct.unpack_from(f"<{length}i", raw, pos))
        pos += 4 * length
    return codes


@dataclass
class LstmTables:
    unichars: list[str]
    codes: list[tuple[int, ...]]  # unichar id -> network output indices
    num_outputs: int
    null: int
    str_to_id: dict[str, int] = field(default_factory=dict)
    max_len: int = 1

    def raw_label_to_index(self, s: str) -> int | None:
        """Undo tesseract's id_to_unichar(i+2) labelling of raw timestep choices."""
        if s == "":
            return None  # ambiguous: output index num_outputs-2 or -1
        if s == " ":
            return 0
        uid = self.str_to_id.get(s)
        return None if uid is None else uid - 2

    def encode(self, text: str) -> list[list[int]] | None:
        """Greedy longest-match, like UNICHARSET::encode_string(greedy=true): text -> unichar
        code sequences. None if some part of text is not in the unicharset."""
        out = []
        i = 0
        while i < len(text):
            for L in range(min(self.max_len, len(text) - i), 0, -1):
                uid = self.str_to_id.get(text[i : i + L])
                if uid is not None and uid > 2:
                    out.append(list(self.codes[uid]))
                    i += L
                    break
                if uid == 0 and L == 1:
                    out.append(list(self.codes[0]))
                    i += 1
                    break
            else:
                return None
        return out


@functools.lru_cache(maxsize=32)
def load(traineddata: str) -> LstmTables:
    comps = _components(Path(traineddata))
    uni = _unicharset(comps[LSTM_UNICHARSET])
    codes = _recoder(comps[LSTM_RECODER])
    num_outputs = max(c for cs in codes for c in cs) + 1
    has_special = len(uni) > 2 and uni[1] == "Joined"
    null = codes[2][0] if has_special else codes[len(uni) - 1][0]
    t = LstmTables(uni, codes, num_outputs, null)
    t.str_to_id = {s: i for i, s in enumerate(uni)}
    t.max_len = max(len(s) for s in uni)
    return t


if __name__ == "__main__":
    import sys

    for lang in sys.argv[1:]:
        t = load(f"/usr/share/tesseract-ocr/5/tessdata/{lang}.traineddata")
        recoded = any(len(c) > 1 for c in t.codes) or any(
            c[0] != max(i - 2, 0) for i, c in enumerate(t.codes[3:], 3)
        )
        print(lang, "unichars", len(t.unichars), "outputs", t.num_outputs, "null", t.null,
              "recoded", recoded, "max codes/unichar", max(len(c) for c in t.codes))
