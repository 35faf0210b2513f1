"""Writing output files so that no reader, and no crash, ever sees half a file."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

# Every temp file copyplate makes carries this marker, so that cleaning up after a killed
# run removes only copyplate's own files, never a user's `.notes.tmp` beside them.
TEMP_MARK = ".copyplate-"
TEMP_SUFFIX = ".tmp"

_umask_lock = threading.Lock()


def cache_dir(kind: str) -> Path:
    """copyplate's cache folder for `kind` (plates, models, coverage): under
    $XDG_CACHE_HOME, else ~/.cache. Each cache only saves time."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "copyplate" / kind


def current_umask() -> int:
    """The process umask. Linux shows it in /proc (no race); elsewhere it is read by
    setting and restoring it, under a lock so that threads of this module agree."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def is_temp_name(name: str) -> bool:
    """True for the names write_atomic gives its temporary files."""
    return name.startswith(".") and TEMP_MARK in name and name.endswith(TEMP_SUFFIX)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name in the same folder, fsync, then rename over `path`.

    mkstemp creates its file 0600; the result gets the mode any other new file would
    (0666 less the umask), so a team share or a web server can read the output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}{TEMP_MARK}", suffix=TEMP_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~current_umask())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
