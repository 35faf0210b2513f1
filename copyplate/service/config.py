"""Where the service keeps its data, and whether it may listen where it was asked to."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from copyplate.errors import InputError

DATA_ENV = "COPYPLATE_SERVICE_DATA"
DB_ENV = "COPYPLATE_SERVICE_DB"


def data_dir(given: str | None) -> Path:
    """--data, else $COPYPLATE_SERVICE_DATA, else the user's data directory."""
    if given:
        return Path(given).expanduser().resolve()
    if env := os.environ.get(DATA_ENV):
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "copyplate" / "service"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool, has_tokens: bool) -> None:
    """Loopback by default; any other address only when asked for and with a token."""
    if is_loopback(host):
        return
    if not allow_remote:
        msg = f"--host {host}: not a loopback address; add --allow-remote to listen there"
        raise InputError(msg)
    if not has_tokens:
        msg = (
            f"--host {host}: create a token first (copyplate service token create "
            "--scopes read,submit,review): a service reachable from the network needs one"
        )
        raise InputError(msg)
