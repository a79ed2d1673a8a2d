"""The clinic-facing surfaces: /widget.js (+ .css), /embed for iframes, the widget's configuration and its
thumbs up/down under /api.

/widget.js is the static script with a small preamble of fallback texts and emergency numbers in every UI
language, so a page whose painbot server is down or refuses its origin still shows a "chat unavailable"
button with the number to call, instead of nothing."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from bot import yamlfile
from bot.config import DATA_DIR, DEFAULT_COUNTRY_BY_LANGUAGE, Settings
from bot.validate import MAX_CHARS
from bot.web.embed_clinic import Clinic
from bot.web.feedback import FeedbackLog
from bot.web.guards import RateLimiter, same_or_allowed_origin
from bot.web.strings import language_name, load_ui_strings, negotiate, pick_language

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_CACHE = "public, max-age=300"
MAX_DOC_IDS = 12


class FeedbackIn(BaseModel):
    message: str = Field(max_length=MAX_CHARS)
    kind: Literal["answer", "redflag", "out_of_scope", "invalid", "clarify"]
    doc_ids: list[str] = Field(default_factory=list, max_length=MAX_DOC_IDS)
    vote: Literal["up", "down"]


@lru_cache(maxsize=1)
def _countries() -> dict:
    return (yamlfile.safe_load((DATA_DIR / "countries.yaml").read_text(encoding="utf-8")) or {}).get("countries") or {}


def welcome_numbers(country: str, lang: str) -> list[dict]:
    """The numbers a welcome or an error names: the country's emergency and same-day advice numbers; with no
    country known, every country's emergency number under the country's code."""
    countries = _countries()
    if country in countries:
        numbers = countries[country]["numbers"]
        return [{"number": n["number"], "label": n["service"]} for kind in ("emergency", "advice") for n in
                numbers.get(kind, [])[:1]]
    return [
        {"number": data["numbers"]["emergency"][0]["number"], "label": f"{data['numbers']['emergency'][0]['service']}"
         f" ({code})"}
        for code, data in countries.items()
    ]


def chosen_country(requested: str, clinic: Clinic) -> str:
    """A country a page or the clinic chose: data-country / ?country= when known, else the clinic's; the bot
    then gives that country's numbers whatever language the visitor writes in."""
    requested = (requested or "").upper()
    return requested if requested in _countries() else clinic.country


def country_for(requested: str, clinic: Clinic, settings: Settings, lang: str) -> str:
    """The chosen country, else the deployment's, else the UI language's."""
    return chosen_country(requested, clinic) or settings.country or DEFAULT_COUNTRY_BY_LANGUAGE.get(lang, "")


@lru_cache(maxsize=1)
def widget_script() -> str:
    """widget.js with the texts it needs when the server cannot be reached."""
    strings = load_ui_strings()
    builtin = {
        code: {
            "unavailable": s["unavailable"],
            "error_emergency": s["error_emergency"],
            "open_chat": s["open_chat"],
            "close_chat": s["close_chat"],
            "numbers": welcome_numbers(DEFAULT_COUNTRY_BY_LANGUAGE.get(code, ""), code),
        }
        for code, s in strings.items()
    }
    preamble = f"var PAINBOT_BUILTIN = {json.dumps(builtin, ensure_ascii=False)};\n"
    return preamble + (STATIC_DIR / "widget.js").read_text(encoding="utf-8")


def _origin_of(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _page(lang: str, title: str, body: str, csp: str) -> HTMLResponse:
    page = (
        f'<!doctype html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
        f'<link rel="stylesheet" href="/widget.css">\n</head>\n<body class="pb-embed">\n<main>\n{body}\n</main>\n'
        "</body>\n</html>\n"
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})


def _csp(ancestors: str) -> str:
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        f"base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )


