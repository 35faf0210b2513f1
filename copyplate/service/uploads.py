"""Uploads: a multipart body read as a stream into the data folder, an archive unpacked with
limits, and the campaign checked by the same code as `copyplate check`.

Nothing from an upload is executed or followed: archive members are plain files and folders
only (links, devices and absolute or `..` names are refused), and every byte is counted as
it is written, so a header that lies about a member's size changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from copyplate.capabilities import require
from copyplate.errors import InputError, Problem


class Refused(InputError):
    """An upload or request the service refuses; `status` is its HTTP status."""

    def __init__(self, status: int, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problems = problems or []


@dataclass(frozen=True)
class Limits:
    body: int = 64 * 1024 * 1024  # the whole multipart body
    unpacked: int = 256 * 1024 * 1024  # every member of an archive together
    entries: int = 2000  # members of an archive
    ratio: int = 200  # unpacked / packed size of one member: more is a bomb, not a campaign


CHUNK = 64 * 1024


async def receive_file(
    chunks: AsyncIterator[bytes],
    content_type: str,
    content_length: str | None,
    dest: Path,
    limits: Limits,
) -> tuple[Path, str]:
    """The multipart field `file` of a request body, written to `dest` (a new file) as it
    arrives: (path, the client's file name). The body is never held in memory whole."""
    mp = require("python_multipart")
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser

    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise Refused(400, f"Content-Length {content_length!r} is not a number") from None
        if declared > limits.body:
            raise Refused(
                413, f"upload of {declared:,} bytes is over the limit of {limits.body:,} bytes"
            )
    ctype, params = mp.multipart.parse_options_header(content_type)
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise Refused(415, "send the campaign as multipart/form-data with a field 'file'")

    state: dict[str, Any] = {"field": b"", "value": b"", "headers": {}, "out": None}
    found: dict[str, Any] = {}
    written = [0]
    ended = [False]

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].lower()] = state["value"]
        state["field"] = state["value"] = b""

    def on_headers_finished() -> None:
        disp = state["headers"].get(b"content-disposition", b"")
        _, p = mp.multipart.parse_options_header(disp)
        if p.get(b"name") == b"file" and "name" not in found:
            found["name"] = p.get(b"filename", b"upload").decode("utf-8", "replace")
            state["out"] = dest.open("wb")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        out: IO[bytes] | None = state["out"]
        if out is not None:
            written[0] += end - start
            out.write(data[start:end])

    def on_part_end() -> None:
        if state["out"] is not None:
            state["out"].close()
            state["out"] = None
        state["headers"] = {}

    def on_end() -> None:
        ended[0] = True

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": on_end,
        },
    )
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > limits.body:
                raise Refused(413, f"upload is over the limit of {limits.body:,} bytes")
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as e:
        raise Refused(400, f"malformed multipart body: {e}") from None
    finally:
        if state["out"] is not None:
            state["out"].close()
    if not ended[0]:
        raise Refused(400, "malformed multipart body: it ends before its closing boundary")
    if "name" not in found:
        raise Refused(400, "the multipart body has no field 'file'")
    if written[0] == 0:
        raise Refused(400, "the uploaded file is empty")
    return dest, str(found["name"])


def _member_name(name: str) -> PurePosixPath:
    if "\x00" in name or "\\" in name:
        raise Refused(422, f"archive member {name!r}: a NUL or backslash in its name")
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        raise Refused(422, f"archive member {name!r} would be written outside the campaign folder")
    return p


