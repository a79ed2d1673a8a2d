"""One ASGI app: JSON API under /api, the widget files, /embed, OpenAPI at /docs, and the Gradio UI at /.

Our routes are registered before Gradio is mounted at "/", so they win; everything else is Gradio's."""

from __future__ import annotations

from html import escape
from pathlib import Path

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.config import Settings
from bot.web.api import MAX_BODY_BYTES, ReplyingBot, api_router
from bot.web.feedback import FeedbackLog
from bot.web.guards import BodyLimitMiddleware, RateLimiter
from bot.web.strings import load_ui_strings, pick_language
from bot.web.ui import CSS, build_ui

STATIC_DIR = Path(__file__).resolve().parent / "static"
GRADIO_CONCURRENCY = 8  # replies take ~20 ms of CPU; more parallel jobs than this only queue on 2 cores
STATIC_CACHE = "public, max-age=300"
QUEUE_POLL_S = 0.02


def _error_body(status: int, detail: object) -> dict:
    if isinstance(detail, dict) and "error" in detail:
        return detail
    return {"error": "not_found" if status == 404 else "http_error", "detail": detail}


def _install_error_handlers(app: FastAPI) -> None:
    """Every error under our routes is JSON of one shape: {"error": code, "detail": ...}."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_error_body(exc.status_code, exc.detail), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Only location, message and type: pydantic's error also echoes the (possibly huge) input.
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid_request", "detail": errors}, 422)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal_error", "detail": "The server could not answer."}, 500)


def _embed_page(lang: str, settings: Settings) -> HTMLResponse:
    """A minimal full-page chat for <iframe> embedding: the widget script in inline mode."""
    strings = load_ui_strings()
    lang = pick_language(lang, settings.ui_language)
    title = escape(str(strings[lang]["widget_title"]))
    page = (
        f'<!doctype html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{title}</title>\n'
        f'<link rel="stylesheet" href="/widget.css">\n</head>\n<body class="pb-embed">\n'
        f'<script src="/widget.js" data-mode="inline" data-lang="{escape(lang)}"></script>\n'
        "</body>\n</html>\n"
    )
    ancestors = "*" if "*" in settings.allowed_origins else " ".join(("'self'", *settings.allowed_origins))
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        f"base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})


def create_app(settings: Settings, bot: ReplyingBot) -> FastAPI:
    limiter = RateLimiter(settings.rate_limit_per_minute)
    app = FastAPI(
        title="painbot",
        summary="Answers leg, foot, heel and sciatic pain questions from vetted articles, citing sources.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    _install_error_handlers(app)
    app.include_router(api_router(settings, bot, limiter))

    @app.api_route("/api/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    async def api_not_found(rest: str) -> JSONResponse:
        return JSONResponse({"error": "not_found", "detail": f"No API route /api/{rest}."}, 404)

    @app.get("/widget.js", include_in_schema=False)
    async def widget_js() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.js", media_type="text/javascript", headers={"Cache-Control": STATIC_CACHE}
        )

    @app.get("/widget.css", include_in_schema=False)
    async def widget_css() -> FileResponse:
        return FileResponse(STATIC_DIR / "widget.css", media_type="text/css", headers={"Cache-Control": STATIC_CACHE})

    @app.get("/embed", include_in_schema=False)
    async def embed(lang: str = "") -> HTMLResponse:
        return _embed_page(lang, settings)

    # Outermost last: CORS wraps everything so that even a 413 or 429 is readable by an allowed origin.
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        expose_headers=["Retry-After"],
        max_age=600,
    )

    demo = build_ui(settings, bot, limiter, FeedbackLog(settings.feedback_path))
    demo.queue(default_concurrency_limit=GRADIO_CONCURRENCY)
    # Gradio's queue polls every 1 ms (and its progress loop every 10 ms) when idle: ~9% of a core and
    # GIL hand-offs that slow the API's threads. 20 ms costs a chat message at most that much extra wait.
    demo._queue.sleep_when_free = demo._queue.progress_update_sleep_when_free = QUEUE_POLL_S
    return gr.mount_gradio_app(app, demo, path="/", css=CSS, ssr_mode=False)
