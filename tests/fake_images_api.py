"""A local HTTP server that speaks the subset of the OpenAI Images API copyplate uses.

The one stand-in the project allows: the real service cannot be reached from here. It
parses what the official SDK sends (multipart edits with image + mask, JSON generations,
Bearer auth) and answers as the service does (b64_json, usage), or misbehaves on cue:
429 with Retry-After, 500, malformed bodies, slow answers, a refused key, an unknown model.

"Drawing" a region means typesetting the quoted copy from the prompt with a real font
into the mask's transparent area, over a calm fill; `typo` draws it with a letter
changed; `scribble` draws it right and also paints over everything outside the mask,
which the client must ignore.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import functools
import io
import json
import re
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

KEY = "sk-test-fake0123456789SECRET"


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    image: Image.Image | None = None
    mask: Image.Image | None = None
    at: float = 0.0


@functools.lru_cache(maxsize=1)
def _font_path() -> str:
    return subprocess.run(
        ["fc-match", "-f", "%{file}", "Noto Sans:bold"], capture_output=True, text=True, check=True
    ).stdout


@functools.lru_cache(maxsize=1024)
def _font(px: int, path: str | None = None) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path or _font_path(), px, layout_engine=ImageFont.Layout.RAQM)


def quoted_copy(prompt: str) -> str | None:
    """The copy a region prompt asks for; None for a prompt that asks for no text."""
    m = re.search(r'nothing added or left out: "(.*)"\s*$', prompt.split("\n")[0])
    return m.group(1) if m else None


def draw_copy(
    image: Image.Image,
    mask: Image.Image,
    text: str | None,
    font_path: str | None = None,
    margin: int | None = None,
) -> Image.Image:
    """`text` set in the mask's transparent area, dark on a light calm fill (just the
    fill when there is no text to draw: a repainted patch of plate). By default in Noto
    Sans Bold with room around it; with `font_path` in that face, and with `margin` set
    as large as fits with that many pixels to the mask's edge."""
    alpha = np.asarray(mask.getchannel("A"))
    ys, xs = np.nonzero(alpha == 0)
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    out = image.convert("RGB").copy()
    d = ImageDraw.Draw(out)
    d.rectangle((x0, y0, x1 - 1, y1 - 1), fill=(246, 242, 235))
    if text is None:
        return out
    w, h = x1 - x0, y1 - y0
    px = max(8, int(h * 0.5))
    if margin is not None:
        px = max(8, h - 2 * margin)
    while px > 8:
        font = _font(px, font_path)
        left, t, r, b = d.textbbox((0, 0), text, font=font)
        if margin is not None:
            if r - left <= w - 2 * margin and b - t <= h - 2 * margin:
                break
        elif r - left <= w * 0.8 and b - t <= h * 0.6:
            break
        px -= 2
    left, t, r, b = d.textbbox((0, 0), text, font=font)
    d.text(
        (x0 + (w - (r - left)) // 2 - left, y0 + (h - (b - t)) // 2 - t),
        text,
        font=font,
        fill=(20, 20, 20),
    )
    return out


def typo(text: str) -> str:
    """The copy with one letter changed, the kind of slip image models make."""
    for i, ch in enumerate(text):
        if ch.isalpha() and ch.lower() not in "il":
            return text[:i] + ("x" if ch.lower() != "x" else "y") + text[i + 1 :]
    return text + "x"


def _png_b64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


USAGE = {
    "input_tokens": 1300,
    "input_tokens_details": {"text_tokens": 100, "image_tokens": 1200},
    "output_tokens": 4160,
    "total_tokens": 5460,
}


class FakeImagesAPI:
    """Answers with `default` unless a behaviour was queued with `then(...)`."""

    def __init__(
        self, default: str = "draw", fonts: list[str] | None = None, margin: int | None = None
    ) -> None:
        self.default = default
        # Draw in these font files, one after another (faces the manifest does not name),
        # set tight to the mask with `margin` px; default: Noto Sans Bold with room.
        self.fonts = fonts or []
        self.margin = margin
        self.script: deque[Any] = deque()
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0  # seconds every answer takes
        self.served_s: list[float] = []  # time spent answering each request (benchmarks)
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                """Quiet: the tests read `seen`, not an access log on stderr."""

            def do_POST(self) -> None:
                api._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeImagesAPI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def then(self, *behaviours: Any) -> None:
        self.script.extend(behaviours)

    # -- request handling -----------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        t = time.perf_counter()
        try:
            self._answer(h)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.served_s.append(time.perf_counter() - t)

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        seen = Seen(h.path, {k.lower(): v for k, v in h.headers.items()}, at=time.time())
        ctype = h.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
            )
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if name == "image":
                    seen.image = Image.open(io.BytesIO(payload))
                elif name == "mask":
                    seen.mask = Image.open(io.BytesIO(payload))
                else:
                    seen.fields[str(name)] = payload.decode()
        else:
            seen.fields = {k: str(v) for k, v in json.loads(body or b"{}").items()}
        with self.lock:
            self.seen.append(seen)
            behaviour = self.script.popleft() if self.script else self.default
        if self.delay:
            time.sleep(self.delay)
        if h.headers.get("Authorization") != f"Bearer {KEY}":
            # The real service echoes part of the key: the client must not pass it on.
            sent = h.headers.get("Authorization", "")[7:]
            return self._error(h, 401, "invalid_api_key", f"Incorrect API key provided: {sent}.")
        if isinstance(behaviour, tuple):
            kind, *args = behaviour
        else:
            kind, args = behaviour, []
        if kind == "status":
            status, headers = args[0], (args[1] if len(args) > 1 else {})
            code = args[2] if len(args) > 2 else None
            return self._error(h, status, code, f"fake {status}", headers)
        if kind == "unknown-model":
            return self._error(
                h, 404, "model_not_found", f"The model {seen.fields.get('model')} does not exist"
            )
        if kind == "slow":
            time.sleep(args[0])
            kind = "draw"
        if kind == "malformed-json":
            return self._send(h, 200, b'{"created": 1, "data": [', "application/json")
        if kind == "malformed-b64":
            return self._json(h, {"created": 1, "data": [{"b64_json": "not base64 at all!"}]})
        if kind == "not-an-image":
            junk = base64.b64encode(b"GIF89a this is no image").decode()
            return self._json(h, {"created": 1, "data": [{"b64_json": junk}]})
        if kind == "no-data":
            return self._json(h, {"created": 1, "data": []})
        usage: dict[str, Any] = USAGE
        if kind == "echo-key":
            # A hostile or buggy server: the key it was sent, echoed in fields nobody models.
            sent = h.headers.get("Authorization", "")[7:]
            usage = {
                **USAGE,
                "input_tokens_details": {**USAGE["input_tokens_details"], "note": sent},  # type: ignore[dict-item]
                "debug": {"authorization": sent},
                "total_tokens": sent,
            }
            kind = "draw"
        image = self._image(seen, kind)
        self._json(
            h,
            {
                "created": int(time.time()),
                "data": [{"b64_json": _png_b64(image)}],
                "usage": usage,
                "size": seen.fields.get("size"),
                "quality": seen.fields.get("quality"),
            },
        )

    def _image(self, seen: Seen, kind: str) -> Image.Image:
        size = seen.fields.get("size", "1024x1024")
        w, h = (int(v) for v in size.split("x"))
        if seen.image is None:  # a generation: a soft two-colour plate
            yy = np.linspace(0, 1, h)[:, None, None]
            top, bottom = np.array([232, 226, 214]), np.array([196, 208, 220])
            arr = np.broadcast_to(top * (1 - yy) + bottom * yy, (h, w, 3))
            return Image.fromarray(arr.astype(np.uint8), "RGB")
        assert seen.mask is not None and seen.mask.size == seen.image.size
        text = quoted_copy(seen.fields["prompt"])
        face = self.fonts[len(self.seen) % len(self.fonts)] if self.fonts else None
        wrong = typo(text) if kind == "typo" and text else text
        drawn = draw_copy(seen.image, seen.mask, wrong, face, self.margin)
        if kind == "scribble":
            noise = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
            outside = Image.fromarray(noise, "RGB")
            keep = seen.mask.getchannel("A").point(lambda a: 255 if a == 0 else 0)
            outside.paste(drawn, (0, 0), keep)
            drawn = outside
        return drawn

    # -- answers ----------------------------------------------------------------------

    def _error(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        code: str | None,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
        self._send(h, status, json.dumps(body).encode(), "application/json", headers)

    def _json(self, h: BaseHTTPRequestHandler, data: dict[str, Any]) -> None:
        self._send(h, 200, json.dumps(data).encode(), "application/json")

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
