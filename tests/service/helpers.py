"""A real `copyplate service` in a child process on a free port, and a webhook receiver."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import SAMPLES, run_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_token(data: Path, scopes: str) -> str:
    r = run_cli("service", "token", "create", "--data", str(data), "--scopes", scopes)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


class Service:
    def __init__(self, data: Path, *extra: str) -> None:
        self.data, self.extra = data, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        cmd = [sys.executable, "-m", "copyplate.cli", "service", "--data", str(self.data)]
        cmd += ["--port", str(self.port), *self.extra]
        self.log = (self.data.parent / f"service-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.proc.poll() is None, self.tail()
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the service did not start: " + self.tail())

    def tail(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Receiver:
    """An HTTP server on localhost that keeps every webhook delivery it gets; the first
    `fail_first` deliveries are answered 500 (to see the retries)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.got: list[dict[str, Any]] = []
        self.fail_left = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got.append({"headers": dict(self.headers), "body": body})
                failing = outer.fail_left > 0
                outer.fail_left -= 1
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def spring_sale_zip(dest: Path, gradient: bool = False) -> Path:
    """samples/spring-sale as a zip; with `gradient`, its plate model is the quick one."""
    root = SAMPLES / "spring-sale"
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(root.rglob("*")):
            rel = f.relative_to(root).as_posix()
            if f.name == "campaign.json" and gradient:
                data = json.loads(f.read_text(encoding="utf-8"))
                data["plate"]["model"] = "gradient"
                data.pop("$schema", None)
                zf.writestr(rel, json.dumps(data, ensure_ascii=False))
            elif f.is_file():
                zf.write(f, rel)
    return dest


def zip_names(blob: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return sorted(zf.namelist())
