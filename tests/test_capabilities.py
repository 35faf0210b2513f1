"""One capability table: `require` imports through it, `doctor` prints it."""

from __future__ import annotations

import json

import pytest

from copyplate import capabilities
from copyplate.capabilities import CAPABILITIES, Capability, available, require
from copyplate.cli import main
from copyplate.errors import ExitCode, MissingCapability

HINT = "pip install 'copyplate[made-up]'"
MADE_UP = Capability(
    "made-up",
    "testing the registry",
    False,
    "copyplate[made-up]",
    HINT,
    module="copyplate_made_up_module",
    dist="copyplate-made-up",
)


@pytest.fixture
def made_up(monkeypatch: pytest.MonkeyPatch) -> Capability:
    monkeypatch.setitem(CAPABILITIES, MADE_UP.name, MADE_UP)
    return MADE_UP


def test_require_returns_the_module() -> None:
    import segno

    assert require("segno") is segno
    assert available("segno")


def test_require_of_a_missing_module_names_its_hint(made_up: Capability) -> None:
    with pytest.raises(MissingCapability) as e:
        require("made-up")
    message = str(e.value)
    assert message == (
        "copyplate-made-up is not installed; it is needed for testing the registry: " + HINT
    )
    assert e.value.exit_code == ExitCode.MISSING_CAPABILITY
    assert not available("made-up")


def test_a_module_that_breaks_on_import_says_so(
    made_up: Capability, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str) -> object:
        raise ImportError("libfoo.so.1: cannot open shared object file")

    monkeypatch.setattr(capabilities, "_version", lambda dist: "1.2")
    monkeypatch.setattr(capabilities.importlib, "import_module", broken)
    with pytest.raises(MissingCapability) as e:
        require("made-up")
    assert "copyplate-made-up 1.2 is installed but fails to import" in str(e.value)
    assert "libfoo.so.1" in str(e.value) and f"reinstall with: {HINT}" in str(e.value)


def test_unknown_and_non_module_names_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="unknown capability 'nope'"):
        require("nope")
    with pytest.raises(ValueError, match="not a Python module"):
        require("raqm")


def test_every_capability_says_how_to_get_it() -> None:
    for cap in CAPABILITIES.values():
        assert cap.provides and cap.hint and "\n" not in cap.hint, cap.name
        assert (cap.module is None) != (cap.probe is None), cap.name


def test_doctor_lists_every_registered_capability(
    made_up: Capability, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["doctor", "--json"])
    listed = [c["name"] for c in json.loads(capsys.readouterr().out)]
    assert listed == list(CAPABILITIES)
    main(["doctor"])
    out = capsys.readouterr().out
    for name in CAPABILITIES:
        assert f" {name} " in out, name
    assert f"  made-up: {HINT}" in out
