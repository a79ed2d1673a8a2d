"""The JSON API under /api: chat, health, UI strings.

Stateless: the conversation travels with each request, so any number of workers can serve it.
Error policy, the same for every route: a request the API cannot take (malformed JSON, wrong types,
a message over the length limit, a body over the size limit, an unknown language) gets a 4xx JSON body
`{"error": <code>, "detail": ...}`; a well-formed message the bot cannot use (empty, binary) gets 200 with
the Reply of kind "invalid", which tells the user in their language what went wrong."""

from __future__ import annotations

import asyncio
from typing import Literal, Protocol

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, model_validator

from bot.config import LANGUAGES, Settings
from bot.reply import Citation, Kind, Quote, RedFlag, Reply
from bot.validate import MAX_CHARS
from bot.web.guards import RateLimiter, same_or_allowed_origin
from bot.web.strings import load_ui_strings

MAX_HISTORY_TURNS = 40
MAX_ASSISTANT_CHARS = 16_000  # a reply with its quotes; never read by the bot, only carried
MAX_BODY_BYTES = 64 * 1024
# A backstop: the work per request is bounded (bot/bounds.py) to well under a second; past this the client
# gets a 503 instead of waiting on a machine that is overloaded.
REPLY_TIMEOUT_S = 20.0


class ReplyingBot(Protocol):
    def reply(self, message: str, history=(), lang: str | None = None, country: str | None = None) -> Reply: ...


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(
        max_length=MAX_ASSISTANT_CHARS,
        description=f"A user turn is at most {MAX_CHARS} characters (it was a message), an assistant turn "
        f"{MAX_ASSISTANT_CHARS}.",
    )

    @model_validator(mode="after")
    def _user_turn_is_a_message(self) -> Turn:
        if self.role == "user" and len(self.content) > MAX_CHARS:
            raise ValueError(f"a user turn may have at most {MAX_CHARS} characters")
        return self


class ChatRequest(BaseModel):
    message: str = Field(max_length=MAX_CHARS, description=f"The user's message, at most {MAX_CHARS} characters.")
    history: list[Turn] = Field(
        default_factory=list, max_length=MAX_HISTORY_TURNS, description="Earlier turns, oldest first."
    )
    lang: str | None = Field(
        default=None,
        pattern=f"^({'|'.join(LANGUAGES)})$",  # in the schema too, so clients (and schemathesis) know the choices
        description=f"Force the reply language: one of {', '.join(LANGUAGES)}.",
    )
    country: str | None = Field(
        default=None, pattern="^[A-Z]{2}$", description="Country of the emergency numbers (a widget's data-country)."
    )


class ReplyOut(BaseModel):
    """The Reply object as JSON (bot.reply's dataclasses give the nested shapes)."""

    language: str
    kind: Kind
    text: str
    red_flag: RedFlag | None
    abstained: bool
    citations: list[Citation]
    quotes: list[Quote]
    latency_ms: float


class ErrorOut(BaseModel):
    error: str
    detail: object


def client_key(request: Request) -> str:
    """The client's address: the socket's peer, or what a proxy named in --trusted-proxies put in
    X-Forwarded-For (uvicorn rewrites the client only for those). Used in memory for rate limits, never stored."""
    return request.client.host if request.client else "unknown"


def api_router(settings: Settings, bot: ReplyingBot, limiter: RateLimiter) -> APIRouter:
    router = APIRouter(prefix="/api")

    def check_origin(request: Request) -> None:
        """CORS keeps other sites from reading replies; this keeps them from spending our CPU and a
        visitor's rate budget with requests the browser sends without a preflight."""
        h = request.headers
        if not same_or_allowed_origin(
            h.get("origin"), h.get("host"), h.get("x-forwarded-host"), settings.allowed_origins
        ):
            raise HTTPException(
                403,
                {
                    "error": "origin_not_allowed",
                    "detail": "This origin may not call the API; see PAINBOT_ALLOWED_ORIGINS.",
                },
            )

    def check_rate(request: Request) -> None:
        wait = limiter.hit(client_key(request))
        if wait:
            raise HTTPException(
                429,
                {
                    "error": "rate_limited",
                    "detail": f"Too many requests; retry in {wait} s.",
                    "retry_after": wait,
                },
                headers={"Retry-After": str(wait)},
            )

    @router.post(
        "/chat",
        response_model=ReplyOut,
        dependencies=[Depends(check_origin), Depends(check_rate)],
        responses={
            403: {"model": ErrorOut},
            408: {"model": ErrorOut},
            413: {"model": ErrorOut},
            422: {"model": ErrorOut},
            429: {"model": ErrorOut},
            503: {"model": ErrorOut},
        },
        summary="One chat turn: the reply to `message` given the earlier turns in `history`.",
        description="Only the last few user turns of `history` are read (bot/bounds.py); the rest is allowed "
        "so a client may send its whole conversation.",
    )
    async def chat(body: ChatRequest) -> dict:
        history = [t.model_dump() for t in body.history]
        # The bot is CPU-bound and thread-safe: keep it off the event loop.
        try:
            reply = await asyncio.wait_for(
                run_in_threadpool(bot.reply, body.message, history, body.lang, body.country), REPLY_TIMEOUT_S
            )
        except TimeoutError:
            raise HTTPException(
                503,
                {"error": "busy", "detail": "The server is too busy to answer now; try again."},
                headers={"Retry-After": "5"},
            ) from None
        return reply.to_dict()

    @router.get("/health", summary="Liveness: 200 when the bot is loaded and serving.")
    async def health() -> dict:
        return {"status": "ok", "languages": list(LANGUAGES)}

    @router.get(
        "/ui/{lang}",
        responses={404: {"model": ErrorOut}},
        summary="The UI strings of one language (used by the widget).",
    )
    async def ui_strings(lang: str) -> dict:
        strings = load_ui_strings()
        if lang not in strings:
            raise HTTPException(404, {"error": "unknown_language", "detail": f"No UI strings for {lang!r}."})
        return {"lang": lang, "strings": strings[lang], "max_message_chars": MAX_CHARS}

    return router
