"""Webhook deliveries: each event a webhook subscribed to is POSTed as JSON, signed with
HMAC-SHA256 over `timestamp + "." + body` (`copyplate.client.verify_signature` checks it),
and retried with exponential backoff until the receiver answers 2xx or the attempts run
out. Pending deliveries live in the store, so a restarted service still sends them."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

from copyplate.client import sign
from copyplate.service.store import Store


class Deliverer:
    def __init__(
        self, store: Store, attempts: int = 8, base_delay: float = 1.0, timeout: float = 10.0
    ) -> None:
        self.store = store
        self.attempts, self.base_delay, self.timeout = attempts, base_delay, timeout
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="webhooks")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(self.timeout + 1)

    def backoff(self, attempts: int) -> float:
        return float(min(self.base_delay * 2 ** (attempts - 1), 600.0))

    def _loop(self) -> None:
        while not self.stopping.wait(0.25):
            for d in self.store.due_deliveries(time.time()):
                if self.stopping.is_set():
                    return
                self.deliver(d)

    def deliver(self, d: dict[str, object]) -> bool:
        body = json.dumps(
            {"id": d["event"], "type": d["kind"], "data": json.loads(str(d["data"]))},
            ensure_ascii=False,
        ).encode("utf-8")
        ts = str(int(time.time()))
        req = urllib.request.Request(
            str(d["url"]),
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "copyplate-webhooks",
                "X-Copyplate-Event": str(d["kind"]),
                "X-Copyplate-Delivery": str(d["id"]),
                "X-Copyplate-Timestamp": ts,
                "X-Copyplate-Signature": sign(str(d["secret"]), ts, body),
            },
        )
        attempts = int(str(d["attempts"])) + 1
        error: str | None = None
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                ok = 200 <= resp.status < 300
                error = None if ok else f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            ok, error = False, f"HTTP {e.code}"
        except (urllib.error.URLError, OSError, ValueError) as e:
            ok, error = False, f"{type(e).__name__}: {e}"
        did = int(str(d["id"]))
        if ok:
            self.store.delivery_result(did, "delivered", attempts, time.time(), None)
        elif attempts >= self.attempts:
            self.store.delivery_result(did, "failed", attempts, time.time(), error)
        else:
            nxt = time.time() + self.backoff(attempts)
            self.store.delivery_result(did, "pending", attempts, nxt, error)
        return bool(ok)
