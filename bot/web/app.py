"""One ASGI app: JSON API under /api, the widget files, /embed, OpenAPI at /docs, and the Gradio UI at /.

Our routes are registered before Gradio is mounted at "/", so they win; everything else is Gradio's."""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

import gradio as gr
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from bot.config import Settings
from bot.validate import MAX_CHARS
from bot.web.api import MAX_BODY_BYTES, ReplyingBot, api_router
from bot.web.embed import embed_router
from bot.web.embed_clinic import load_clinic
from bot.web.feedback import FeedbackLog
from bot.web.guards import BodyLimitMiddleware, GateLimits, GradioGate, RateLimiter, SecurityHeadersMiddleware
from bot.web.source import source_router
from bot.web.ui import build_ui, page_options

GRADIO_CONCURRENCY = 8  # replies take ~20 ms of CPU; more parallel jobs than this only queue on 2 cores
QUEUE_POLL_S = 0.02
GRADIO_EVENTS_PER_MESSAGE = 5  # page load, language switch, example click, vote: the cheap events a message brings
# Nothing of a conversation stays behind or leaves: no run history, no monitoring page, no PWA, no MCP, and
# errors reach the browser as a generic message (the detail only in the server log).
PRIVATE_GRADIO = {"show_error": False, "run_history": False, "enable_monitoring": False, "pwa": False,
                  "mcp_server": False}  # fmt: skip
DOCS_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


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


def _docs_dir() -> Path:
    """Swagger UI's files as the fastapi-offline package ships them, served from here instead of a CDN."""
    spec = find_spec("fastapi_offline")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _install_docs(app: FastAPI) -> None:
    """/docs with Swagger UI served from this server: a clinic's visitors load nothing from third parties."""
    folder = _docs_dir()

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="painbot API",
            swagger_js_url="/docs/swagger-ui-bundle.js",
            swagger_css_url="/docs/swagger-ui.css",
            swagger_favicon_url="/docs/favicon.png",
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @app.get("/docs/{name}", include_in_schema=False)
    async def docs_file(name: str) -> FileResponse:
        if name not in DOCS_FILES:
            raise HTTPException(404, {"error": "not_found", "detail": "Not found."})
        return FileResponse(folder / name, headers={"Cache-Control": "public, max-age=3600"})


def _gate_gradio(app: FastAPI, settings: Settings) -> None:
    """Puts GradioGate in front of the Gradio app mounted at "/" (our own routes are matched before it)."""
    events = RateLimiter(settings.rate_limit_per_minute * GRADIO_EVENTS_PER_MESSAGE)
    limits = GateLimits(max_body_bytes=MAX_BODY_BYTES, max_chars=MAX_CHARS)
    for route in app.router.routes:
        if isinstance(route, Mount) and route.path == "":
            route.app = GradioGate(route.app, limits, events, lambda scope: (scope.get("client") or ("unknown",))[0])
            return
    raise RuntimeError("the Gradio app is not mounted at /")


def create_app(settings: Settings, bot: ReplyingBot) -> FastAPI:
    # Read by Gradio when the Blocks are made: no analytics and no version check calling out from the server.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    limiter = RateLimiter(settings.rate_limit_per_minute)
    app = FastAPI(
        title="painbot",
        summary="Answers leg, foot, heel and sciatic pain questions from vetted articles, citing sources.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    _install_error_handlers(app)
    if settings.docs:
        _install_docs(app)
    app.include_router(api_router(settings, bot, limiter))
    feedback = FeedbackLog(settings.feedback_path, settings.feedback_max_bytes)
    app.include_router(embed_router(settings, load_clinic(), limiter, feedback))
    app.include_router(source_router(settings.corpus_dir, settings.ui_language))

    @app.api_route("/api/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    async def api_not_found(rest: str) -> JSONResponse:
        return JSONResponse({"error": "not_found", "detail": f"No API route /api/{rest}."}, 404)

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
    app.add_middleware(SecurityHeadersMiddleware)

    demo = build_ui(settings, bot, limiter, feedback)
    demo.queue(default_concurrency_limit=GRADIO_CONCURRENCY)
    # Gradio's queue polls every 1 ms (and its progress loop every 10 ms) when idle: ~9% of a core and
    # GIL hand-offs that slow the API's threads. 20 ms costs a chat message at most that much extra wait.
    demo._queue.sleep_when_free = demo._queue.progress_update_sleep_when_free = QUEUE_POLL_S
    app = gr.mount_gradio_app(app, demo, path="/", ssr_mode=False, **{**page_options(), **PRIVATE_GRADIO})
    _gate_gradio(app, settings)
    return app
