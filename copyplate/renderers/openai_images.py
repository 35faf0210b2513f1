"""The OpenAI Images API as the `gpt-image` copy and plate backends use it.

Everything a team paying for a hosted model needs lives here, once: the key from
OPENAI_API_KEY and the endpoint from OPENAI_BASE_URL (the SDK's own convention), a timeout
per request, retries with backoff on 429/5xx/timeouts that honour Retry-After, a limit on
requests in flight across every copyplate process of the machine, a record of each call
(latency, tries, tokens, cost from the price table), answers checked before they are
decoded, and messages that never carry the key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import functools
import hashlib
import io
import json
import math
import os
import random
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from copyplate.capabilities import require
from copyplate.errors import InputError, MissingCapability, ServiceError, ServiceRefused
from copyplate.layouts.models import GptImage

PRICES = Path(__file__).with_name("openai_prices.json")
PRICES_ENV = "COPYPLATE_PRICES"
API_SIZES = {"1024x1024": (1024, 1024), "1536x1024": (1536, 1024), "1024x1536": (1024, 1536)}
# An answer is one image of at most 1536x1536: anything far larger is not an answer.
MAX_ANSWER_BYTES = 48 * 1024 * 1024
MAX_ANSWER_PIXELS = 16_000_000


def api_size(width: int, height: int, setting: str = "auto") -> str:
    """The API size to ask for: the configured one, or the one nearest the canvas aspect."""
    if setting != "auto":
        return setting
    aspect = math.log(width / height)
    return min(API_SIZES, key=lambda s: abs(math.log(API_SIZES[s][0] / API_SIZES[s][1]) - aspect))


_KEYLIKE = re.compile(r"sk-[A-Za-z0-9_*-]{6,}")


def redact(text: str) -> str:
    """`text` without the API key (or anything shaped like one) in it."""
    key = os.environ.get("OPENAI_API_KEY") or ""
    if len(key) >= 4:
        text = text.replace(key, "***")
    return _KEYLIKE.sub("sk-***", text)


# --- prices --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _price_table(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        msg = f"{path}: price table unreadable: {e}"
        raise InputError(msg) from None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict):
        msg = f"{path}: price table needs an object 'models' ({{model: prices}})"
        raise InputError(msg)
    return models


def prices() -> dict[str, Any]:
    """The price table this process uses (see `activate`): by default the packaged one."""
    return _price_table(str(_ACTIVE.prices or PRICES))


def cost_usd(
    model: str, usage: dict[str, Any] | None, quality: str, size: str
) -> tuple[float | None, str | None]:
    """What one call cost, and on what basis: tokens x token prices when the answer reports
    usage ("usage"), else the table's per-image price ("per_image"); (None, None) when the
    table does not know the model."""
    p = prices().get(model)
    if not isinstance(p, dict):
        return None, None
    if usage:
        details = usage.get("input_tokens_details")
        if details:
            text_in, image_in = details.get("text_tokens", 0), details.get("image_tokens", 0)
        else:  # no split reported: price it all as text, the cheaper reading
            text_in, image_in = usage.get("input_tokens", 0), 0
        out = usage.get("output_tokens", 0)
        total = (
            text_in * p.get("text_input", 0)
            + image_in * p.get("image_input", 0)
            + out * p.get("image_output", 0)
        )
        return round(float(total) / 1e6, 6), "usage"
    per = (p.get("per_image") or {}).get(quality, {}).get(size)
    return (None, None) if per is None else (float(per), "per_image")


# --- a spending cap for the run, across processes -------------------------------------------


@dataclass(frozen=True)
class Budget:
    """`copyplate run --max-cost`: a call is made only if what the run has spent, plus
    what calls in flight may still cost, plus this call's estimate, stays under the cap.
    The tally is a small file in the output folder, updated under flock, so worker
    processes share it. The estimate is the table's per-image price; the actual cost
    replaces it once the answer is in."""

    cap: float
    path: Path

    def _update(self, fn: Callable[[float], float | None]) -> float:
        import fcntl

        with self.path.open("a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            try:
                total = float(f.read().strip() or 0)
            except ValueError:
                total = 0.0
            new = fn(total)
            if new is not None:
                f.seek(0)
                f.truncate()
                f.write(f"{new:.6f}")
            return total if new is None else new

    def reserve(self, estimate: float) -> None:
        def take(total: float) -> float:
            if total + estimate > self.cap + 1e-9:
                msg = (
                    f"--max-cost ${self.cap:g} reached: ${total:.4f} spent or in flight, "
                    f"this call may cost ${estimate:.4f}"
                )
                raise ServiceError(msg)
            return total + estimate

        self._update(take)

    def settle(self, estimate: float, actual: float | None) -> None:
        self._update(lambda total: max(0.0, total - estimate + (actual or 0.0)))


@dataclass(frozen=True)
class HostedSettings:
    """What a run tells the hosted backends: its price table and its spending cap. It
    travels inside the run options to worker processes and Ray tasks, which `activate` it
    before their first call."""

    prices: Path | None = None  # None: the packaged table
    budget: Budget | None = None


_ACTIVE = HostedSettings()


def activate(settings: HostedSettings) -> HostedSettings:
    """Use `settings` in this process from now on; returns the ones it replaces."""
    global _ACTIVE
    old, _ACTIVE = _ACTIVE, settings
    return old


# --- a limit on requests in flight, across processes ----------------------------------------


class Slots:
    """At most `n` holders at a time on this machine: `n` lock files, each held with flock
    by one holder. Worker processes, Ray workers on one node and two runs started side by
    side share the limit; a killed process lets go of its slot with its file descriptors."""

    def __init__(self, name: str, n: int) -> None:
        self.n = n
        self.dir = Path(tempfile.gettempdir()) / f"copyplate-{os.getuid()}" / "slots" / name
        self._threads = threading.BoundedSemaphore(n)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        import fcntl

        with self._threads:
            self.dir.mkdir(parents=True, exist_ok=True)
            delay = 0.005
            while True:
                fd = self._try_each(fcntl)
                if fd is not None:
                    break
                time.sleep(delay)
                delay = min(0.1, delay * 2)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _try_each(self, fcntl: Any) -> int | None:
        for i in range(self.n):
            fd = os.open(self.dir / f"{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None


# --- one call ------------------------------------------------------------------------------


@dataclass
class Call:
    """The record of one API call, as manifests and reports keep it."""

    id: str
    at: float  # unix time the call started
    endpoint: str  # "images.edit" or "images.generate"
    model: str
    size: str
    quality: str
    seconds: float = 0.0  # wall time, waits between tries included
    tries: int = 0  # HTTP requests made
    status: str = "ok"  # ok | error | malformed
    usage: dict[str, Any] | None = None
    cost_usd: float | None = None
    cost_basis: str | None = None  # "usage" (reported tokens) or "per_image" (table)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The record as manifests and reports keep it, every string scrubbed."""
        record: dict[str, Any] = scrub(asdict(self))
        return record


