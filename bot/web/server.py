"""`painbot serve`: load the bot and serve UI, API and widget from uvicorn, in one process or several workers.

Nothing calls out: Gradio's analytics and version check are off, the model ships inside a package and the hub
libraries are told to stay offline. Slow clients are cut off: a request's headers must arrive within
HEADER_TIMEOUT_S, its body within BODY_TIMEOUT_S (bot/web/guards.py), and an idle kept-alive connection is
closed after KEEP_ALIVE_S. X-Forwarded-For is believed only from the addresses in --trusted-proxies."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.config import Settings

OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
MAX_CONNECTIONS = 512  # beyond this uvicorn answers 503 at once instead of holding sockets
SETTINGS_ENV = "PAINBOT_SERVE_SETTINGS"  # how the workers get the parent's settings (CLI flags included)


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus: a connection that has not sent a whole request head within
    HEADER_TIMEOUT_S is closed (uvicorn itself waits for ever, so a few hundred trickling clients hold the
    server's sockets)."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._head_too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        waiting_for_head = self.conn.their_state is h11.IDLE
        if not waiting_for_head and self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        elif waiting_for_head and self._head_timer is None and data:
            self._head_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def _settings_to_env(settings: Settings) -> str:
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.init}
    return json.dumps({k: (str(v) if isinstance(v, Path) else v) for k, v in values.items()})


def _settings_from_env() -> Settings:
    values = json.loads(os.environ[SETTINGS_ENV])
    paths = {"corpus_dir", "index_dir", "feedback_path"}
    values = {k: (Path(v) if k in paths and v is not None else tuple(v) if isinstance(v, list) else v)
              for k, v in values.items()}  # fmt: skip
    return Settings(**values)


def app_factory():
    """The app of one worker: loads the bot (the parent made sure the index is built) and builds the app."""
    from bot.chat import Bot
    from bot.web.app import create_app

    settings = _settings_from_env()
    bot = Bot.load(settings)
    bot.detector.warm()  # load the lazy language models now, not on some patient's first message
    return create_app(settings, bot)


def serve(settings: Settings) -> None:
    os.environ.update(OFFLINE_ENV)
    if settings.workers < 1:
        raise ValueError("--workers must be at least 1")
    from bot.index import build_index, index_status

    status = index_status(settings)  # built once here, not raced by several workers
    if not status.ok:
        print(f"painbot: index {status.reason}; building {settings.index_dir}", file=sys.stderr, flush=True)
        build_index(settings, progress=True)
    os.environ[SETTINGS_ENV] = _settings_to_env(settings)
    trusted = list(settings.trusted_proxies)
    workers = f", {settings.workers} workers (rate limits count per worker)" if settings.workers > 1 else ""
    docs = "  docs /docs" if settings.docs else ""
    print(
        f"painbot: UI http://{settings.host}:{settings.port}/  API /api/chat{docs}  widget /widget.js{workers}",
        flush=True,
    )
    uvicorn.run(
        "bot.web.server:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=HeaderTimeoutProtocol,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_S,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_graceful_shutdown=5,
        log_level="warning",
    )
    sys.stdout.flush()