def _copy(
    src: IO[bytes], target: Path, budget: list[int], name: str, packed: int, lim: Limits
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with target.open("xb") as out:
        while block := src.read(CHUNK):
            n += len(block)
            budget[0] -= len(block)
            if budget[0] < 0:
                msg = f"archive unpacks to more than {lim.unpacked:,} bytes (at {name!r})"
                raise Refused(413, msg)
            if n > 1024 * 1024 and n > lim.ratio * max(packed, 1):
                msg = f"archive member {name!r} expands over {lim.ratio}:1: refused as a zip bomb"
                raise Refused(413, msg)
            out.write(block)


def _unzip(archive: Path, dest: Path, lim: Limits) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise Refused(422, f"not a readable zip archive: {e}") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > lim.entries:
            raise Refused(413, f"archive has {len(infos):,} members (limit {lim.entries:,})")
        declared = sum(i.file_size for i in infos)
        if declared > lim.unpacked:
            raise Refused(413, f"archive unpacks to {declared:,} bytes (limit {lim.unpacked:,})")
        budget = [lim.unpacked]
        for info in infos:
            rel = _member_name(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise Refused(422, f"archive member {info.filename!r} is a symbolic link: refused")
            if info.is_dir():
                (dest / rel).mkdir(parents=True, exist_ok=True)
                continue
            # Zips made on Windows, or by zipfile.writestr, carry no file type at all.
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                raise Refused(422, f"archive member {info.filename!r} is not a regular file")
            try:
                with zf.open(info) as src:
                    _copy(src, dest / rel, budget, info.filename, info.compress_size, lim)
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                raise Refused(422, f"archive member {info.filename!r} is unreadable: {e}") from None


def _untar(archive: Path, dest: Path, lim: Limits) -> None:
    try:
        tf = tarfile.open(archive, mode="r:*")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as e:
        raise Refused(422, f"not a readable tar archive: {e}") from None
    with tf:
        budget = [lim.unpacked]
        packed = max(archive.stat().st_size, 1)
        for n, m in enumerate(tf):
            if n >= lim.entries:
                raise Refused(413, f"archive has more than {lim.entries:,} members")
            rel = _member_name(m.name)
            if m.issym() or m.islnk():
                raise Refused(422, f"archive member {m.name!r} is a link: refused")
            if m.isdir():
                (dest / rel).mkdir(parents=True, exist_ok=True)
                continue
            if not m.isfile():
                raise Refused(422, f"archive member {m.name!r} is not a regular file")
            src = tf.extractfile(m)
            assert src is not None
            # A tar's members share one compressed stream: the ratio is over the archive.
            _copy(src, dest / rel, budget, m.name, packed, lim)


def unpack(upload: Path, filename: str, dest: Path, lim: Limits) -> None:
    """The upload as a campaign folder in `dest`: a JSON file alone, or an archive's members."""
    with upload.open("rb") as f:
        head = f.read(512)
    dest.mkdir(parents=True)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        _unzip(upload, dest, lim)
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        if upload.stat().st_size > lim.unpacked:
            raise Refused(413, f"campaign file is over {lim.unpacked:,} bytes")
        shutil.copyfile(upload, dest / "campaign.json")
    elif _is_tar(upload):
        _untar(upload, dest, lim)
    else:
        msg = f"{filename!r} is neither a campaign JSON file nor a zip or tar archive"
        raise Refused(415, msg)


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (tarfile.TarError, OSError):
        return False


def find_campaign(root: Path) -> Path:
    """`campaign.json` at the top of the upload or in its one top-level folder."""
    for candidate in [root / "campaign.json", *sorted(root.glob("*/campaign.json"))]:
        if candidate.is_file() and not candidate.is_symlink():
            return candidate
    jsons = [p for p in root.iterdir() if p.suffix == ".json" and p.is_file()]
    if len(jsons) == 1:
        return jsons[0]
    raise Refused(422, "no campaign.json at the top of the upload (or in its one folder)")


def check_upload(root: Path) -> tuple[Path, dict[str, Any]]:
    """The campaign in an unpacked upload, checked as `copyplate check` does: its file
    relative to `root` and a summary; Refused(422) with every problem when it is invalid."""
    from copyplate.layouts.loader import check_campaign
    from copyplate.renderers.copy.base import backend_problem

    path = find_campaign(root)
    rel = path.relative_to(root).as_posix()
    loaded, problems = check_campaign(path, rel, backend_problem=backend_problem)
    errors = [p for p in problems if p.severity == "error"]
    if loaded is None or errors:
        first = errors[0].format() if errors else "invalid campaign"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise Refused(422, first + more, problems)
    c = loaded.campaign
    info = {
        "campaign_id": c.id,
        "name": c.name or c.id,
        "file": rel,
        "locales": list(c.locales),
        "sizes": [s.name for s in c.sizes],
        "variants": [v.id for v in c.variants],
        "warnings": [p.as_dict() for p in problems if p.severity == "warning"],
    }
    return path, info


def discard(path: Path) -> None:
    """Remove what an upload left, without following links out of the data folder."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        os.unlink(path)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