def scrub(value: Any) -> Any:
    """`value` (JSON-like) with the key, or anything shaped like one, out of every string."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


_RETRY_STATUS = (408, 409, 429, 500, 502, 503, 504)


def retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, Retry-After seconds or date)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        with contextlib.suppress(ValueError):
            return max(0.0, float(ms) / 1000)
    ra = headers.get("retry-after")
    if not ra:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(ra))
    # Not a number of seconds: an HTTP date.
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(ra)
        return max(0.0, when.timestamp() - time.time())
    return None


class ImagesClient:
    """The Images API with copyplate's settings: no SDK retries (ours record each try)."""

    def __init__(self, settings: GptImage, where: str = "gpt_image") -> None:
        openai = require("openai")
        if not os.environ.get("OPENAI_API_KEY"):
            msg = "the gpt-image backends need OPENAI_API_KEY in the environment"
            raise MissingCapability(msg)
        self.openai = openai
        self.settings = settings
        self.where = where
        # The SDK reads OPENAI_API_KEY and OPENAI_BASE_URL itself; the key is never copied.
        self.client = openai.OpenAI(max_retries=0, timeout=settings.timeout_s)
        self.base_url = str(self.client.base_url).rstrip("/")
        host = hashlib.sha256(self.base_url.encode()).hexdigest()[:16]
        self.slots = Slots(host, settings.concurrency)

    # -- endpoints ----------------------------------------------------------------------

    def edit(
        self, image: Image.Image, mask: Image.Image, prompt: str, size: str
    ) -> tuple[Image.Image, Call]:
        """Edit `image` where `mask` is transparent. Both must already be `size`."""
        extra: dict[str, Any] = {}
        if self.settings.input_fidelity is not None:
            extra["input_fidelity"] = self.settings.input_fidelity
        files = (_png("image.png", image), _png("mask.png", mask))

        def send() -> Any:
            return self.client.images.edit(
                image=files[0], mask=files[1], prompt=prompt, **self._asked(size), **extra
            )

        return self._call("images.edit", size, send)

    def generate(self, prompt: str, size: str) -> tuple[Image.Image, Call]:
        def send() -> Any:
            return self.client.images.generate(prompt=prompt, **self._asked(size))

        return self._call("images.generate", size, send)

    def _asked(self, size: str) -> dict[str, Any]:
        """What every request asks for: one image of this model, size and quality."""
        s = self.settings
        return {"model": s.model, "size": size, "quality": s.quality, "n": 1}

    # -- the retry loop -----------------------------------------------------------------

    def _call(self, endpoint: str, size: str, send: Callable[[], Any]) -> tuple[Image.Image, Call]:
        s = self.settings
        call = Call(uuid.uuid4().hex[:16], time.time(), endpoint, s.model, size, s.quality)
        budget = _ACTIVE.budget
        estimate = 0.0
        if budget is not None:
            per_image = (prices().get(s.model) or {}).get("per_image", {})
            price = per_image.get(s.quality, {}).get(size)
            if price is None:
                raise ServiceRefused(
                    f"--max-cost cannot be kept: the price table has no per-image price for "
                    f"{s.model} at quality {s.quality!r}, size {size}"
                )
            estimate = float(price)
            budget.reserve(estimate)  # ServiceError when over: the region falls back
        t0 = time.perf_counter()
        try:
            answer = self._send_with_retries(call, send)
            usage = _usage(answer)
            call.usage = usage
            call.cost_usd, call.cost_basis = cost_usd(s.model, usage, s.quality, size)
            try:
                image = decode_answer(answer)
            except ValueError as e:
                call.status, call.error = "malformed", str(e)
                raise ServiceError(self._msg(endpoint, f"malformed answer: {e}"), None) from None
            return image, call
        except ServiceError as e:
            if call.status == "ok":
                call.status = "error"
            call.error = call.error or str(e)
            call.seconds = round(time.perf_counter() - t0, 4)
            e.call = call.as_dict()
            raise
        finally:
            call.seconds = round(time.perf_counter() - t0, 4)
            if budget is not None:
                budget.settle(estimate, call.cost_usd)

    def _send_with_retries(self, call: Call, send: Callable[[], Any]) -> Any:
        o = self.openai
        s = self.settings
        for attempt in range(s.max_retries + 1):
            call.tries += 1
            wait: float | None = None
            try:
                with self.slots.hold():
                    return send()
            except (o.AuthenticationError, o.PermissionDeniedError) as e:
                raise ServiceRefused(
                    self._msg(call.endpoint, f"OPENAI_API_KEY was refused ({_status(e)})")
                ) from None
            except o.APIStatusError as e:
                code = _code(e)
                if code == "model_not_found" or _param(e) == "model" or e.status_code == 404:
                    raise ServiceRefused(
                        redact(
                            f"{self.where}: /gpt_image/model: {s.model!r} is not a model "
                            f"{self.base_url} serves ({_status(e)})"
                        )
                    ) from None
                if code in ("insufficient_quota", "billing_hard_limit_reached"):
                    raise ServiceRefused(
                        self._msg(call.endpoint, f"no quota left ({_status(e)})")
                    ) from None
                if e.status_code not in _RETRY_STATUS and e.status_code < 500:
                    raise ServiceError(self._msg(call.endpoint, _status(e))) from None
                wait = retry_after(e.response.headers)
                why = _status(e)
            except (o.APITimeoutError, o.APIConnectionError) as e:
                why = "timed out" if isinstance(e, o.APITimeoutError) else "connection failed"
            except o.APIResponseValidationError as e:
                call.status = "malformed"
                raise ServiceError(
                    self._msg(call.endpoint, f"malformed answer ({redact(str(e))[:200]})")
                ) from None
            except (ValueError, UnicodeDecodeError) as e:
                # The SDK could not parse the body at all (not JSON).
                call.status = "malformed"
                raise ServiceError(
                    self._msg(call.endpoint, f"malformed answer ({type(e).__name__})")
                ) from None
            if attempt == s.max_retries:
                raise ServiceError(
                    self._msg(call.endpoint, f"gave up after {call.tries} tries: {why}")
                )
            if wait is not None and wait > s.max_wait_s:
                raise ServiceError(
                    self._msg(
                        call.endpoint,
                        f"{why}; the server asked to wait {wait:.0f} s, more than "
                        f"gpt_image.max_wait_s={s.max_wait_s:g}",
                    )
                )
            if wait is None:
                # Exponential backoff with jitter, so that workers do not retry in step.
                wait = min(s.max_wait_s, 0.5 * 2**attempt) * (0.75 + 0.25 * random.random())
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _msg(self, endpoint: str, what: str) -> str:
        return redact(f"{endpoint} at {self.base_url} ({self.settings.model}): {what}")


