"""Where the service listens and keeps its data; `copyplate service token create`."""

from __future__ import annotations

from pathlib import Path

import pytest

from copyplate.errors import InputError
from copyplate.service.config import check_bind, data_dir
from copyplate.service.store import Store, default_url
from tests.conftest import run_cli


def test_loopback_by_default_elsewhere_only_when_asked_and_with_a_token() -> None:
    check_bind("127.0.0.1", False, False)
    check_bind("::1", False, False)
    with pytest.raises(InputError, match="--allow-remote"):
        check_bind("0.0.0.0", False, True)
    with pytest.raises(InputError, match="create a token first"):
        check_bind("0.0.0.0", True, False)
    check_bind("0.0.0.0", True, True)


def test_data_dir_from_flag_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPYPLATE_SERVICE_DATA", str(tmp_path / "env"))
    assert data_dir(None) == tmp_path / "env"
    assert data_dir(str(tmp_path / "flag")) == tmp_path / "flag"


def test_token_create_prints_the_token_last_and_stores_its_hash(tmp_path: Path) -> None:
    r = run_cli("service", "token", "create", "--data", str(tmp_path), "--scopes", "read,review")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    store = Store(default_url(tmp_path))
    assert store.token_scopes(token) is not None
    assert store.token_scopes(token)[1] == ["read", "review"]  # type: ignore[index]
    assert token.encode() not in (tmp_path / "service.sqlite").read_bytes()
    bad = run_cli("service", "token", "create", "--data", str(tmp_path), "--scopes", "admin")
    assert bad.returncode == 2 and "read, submit, review" in bad.stderr
    remote = run_cli("service", "--data", str(tmp_path / "x"), "--host", "0.0.0.0")
    assert remote.returncode == 2 and "--allow-remote" in remote.stderr
