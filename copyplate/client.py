"""A small client for `copyplate service` (standard library only), and the webhook
signature scheme both sides use.

    from copyplate.client import Client
    c = Client("http://127.0.0.1:8780", token)
    camp = c.submit(Path("samples/spring-sale/campaign.json"))
    run = c.start_run(camp["id"], locales=["de-DE"], sizes=["square"])
    for event in c.events(run["id"]):
        print(event["event"], event["data"])
"""

from __future__ import annotations

import hmac
import io
import json
import secrets
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from copyplate.errors import InputError


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Copyplate-Signature` header of a webhook delivery."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, tolerance: float = 300.0
) -> bool:
    """Whether a delivery is authentic and recent (`tolerance` seconds against replays)."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class ServiceCallFailed(InputError):
    """The service refused a request; `status` is the HTTP status, `body` its JSON."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body


def campaign_zip(path: Path) -> bytes:
    """A campaign folder (or the folder of a campaign.json) as a zip, for upload. Only
    regular files are packed: links are left out, as the service would refuse them."""
    root = path.parent if path.is_file() else path
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(root.rglob("*")):
            rel = f.relative_to(root)
            # Hidden parts (a run's .plates cache, .git) are not the campaign.
            hidden = any(part.startswith(".") for part in rel.parts)
            if f.is_file() and not f.is_symlink() and not hidden:
                zf.write(f, rel.as_posix())
    return buf.getvalue()


class Client:
    def __init__(self, server: str, token: str | None = None, timeout: float = 60.0) -> None:
        self.server = server.rstrip("/")
        self.token, self.timeout = token, timeout

    def _request(
        self, method: str, path: str, body: bytes | None = None, ctype: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if ctype:
            headers["Content-Type"] = ctype
        req = urllib.request.Request(self.server + path, body, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                detail = json.loads(raw)
            except ValueError:
                detail = {"detail": raw.decode("utf-8", "replace")}
            msg = detail.get("detail") if isinstance(detail, dict) else None
            raise ServiceCallFailed(
                e.code, f"HTTP {e.code}: {msg or raw[:200]!r}", detail
            ) from None
        except urllib.error.URLError as e:
            raise InputError(f"{self.server}: cannot connect: {e.reason}") from None

    def _json(self, method: str, path: str, payload: Any = None) -> Any:
        body = None if payload is None else json.dumps(payload).encode("utf-8")
        ctype = None if payload is None else "application/json"
        return json.loads(self._request(method, path, body, ctype)[1])

    def submit(self, path: Path) -> dict[str, Any]:
        """Upload a campaign: a campaign.json (with its folder), a folder, or an archive."""
        if path.is_file() and path.suffix.lower() in (".zip", ".tar", ".gz", ".tgz", ".xz"):
            data, name = path.read_bytes(), path.name
        elif path.exists():
            data, name = campaign_zip(path), "campaign.zip"
        else:
            raise InputError(f"{path}: no such file or folder")
        boundary = "copyplate-" + secrets.token_hex(12)
        body = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        _, raw = self._request(
            "POST", "/campaigns", body, f"multipart/form-data; boundary={boundary}"
        )
        result: dict[str, Any] = json.loads(raw)
        return result

    def start_run(
        self,
        campaign: str,
        locales: Sequence[str] | None = None,
        sizes: Sequence[str] | None = None,
        variants: Sequence[str] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        payload = {"locales": locales, "sizes": sizes, "variants": variants, **options}
        result: dict[str, Any] = self._json("POST", f"/campaigns/{campaign}/runs", payload)
        return result

    def run(self, rid: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/runs/{rid}")
        return result

    def events(self, rid: str, last_id: int = 0) -> Iterator[dict[str, Any]]:
        """The run's Server-Sent Events until it finishes: {"id", "event", "data"}."""
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(last_id)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(f"{self.server}/runs/{rid}/events", headers=headers)
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            event: dict[str, Any] = {}
            for raw in resp:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:
                    if "data" in event:
                        event["data"] = json.loads(event["data"])
                        yield event
                    event = {}
                elif not line.startswith(":"):
                    key, _, value = line.partition(":")
                    event[key] = value[1:] if value.startswith(" ") else value

    def review(self, rid: str, name: str, decision: str, comment: str = "") -> dict[str, Any]:
        payload = {"name": name, "decision": decision, "comment": comment}
        result: dict[str, Any] = self._json("POST", f"/runs/{rid}/reviews", payload)
        return result

    def approve_passed(self, rid: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"/runs/{rid}/approve-passed", {})
        return result

    def export(self, rid: str) -> bytes:
        """The approved assets of a run as a zip (images and manifests)."""
        return self._request("GET", f"/runs/{rid}/export")[1]

    def wait(self, rid: str, timeout: float = 600.0) -> dict[str, Any]:
        """The run once it is done or failed (following its events)."""
        deadline = time.time() + timeout
        for ev in self.events(rid):
            if ev.get("event") == "run.finished" or time.time() > deadline:
                break
        return self.run(rid)
