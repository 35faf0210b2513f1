"""The service end to end over real HTTP: a uvicorn child process, a zip upload, SSE, a
signed webhook on a local receiver, review and export; then hostile requests."""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from copyplate.client import Client, ServiceCallFailed, verify_signature
from tests.service.helpers import Receiver, Service, create_token, spring_sale_zip, zip_names

pytestmark = pytest.mark.slow  # starts services and renders assets: `make test-fast` skips it

RUN = {"locales": ["de-DE", "ar-SA"], "sizes": ["square"], "plate_backend": "gradient"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data = tmp_path_factory.mktemp("svc") / "data"
    svc = Service(data, "--max-upload", "4").start()
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def token(service: Service) -> str:
    return create_token(service.data, "read,submit,review")


def test_submit_follow_events_webhook_review_export(
    service: Service, token: str, tmp_path: Path
) -> None:
    client = Client(service.url, token)
    receiver = Receiver(fail_first=1)
    try:
        hook = client._json("POST", "/webhooks", {"url": receiver.url, "events": ["run.finished"]})
        camp = client.submit(spring_sale_zip(tmp_path / "spring-sale.zip"))
        assert camp["id"].startswith("cmp_") and camp["campaign_id"] == "spring-sale-2027"
        run = client.start_run(camp["id"], **RUN)
        assert run["status"] in ("queued", "running") and run["counts"]["total"] == 2

        events = list(client.events(run["id"]))
        kinds = [e["event"] for e in events]
        assert kinds[-1] == "run.finished" and kinds.count("asset.finished") == 2
        assert [int(e["id"]) for e in events] == sorted(int(e["id"]) for e in events)
        final = client.run(run["id"])
        assert final["status"] == "done" and final["counts"]["finished"] == 2
        assert {a["name"] for a in final["assets"]} == {"square/de-DE", "square/ar-SA"}

        # The first delivery is answered 500: the webhook arrives on the retry.
        deadline = time.time() + 30
        while len(receiver.got) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert len(receiver.got) == 2, "the webhook was not retried"
        got = receiver.got[-1]
        h = {k.lower(): v for k, v in got["headers"].items()}
        assert verify_signature(
            hook["secret"], h["x-copyplate-timestamp"], got["body"], h["x-copyplate-signature"]
        )
        assert not verify_signature(
            "whsec_wrong", h["x-copyplate-timestamp"], got["body"], h["x-copyplate-signature"]
        )
        payload = json.loads(got["body"])
        assert payload["type"] == "run.finished" and payload["data"]["run"] == run["id"]

        # Review over the API: reject one with a comment, approve the passed rest, export.
        client.review(run["id"], "square/ar-SA", "rejected", "kerning")
        bulk = client.approve_passed(run["id"])
        assert bulk["approved"] == ["square/de-DE"]
        names = zip_names(client.export(run["id"]))
        assert "square/de-DE.png" in names and "square/de-DE.json" in names
        assert not any("ar-SA" in n for n in names)
        reviewed = {a["name"]: a["review"] for a in client.run(run["id"])["assets"]}
        assert reviewed["square/ar-SA"]["comment"] == "kerning"
        # The static report of the run, and the OpenAPI page.
        assert b"<html" in client._request("GET", f"/runs/{run['id']}/report/")[1][:200].lower()
        assert client._request("GET", "/docs")[0] == 200
    finally:
        receiver.close()


def test_an_invalid_campaign_gets_every_problem_located_and_nothing_is_stored(
    service: Service, token: str, tmp_path: Path
) -> None:
    client = Client(service.url, token)
    before = sorted(p.name for p in (service.data / "campaigns").iterdir())
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "version": 1,\n  "id": "x",\n  "nmae": "typo"\n}\n', encoding="utf-8")
    with pytest.raises(ServiceCallFailed) as e:
        client.submit(bad)
    assert e.value.status == 422
    problems = e.value.body["problems"]
    typo = next(p for p in problems if "nmae" in p["message"])
    assert typo["file"] == "bad.json" and typo["line"] == 4 and typo["column"]
    assert typo["pointer"] == "/nmae"
    assert sorted(p.name for p in (service.data / "campaigns").iterdir()) == before
    assert list((service.data / "tmp").iterdir()) == []


# --- hostile requests -------------------------------------------------------------------


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def _symlink_zip() -> bytes:
    info = zipfile.ZipInfo("fonts/evil.ttf")
    info.external_attr = 0o120777 << 16  # a symbolic link
    return _zip([("campaign.json", b"{}"), (info, b"/etc/passwd")])


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("campaign.json", "w") as f:
        block = b"\0" * (1 << 20)
        for _ in range(100):  # 100 MiB of zeros, about 100 KiB packed
            f.write(block)
    return buf.getvalue()


def _symlink_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("campaign.json")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(info)
    return buf.getvalue()


