"""The Images API client against a local server: retries, waits, limits, errors, costs."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from PIL import Image

from copyplate.errors import MissingCapability, ServiceError, ServiceRefused
from copyplate.layouts.models import GptImage
from copyplate.renderers.openai_images import ImagesClient, api_size, cost_usd, redact, retry_after
from tests.fake_images_api import KEY, USAGE


def client(**settings: Any) -> ImagesClient:
    return ImagesClient(GptImage(**{"max_wait_s": 5, **settings}), "test")


def test_429_is_retried_after_the_wait_the_server_asked_for(images_api: Any) -> None:
    images_api.then(("status", 429, {"Retry-After": "1"}))
    image, call = client().generate("a plate", "1024x1024")
    assert image.size == (1024, 1024)
    assert call.tries == 2 and call.status == "ok"
    first, second = images_api.seen
    assert second.at - first.at >= 0.95
    assert call.cost_usd == cost_usd("gpt-image-1", USAGE, "high", "1024x1024")[0]
    assert call.cost_basis == "usage"


def test_5xx_backs_off_then_gives_up_with_the_tries_counted(images_api: Any) -> None:
    images_api.then(("status", 500), ("status", 503), ("status", 502))
    with pytest.raises(ServiceError, match="gave up after 3 tries: 502") as e:
        client(max_retries=2).generate("a plate", "1024x1024")
    assert e.value.call is not None
    assert e.value.call["tries"] == 3 and e.value.call["status"] == "error"
    assert len(images_api.seen) == 3


def test_a_wait_longer_than_allowed_is_not_slept_through(images_api: Any) -> None:
    images_api.then(("status", 429, {"retry-after-ms": "90000"}))
    t = time.perf_counter()
    with pytest.raises(ServiceError, match="asked to wait 90 s"):
        client(max_wait_s=10).generate("a plate", "1024x1024")
    assert time.perf_counter() - t < 5


def test_a_slow_answer_times_out(images_api: Any) -> None:
    images_api.then(("slow", 3))
    t = time.perf_counter()
    with pytest.raises(ServiceError, match="timed out"):
        client(timeout_s=1, max_retries=0).generate("a plate", "1024x1024")
    assert time.perf_counter() - t < 2.5


@pytest.mark.parametrize(
    ("behaviour", "why"),
    [
        ("malformed-json", "malformed answer"),
        ("malformed-b64", "not base64"),
        ("not-an-image", "does not decode"),
        ("no-data", "no image in the answer"),
    ],
)
def test_malformed_answers_are_refused_before_decoding(
    images_api: Any, behaviour: str, why: str
) -> None:
    images_api.then(behaviour)
    with pytest.raises(ServiceError, match=why) as e:
        client().generate("a plate", "1024x1024")
    assert e.value.call is not None and e.value.call["status"] == "malformed"
    assert len(images_api.seen) == 1  # an answer that came is not asked for again


def test_a_refused_key_stops_everything_and_never_shows_the_key(
    images_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-wrong-key-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    with pytest.raises(ServiceRefused) as e:
        client().generate("a plate", "1024x1024")
    assert e.value.fatal
    assert "refused (401 invalid_api_key" in str(e.value)
    assert wrong not in str(e.value) and "0123456789" not in str(e.value)


def test_an_unknown_model_names_the_setting(images_api: Any) -> None:
    images_api.then("unknown-model")
    with pytest.raises(ServiceRefused, match=r"/gpt_image/model: 'gpt-image-9' is not a model"):
        client(model="gpt-image-9").generate("a plate", "1024x1024")


def test_no_quota_stops_instead_of_retrying(images_api: Any) -> None:
    images_api.then(("status", 429, {}, "insufficient_quota"))
    with pytest.raises(ServiceRefused, match="no quota left"):
        client().generate("a plate", "1024x1024")
    assert len(images_api.seen) == 1


def test_no_key_is_a_missing_capability(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingCapability, match="OPENAI_API_KEY"):
        client()


@pytest.mark.parametrize("limit", [1, 2])
def test_requests_in_flight_stay_under_the_limit(images_api: Any, limit: int) -> None:
    images_api.delay = 0.3
    c = client(concurrency=limit)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            c.generate("a plate", "1024x1024")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert images_api.max_in_flight == limit


def test_the_request_is_what_the_api_expects(images_api: Any) -> None:
    img = Image.new("RGB", (1536, 1024), "white")
    mask = Image.new("RGBA", (1536, 1024), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (100, 100, 600, 300))
    prompt = 'Draw it, nothing added or left out: "Hi"'
    client(quality="medium", model="gpt-image-1-mini").edit(img, mask, prompt, "1536x1024")
    seen = images_api.seen[0]
    assert seen.path == "/v1/images/edits"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.fields["model"] == "gpt-image-1-mini"
    assert seen.fields["quality"] == "medium" and seen.fields["size"] == "1536x1024"
    assert seen.image is not None and seen.mask is not None and seen.mask.mode == "RGBA"


def test_helpers() -> None:
    assert api_size(1080, 1080) == "1024x1024"
    assert api_size(1080, 1920) == "1024x1536"
    assert api_size(1200, 628) == "1536x1024"
    assert api_size(1200, 628, "1024x1024") == "1024x1024"
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({}) is None
    assert redact("key sk-abcdefghijkl and more") == "key sk-*** and more"
    assert cost_usd("gpt-image-1-mini", None, "low", "1024x1024") == (0.005, "per_image")
    assert cost_usd("no-such-model", USAGE, "low", "1024x1024") == (None, None)


def test_a_server_echoing_the_key_in_usage_never_gets_it_recorded(images_api: Any) -> None:
    """Only the modelled token counts are kept; every string of the record is scrubbed."""
    images_api.then("echo-key")
    _, call = client().generate("a plate", "1024x1024")
    record = call.as_dict()
    assert KEY not in repr(record) and "SECRET" not in repr(record)
    assert record["usage"] == {
        "input_tokens": USAGE["input_tokens"],
        "output_tokens": USAGE["output_tokens"],
        "input_tokens_details": USAGE["input_tokens_details"],
    }


@pytest.mark.parametrize("status", [400, 404, 429])
def test_a_key_returned_as_the_error_code_is_not_shown(images_api: Any, status: int) -> None:
    """`error.code` used to reach stderr unscrubbed (the model-not-found path)."""
    images_api.then(*[("status", status, {}, KEY)] * 5)
    with pytest.raises((ServiceError, ServiceRefused)) as e:
        client(max_retries=1).generate("a plate", "1024x1024")
    assert KEY not in str(e.value) and "SECRET" not in str(e.value)
    assert KEY not in repr(getattr(e.value, "call", None))


def test_a_forked_worker_gets_its_own_client(images_api: Any) -> None:
    # The driver's pooled connection is one socket in both processes after a fork: a worker
    # that reused the driver's client read the driver's answers, or waited for its own
    # until the request timed out.
    import os

    from copyplate.renderers.openai_images import client_for

    parent = client_for(GptImage(), "test")
    assert client_for(GptImage(), "test") is parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports whether it got a fresh client, and leaves at once
        os.close(read)
        os.write(write, b"1" if client_for(GptImage(), "test") is not parent else b"0")
        os._exit(0)
    os.close(write)
    got = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert got == b"1"
    assert client_for(GptImage(), "test") is parent  # the driver keeps its own
