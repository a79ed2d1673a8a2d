"""Protections in front of the chat: request body limit and time, per-client rate limit, browser origin check,
the gate in front of Gradio, and security headers."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
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


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


async def read_body(scope: Scope, receive: Receive, max_bytes: int, timeout: float) -> bytes | None:
    """The whole request body, or None when the client went away. Raises BodyTooLarge past `max_bytes`
    (declared or sent, so a chunked upload cannot slip past a header check) and BodyTooSlow when it takes
    longer than `timeout` to arrive (a client trickling bytes holds a connection and a task)."""
    declared = dict(scope["headers"]).get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise BodyTooLarge
    chunks, size = [], 0
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))
        except TimeoutError as exc:
            raise BodyTooSlow from exc
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then whatever comes next (a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _checked_body(scope: Scope, receive: Receive, send: Send, max_bytes: int, timeout: float) -> bytes | None:
    """The body, or None after answering 413 / 408 (or when the client left)."""
    try:
        return await read_body(scope, receive, max_bytes, timeout)
    except BodyTooLarge:
        await _send_json(
            send, 413, {"error": "body_too_large", "detail": f"Request body is larger than {max_bytes} bytes."}
        )
    except BodyTooSlow:
        await _send_json(send, 408, {"error": "request_timeout", "detail": "The request body came too slowly."})
    return None


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` under `prefix` with 413, and bodies that take longer than
    `timeout` seconds with 408. The body is read here (it is small by definition) and replayed to the app."""

    def __init__(self, app: ASGIApp, max_bytes: int, prefix: str = "/api", timeout: float = 10.0):
        self.app, self.max_bytes, self.prefix, self.timeout = app, max_bytes, prefix, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        body = await _checked_body(scope, receive, send, self.max_bytes, self.timeout)
        if body is not None:
            await self.app(scope, replaying(body, receive), send)


@dataclass(frozen=True)
class GateLimits:
    max_body_bytes: int
    max_chars: int  # longest text value an event may carry (the message limit)
    max_depth: int = 8  # JSON nesting an event may have
    body_timeout: float = 10.0


def _json_problem(value: object, limits: GateLimits, depth: int = 0) -> str | None:
    """Why an event's JSON is refused: too deep, or a text longer than the message limit anywhere in it."""
    if depth > limits.max_depth:
        return "nested too deeply"
    if isinstance(value, str):
        return f"a text is longer than {limits.max_chars} characters" if len(value) > limits.max_chars else None
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        if problem := _json_problem(child, limits, depth + 1):
            return problem
    return None


class GradioGate:
    """Stands in front of the Gradio app: only what the chat page uses is reachable, with the limits of
    /api/chat. Uploads, run history, deep links, the file and proxy routes, monitoring, MCP, Gradio's own API
    and everything else answer 404. Events (queue/join) get the body limit, the message limit on every text
    they carry, and a per-client rate limit; the chat event itself also counts against the API's limit
    (in the UI's handler). Error responses are replaced by our JSON shape, so no exception text leaves."""

    GET_EXACT = frozenset({"/", "/config", "/theme.css", "/favicon.ico", "/robots.txt", "/gradio_api/info",
                           "/gradio_api/queue/data", "/gradio_api/theme.css", "/gradio_api/startup-events",
                           "/manifest.json"})  # fmt: skip
    GET_PREFIXES = ("/assets/", "/static/", "/svelte/", "/gradio_api/heartbeat/")
    POST_EXACT = frozenset({"/gradio_api/queue/join", "/gradio_api/cancel"})
    EVENT = "/gradio_api/queue/join"

    def __init__(self, app: ASGIApp, limits: GateLimits, events: RateLimiter, client_key: Callable[[Scope], str]):
        self.app, self.limits, self.events, self.client_key = app, limits, events, client_key

    def allowed(self, method: str, path: str) -> bool:
        if method in ("GET", "HEAD"):
            return path in self.GET_EXACT or path.startswith(self.GET_PREFIXES)
        return method == "POST" and path in self.POST_EXACT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/") or "/"
        if not self.allowed(scope["method"], path):
            await _send_json(send, 404, {"error": "not_found", "detail": "Not found."})
            return
        if scope["method"] == "POST":
            body = await _checked_body(scope, receive, send, self.limits.max_body_bytes, self.limits.body_timeout)
            if body is None:
                return
            if path == self.EVENT and not await self._event_allowed(scope, body, send):
                return
            receive = replaying(body, receive)
        await self.app(scope, receive, _generic_errors(send))

    async def _event_allowed(self, scope: Scope, body: bytes, send: Send) -> bool:
        wait = self.events.hit(self.client_key(scope))
        if wait:
            await _send_json(
                send,
                429,
                {"error": "rate_limited", "detail": f"Too many requests; retry in {wait} s.", "retry_after": wait},
                [(b"retry-after", str(wait).encode())],
            )
            return False
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        # event_data carries what the page shows back (a liked reply's markup, often over the message limit);
        # the body limit still bounds it.
        inputs = {k: v for k, v in event.items() if k != "event_data"} if isinstance(event, dict) else None
        problem = "not a JSON object" if inputs is None else _json_problem(inputs, self.limits)
        if problem:
            await _send_json(send, 422, {"error": "invalid_request", "detail": f"The event is refused: {problem}."})
            return False
        return True


def _generic_errors(send: Send) -> Send:
    """Replaces the body of any 4xx/5xx response with a generic JSON error: Gradio's error bodies can carry
    exception text and the request's own input."""
    status = 0

    async def wrapped(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start" and message["status"] >= 400:
            status = message["status"]
            return
        if status and message["type"] == "http.response.body":
            if not message.get("more_body", False):
                code = "not_found" if status == 404 else "internal_error" if status >= 500 else "http_error"
                await _send_json(send, status, {"error": code, "detail": "The request could not be served."})
            return
        await send(message)

    return wrapped


class SecurityHeadersMiddleware:
    """Headers on every response: no MIME sniffing, no referrer sent on, no framing except where a route
    says otherwise (/embed sets its own frame-ancestors), and no caching of API answers."""

    def __init__(self, app: ASGIApp, api_prefix: str = "/api"):
        self.app, self.api_prefix = app, api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith(self.api_prefix) or scope["path"] == "/openapi.json"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("referrer-policy", "no-referrer")
                if "content-security-policy" not in headers:
                    headers["content-security-policy"] = (
                        "default-src 'none'; frame-ancestors 'none'"
                        if api
                        else "frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'"
                    )
                    headers.setdefault("x-frame-options", "DENY")
                if api:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


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
