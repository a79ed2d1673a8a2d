"""Protections in front of the chat: request body limit, per-client rate limit, browser origin check."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RateLimiter:
    """Sliding-window limit per client key: at most `limit` hits in any `window` seconds.

    A sliding log rather than fixed minute buckets, so a client cannot burst 2x the limit across a bucket
    edge. Keys idle for a whole window are dropped, so memory follows the number of active clients."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, key: str) -> int:
        """Record a request; 0 when allowed, else the whole seconds to wait before the next one is."""
        if self.limit <= 0:
            return 0
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            log = self._hits.setdefault(key, deque())
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return max(1, math.ceil(log[0] + self.window - now))
            log.append(now)
            return 0

    def _sweep(self, now: float) -> None:
        for key in [k for k, log in self._hits.items() if not log or log[-1] <= now - self.window]:
            del self._hits[key]
        self._next_sweep = now + self.window


async def _send_json(send: Send, status: int, payload: dict, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` under `prefix` with 413, whether or not Content-Length is sent.

    The body is read here (it is small by definition) and replayed to the app, so a chunked upload cannot
    slip past a header check."""

    def __init__(self, app: ASGIApp, max_bytes: int, prefix: str = "/api"):
        self.app, self.max_bytes, self.prefix = app, max_bytes, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        too_large = {
            "error": "body_too_large",
            "detail": f"Request body is larger than {self.max_bytes} bytes.",
        }
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_json(send, 400, {"error": "bad_request", "detail": "Invalid Content-Length."})
                return
            if int(declared) > self.max_bytes:
                await _send_json(send, 413, too_large)
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_json(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def same_or_allowed_origin(
    origin: str | None, host: str | None, forwarded_host: str | None, allowed: Iterable[str]
) -> bool:
    """True when a browser request may use the API: no Origin (not a cross-site browser call), the page's
    own origin (compared by host so a TLS proxy in front does not matter), or an allowed origin."""
    if not origin:
        return True
    allowed = tuple(allowed)
    if "*" in allowed or origin.rstrip("/") in allowed:
        return True
    origin_host = urlsplit(origin).netloc
    return bool(origin_host) and origin_host in (host, forwarded_host)