def _png(name: str, image: Image.Image) -> tuple[str, bytes, str]:
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return (name, buf.getvalue(), "image/png")


def _status(e: Any) -> str:
    """`status code: message` of an error answer, scrubbed: every part is untrusted."""
    code = _code(e)
    detail = ""
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            detail = ": " + redact(err["message"])[:200]
    return redact(f"{e.status_code}{' ' + code if code else ''}{detail}")


_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _code(e: Any) -> str:
    """The error's code when it looks like one (`insufficient_quota`); a server that puts
    anything else there (the key it was sent) gets it dropped, not printed."""
    code = getattr(e, "code", None)
    if not isinstance(code, str) or not _CODE.fullmatch(code) or redact(code) != code:
        return ""
    return code


def _param(e: Any) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("param") or "")
    return ""


_USAGE_FIELDS = ("input_tokens", "output_tokens", "total_tokens")
_USAGE_DETAILS = ("text_tokens", "image_tokens")


def _count(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**12 else None


def _usage(answer: Any) -> dict[str, Any] | None:
    """The token counts the price table uses, and nothing else: whatever else a server
    puts in `usage` (an echo of the key, say) never reaches a manifest or a report."""
    usage = getattr(answer, "usage", None)
    if usage is None:
        return None
    try:
        dump = usage.model_dump() if hasattr(usage, "model_dump") else dict(usage)
    except (TypeError, ValueError):
        return None
    out: dict[str, Any] = {}
    for k in _USAGE_FIELDS:
        if (n := _count(dump.get(k))) is not None:
            out[k] = n
    details = dump.get("input_tokens_details")
    if isinstance(details, dict):
        kept = {k: n for k in _USAGE_DETAILS if (n := _count(details.get(k))) is not None}
        if kept:
            out["input_tokens_details"] = kept
    return out or None


def decode_answer(answer: Any) -> Image.Image:
    """The one image of an answer, checked before it is decoded: base64 PNG/JPEG/WebP,
    bounded in bytes and pixels. Raises ValueError saying what is wrong."""
    data = getattr(answer, "data", None)
    if not data:
        msg = "no image in the answer"
        raise ValueError(msg)
    b64 = getattr(data[0], "b64_json", None)
    if not isinstance(b64, str) or not b64:
        msg = "the answer has no b64_json image (a URL answer is not fetched)"
        raise ValueError(msg)
    if len(b64) > MAX_ANSWER_BYTES * 4 // 3 + 4:
        msg = f"the image is over {MAX_ANSWER_BYTES // 2**20} MiB"
        raise ValueError(msg)
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        msg = "b64_json is not base64"
        raise ValueError(msg) from None
    try:
        with Image.open(io.BytesIO(raw)) as im:
            if im.format not in ("PNG", "JPEG", "WEBP"):
                msg = f"the image is {im.format}, not PNG, JPEG or WebP"
                raise ValueError(msg)
            if im.width * im.height > MAX_ANSWER_PIXELS:
                msg = f"the image is {im.width}x{im.height}, too large for an answer"
                raise ValueError(msg)
            im.load()
            return im.convert("RGB")
    except (OSError, Image.DecompressionBombError, SyntaxError) as e:
        msg = f"the image does not decode ({type(e).__name__})"
        raise ValueError(msg) from None


@functools.lru_cache(maxsize=8)
def client_for(settings: GptImage, where: str) -> ImagesClient:
    """One client per process and settings: connections and the slot limit are reused."""
    return ImagesClient(settings, where)


# A forked worker must not use the driver's client: its pooled keep-alive connection is the
# same socket in both processes, and one process then reads the other's answer while the
# other waits for it until the request times out (a run whose driver made a plate before
# forking hung for two minutes, one time in four).
os.register_at_fork(after_in_child=client_for.cache_clear)