def _refused_embed(lang: str, origin: str, country: str) -> HTMLResponse:
    """What an iframe on a site that may not show the chat gets: why, and the number to call."""
    s = load_ui_strings()[lang]
    numbers = "".join(
        f'<li><a class="pb-number" href="tel:{escape(n["number"].replace(" ", ""))}">{escape(n["number"])}</a> '
        f'<span class="pb-number-label">{escape(n["label"])}</span></li>'
        for n in welcome_numbers(country, lang)
    )
    body = (
        f'<div class="pb-refused" role="alert"><h1>{escape(str(s["unavailable"]))}</h1>'
        f'<p>{escape(str(s["origin_not_allowed"]).format(origin=origin))}</p>'
        f'<p>{escape(str(s["error_emergency"]))}</p><ul class="pb-numbers">{numbers}</ul></div>'
    )
    return _page(lang, str(s["widget_title"]), body, _csp("*"))


def embed_router(settings: Settings, clinic: Clinic, limiter: RateLimiter, feedback: FeedbackLog) -> APIRouter:
    router = APIRouter()

    def allowed(origin: str | None, request: Request) -> bool:
        h = request.headers
        return same_or_allowed_origin(origin, h.get("host"), h.get("x-forwarded-host"), settings.allowed_origins)

    def check_origin(request: Request) -> None:
        if not allowed(request.headers.get("origin"), request):
            raise HTTPException(403, {"error": "origin_not_allowed", "detail": "See PAINBOT_ALLOWED_ORIGINS."})

    def check_rate(request: Request) -> None:
        wait = limiter.hit(request.client.host if request.client else "unknown")
        if wait:
            raise HTTPException(
                429, {"error": "rate_limited", "detail": f"Retry in {wait} s."}, headers={"Retry-After": str(wait)}
            )

    @router.get("/widget.js", include_in_schema=False)
    async def widget_js() -> Response:
        return Response(widget_script(), media_type="text/javascript", headers={"Cache-Control": STATIC_CACHE})

    @router.get("/widget.css", include_in_schema=False)
    async def widget_css() -> Response:
        css = (STATIC_DIR / "widget.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css", headers={"Cache-Control": STATIC_CACHE})

    @router.get("/embed", include_in_schema=False)
    async def embed(request: Request, lang: str = "", country: str = "") -> HTMLResponse:
        lang = pick_language(lang) if lang else negotiate(request.headers.get("accept-language"), settings.ui_language)
        country = country_for(country, clinic, settings, lang)
        parent = _origin_of(request.headers.get("referer"))
        if request.headers.get("sec-fetch-dest") == "iframe" and parent and not allowed(parent, request):
            return _refused_embed(lang, parent, country)
        ancestors = "*" if "*" in settings.allowed_origins else " ".join(("'self'", *settings.allowed_origins))
        script = (
            f'<script src="/widget.js" data-mode="inline" data-lang="{escape(lang)}" '
            f'data-country="{escape(country)}"></script>'
        )
        return _page(lang, str(load_ui_strings()[lang]["widget_title"]), script, _csp(ancestors))

    @router.get("/api/widget", summary="The widget's start: UI strings, clinic settings, welcome numbers.")
    async def widget_config(lang: str = "", prefer: str = "", country: str = "") -> dict:
        strings = load_ui_strings()
        code = lang if lang in strings else negotiate(prefer, settings.ui_language)
        return {
            "lang": code,
            "languages": [{"code": c, "name": language_name(c)} for c in strings],
            "strings": strings[code],
            "names": {c: language_name(c) for c in strings},
            "max_message_chars": MAX_CHARS,
            "clinic": clinic.public(code),
            "country": chosen_country(country, clinic),
            "numbers": welcome_numbers(country_for(country, clinic, settings, code), code),
        }

    @router.post(
        "/api/feedback",
        status_code=204,
        dependencies=[Depends(check_origin), Depends(check_rate)],
        summary="Thumbs up or down on one reply, stored like the chat page's votes (no client data).",
    )
    async def vote(body: FeedbackIn) -> Response:
        feedback.append(body.message, body.kind, [d[:80] for d in body.doc_ids], body.vote)
        return Response(status_code=204)

    return router
