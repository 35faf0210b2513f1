"""Fuzzing the CLI with campaigns, copy decks and manifests (issue 13).

Every input goes through `copyplate.cli.main`, the same function the command runs, and
must give an exit code in {0, 1, 2, 3, 4}, no traceback, in bounded time and memory.

CI runs a bounded number of examples (about a minute in all). A longer run:

    COPYPLATE_FUZZ=long .venv/bin/python -m pytest tests/test_fuzz_cli.py -n 2 -q

(`long` = 2,000 examples per target, no time limit; COPYPLATE_FUZZ_EXAMPLES=N sets N.)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from copyplate.cli import main
from tests.conftest import SAMPLES

LONG = os.environ.get("COPYPLATE_FUZZ") == "long"
EXAMPLES = int(os.environ.get("COPYPLATE_FUZZ_EXAMPLES", "2000" if LONG else "100"))
# Per input: a hang or a runaway allocation is a failure, not a slow test.
MAX_SECONDS = 30.0
MAX_RSS_GROWTH_MB = 1500
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
ALLOWED = {0, 1, 2, 3, 4}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["1080", "1E-999999999", "#zzz", "\x00", "../../etc/passwd", "(a+)+"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cli(*args: str) -> tuple[int, str]:
    """Run the command in this process; its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    rss0, t0 = _rss_mb(), time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse
            code = int(e.code or 0)
    seconds = time.monotonic() - t0
    text = out.getvalue() + err.getvalue()
    assert code in ALLOWED, (code, text[-2000:])
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]
    assert seconds < MAX_SECONDS, (seconds, args)
    assert _rss_mb() - rss0 < MAX_RSS_GROWTH_MB
    return code, text


def _mutate(doc: Any, path: list[str | int], value: Any) -> Any:
    """`doc` with the value at `path` (as far as it exists) replaced by `value`."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict) and isinstance(head, str) and head in doc:
        return {**doc, head: _mutate(doc[head], rest, value)}
    if isinstance(doc, list) and isinstance(head, int) and doc:
        i = head % len(doc)
        return [*doc[:i], _mutate(doc[i], rest, value), *doc[i + 1 :]]
    return value


def _paths(doc: Any, prefix: list[str | int] | None = None) -> list[list[str | int]]:
    prefix = prefix or []
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, [*prefix, k])
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _paths(v, [*prefix, i])
    return out


CAMPAIGN = json.loads((SAMPLES / "spring-sale" / "campaign.json").read_text(encoding="utf-8"))
CAMPAIGN_PATHS = _paths(CAMPAIGN)


@pytest.fixture(scope="module")
def campaign_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz-campaign")
    shutil.copytree(SAMPLES / "spring-sale", d, dirs_exist_ok=True)
    return d


@FUZZ
@given(where=st.sampled_from(CAMPAIGN_PATHS), value=json_values)
def test_fuzzed_campaigns_check_and_plan_cleanly(
    campaign_dir: Path, where: list[str | int], value: Any
) -> None:
    f = campaign_dir / "campaign.json"
    f.write_text(json.dumps(_mutate(CAMPAIGN, where, value)), encoding="utf-8")
    cli("check", str(f))
    cli("plan", str(f), "--locales", "en-US")


DECK = (SAMPLES / "spring-sale" / "copy" / "strings.csv").read_text(encoding="utf-8")
deck_text = st.one_of(
    st.text(max_size=400),
    st.builds(
        lambda cut, junk: DECK[:cut] + junk + DECK[cut:],
        st.integers(0, len(DECK)),
        st.text(alphabet=st.sampled_from(',"\n\r\x00;€ EUR1.9'), max_size=30),
    ),
)


@FUZZ
@given(text=deck_text)
def test_fuzzed_copy_decks_check_cleanly(campaign_dir: Path, text: str) -> None:
    (campaign_dir / "copy" / "strings.csv").write_text(text, encoding="utf-8")
    try:
        cli("check", str(campaign_dir / "campaign.json"))
    finally:
        (campaign_dir / "copy" / "strings.csv").write_text(DECK, encoding="utf-8")


MANIFEST: dict[str, Any] = {
    "image": "a.png",
    "locale": "en-US",
    "regions": [
        {"id": "t", "kind": "text", "box": [10, 10, 200, 60], "text": "Sale 30%"},
        {
            "id": "p",
            "kind": "price",
            "box": [10, 80, 120, 40],
            "text": "$9.99",
            "amount": "9.99",
            "currency": "USD",
        },
        {"id": "q", "kind": "qr", "box": [220, 10, 90, 90], "payload": "https://x.example"},
    ],
}
MANIFEST_PATHS = _paths(MANIFEST)


@pytest.fixture(scope="module")
def manifest_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz-manifest")
    Image.new("RGB", (320, 140), "#F4F0E8").save(d / "a.png")
    return d


@settings(FUZZ, max_examples=max(10, EXAMPLES // 2))
@given(where=st.sampled_from(MANIFEST_PATHS), value=json_values)
def test_fuzzed_manifests_verify_cleanly(
    manifest_dir: Path, where: list[str | int], value: Any
) -> None:
    f = manifest_dir / "m.json"
    f.write_text(json.dumps(_mutate(MANIFEST, where, value)), encoding="utf-8")
    code, _ = cli("verify", str(f), "--json")
    assert code in (0, 1, 2)