HOSTILE = {
    "zip slip": (_zip([("../../escaped.txt", b"x"), ("campaign.json", b"{}")]), 422, "outside"),
    "absolute": (_zip([("/tmp/escaped.txt", b"x")]), 422, "outside"),
    "zip symlink": (_symlink_zip(), 422, "symbolic link"),
    "tar symlink": (_symlink_tar(), 422, "link"),
    "not an archive": (b"\x7fELF binary", 415, "neither"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_archives_are_refused_and_nothing_is_written(
    service: Service, token: str, tmp_path: Path, case: str
) -> None:
    blob, status, words = HOSTILE[case]
    f = tmp_path / "upload.bin"
    f.write_bytes(blob)
    with pytest.raises(ServiceCallFailed) as e:
        Client(service.url, token).submit(f.rename(tmp_path / "upload.zip"))
    assert e.value.status == status and words in str(e.value), str(e.value)
    assert not (service.data.parent / "escaped.txt").exists()
    assert not Path("/tmp/escaped.txt").exists()
    assert list((service.data / "tmp").iterdir()) == []


def test_a_zip_bomb_is_refused(service: Service, token: str, tmp_path: Path) -> None:
    f = tmp_path / "bomb.zip"
    f.write_bytes(_bomb())
    with pytest.raises(ServiceCallFailed) as e:
        Client(service.url, token).submit(f)
    assert e.value.status == 413 and "zip bomb" in str(e.value)
    assert list((service.data / "tmp").iterdir()) == []


def _raw(service: Service, head: str, body: bytes = b"") -> tuple[int, str]:
    """A request on a bare socket: the service answers before the body it was promised."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=20) as s:
        s.sendall(head.encode() + body)
        raw = b""
        while b"\r\n\r\n" not in raw or len(raw) < 20:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
        time.sleep(0.2)
        s.settimeout(1)
        try:
            while chunk := s.recv(65536):
                raw += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    status = int(raw.split(b" ", 2)[1])
    return status, raw.decode("utf-8", "replace")


def test_a_1_gb_body_is_refused_from_its_header(service: Service, token: str) -> None:
    head = (
        "POST /campaigns HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {1 << 30}\r\n\r\n"
    )
    status, text = _raw(service, head)
    assert status == 413 and "over the limit" in text


def test_a_body_without_length_is_cut_at_the_limit(service: Service, token: str) -> None:
    # Chunked, no Content-Length: counted as it arrives (the limit is 4 MiB here).
    conn = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)

    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n'
        for _ in range(5):
            yield os.urandom(1 << 20)

    try:
        conn.request(
            "POST",
            "/campaigns",
            body(),
            {"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=b"},
            encode_chunked=True,
        )
        resp = conn.getresponse()
        assert resp.status == 413 and b"over the limit" in resp.read()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the service closed the connection once the limit was passed
    assert list((service.data / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("ctype", "body", "status", "words"),
    [
        ("multipart/form-data; boundary=b", b"--b\r\nnot a header line\r\n\r\n", 400, "malformed"),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
            400,
            "closing boundary",
        ),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nv\r\n--b--\r\n',
            400,
            "no field 'file'",
        ),
        ("application/json", b"{}", 415, "multipart/form-data"),
    ],
)
def test_malformed_multipart_is_refused(
    service: Service, token: str, ctype: str, body: bytes, status: int, words: str
) -> None:
    head = (
        f"POST /campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    got, text = _raw(service, head, body)
    assert got == status and words in text, text[-300:]


def test_tokens_and_scopes(service: Service, token: str, tmp_path: Path) -> None:
    reader = create_token(service.data, "read")
    zipped = spring_sale_zip(tmp_path / "s.zip")
    with pytest.raises(ServiceCallFailed) as e:
        Client(service.url, "cpt_not-a-token").submit(zipped)
    assert e.value.status == 401 and "unknown token" in str(e.value)
    with pytest.raises(ServiceCallFailed) as e:
        Client(service.url, None).run("run_x")
    assert e.value.status == 401 and "Bearer" in str(e.value)
    with pytest.raises(ServiceCallFailed) as e:
        Client(service.url, reader).submit(zipped)
    assert e.value.status == 403 and "'submit' scope" in str(e.value)
    assert Client(service.url, reader)._json("GET", "/campaigns") is not None
    # Tokens are stored as hashes only.
    blob = (service.data / "service.sqlite").read_bytes()
    wal = service.data / "service.sqlite-wal"
    blob += wal.read_bytes() if wal.exists() else b""
    assert reader.encode() not in blob and token.encode() not in blob


def test_a_run_request_naming_an_unknown_locale_is_refused(
    service: Service, token: str, tmp_path: Path
) -> None:
    client = Client(service.url, token)
    camp = client.submit(spring_sale_zip(tmp_path / "s.zip"))
    with pytest.raises(ServiceCallFailed) as e:
        client.start_run(camp["id"], locales=["xx-XX"])
    assert e.value.status == 422 and "xx-XX" in str(e.value)
