"""/source/<doc_id>: the cited article as the bot read it, with the quoted passage highlighted, so a reader can
check a citation in its context; the publisher, the original address (when recorded) and the date on top.

Every piece of article text is escaped: the page has no script and a CSP that allows none."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.corpus import Document, Segment, load_corpus, segments
from bot.web.strings import load_ui_strings, negotiate, pick_language

_SPACE = re.compile(r"\s+")
_IDS = re.compile(r"[0-9a-f]{12}")
MIN_QUOTE_MATCH = 12  # shorter segments ("Yes.") would light up all over the article
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def highlighted(segs: list[Segment], unit: str, quote: str) -> set[str]:
    """Ids of the segments to highlight: those named in `unit` (segment ids in any separator), else those whose
    text is part of the quoted text."""
    ids = set(_IDS.findall(unit.lower())) & {s.id for s in segs}
    if ids:
        return ids
    wanted = _norm(quote)
    return {s.id for s in segs if len(s.text) >= MIN_QUOTE_MATCH and _norm(s.text) in wanted} if wanted else set()


def _article_html(segs: list[Segment], marked: set[str]) -> str:
    out: list[str] = []
    first_mark = True
    for seg in segs:
        text = escape(seg.prefix + seg.text)
        if seg.id in marked:
            anchor = ' id="pb-quoted"' if first_mark else ""
            first_mark = False
            text = f"<mark{anchor}>{text}</mark>"
        if seg.is_heading:
            tag = "h2" if seg.subheading is None else "h3"
            out.append(f"</p><{tag}>{text}</{tag}><p>")
        elif seg.sep.startswith("\n\n"):
            out.append(f"</p><p>{text}")
        elif seg.sep == "\n":
            out.append(f"<br>{text}")
        else:
            out.append(f"{seg.sep}{text}")
    return ("<p>" + "".join(out) + "</p>").replace("<p></p>", "")


def _address_html(doc: Document, s: dict) -> str:
    if urlsplit(doc.source).scheme in ("http", "https"):
        link = f'<a href="{escape(doc.source, quote=True)}" rel="noopener noreferrer">{escape(doc.source)}</a>'
        return f"<dt>{escape(s['original_address'])}</dt><dd>{link}</dd>"
    note = escape(s["no_address"]) + (f" ({escape(doc.source)})" if doc.source != doc.publisher else "")
    return f"<dt>{escape(s['original_address'])}</dt><dd>{note}</dd>"


def source_page(doc: Document, ui_lang: str, unit: str = "", quote: str = "") -> str:
    s = {k: str(v) for k, v in load_ui_strings()[ui_lang].items() if isinstance(v, str)}
    segs = segments(doc)
    marked = highlighted(segs, unit, quote)
    meta = f"<dt>{escape(s['publisher'])}</dt><dd>{escape(doc.publisher)}</dd>{_address_html(doc, s)}"
    if doc.updated:
        date = escape(doc.updated)
        meta += f'<dt>{escape(s["updated"])}</dt><dd><time datetime="{date}">{date}</time></dd>'
    note = f'<p class="pb-note"><a href="#pb-quoted">{escape(s["quoted_passage"])}</a></p>' if marked else ""
    return (
        f'<!doctype html>\n<html lang="{escape(ui_lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(doc.title)}</title>\n"
        '<link rel="stylesheet" href="/widget.css">\n</head>\n<body class="pb-source-page">\n<main>\n'
        f'<h1 lang="{escape(doc.language)}">{escape(doc.title)}</h1>\n<dl class="pb-source-meta">{meta}</dl>\n{note}\n'
        f'<article lang="{escape(doc.language)}">{_article_html(segs, marked)}</article>\n</main>\n</body>\n</html>\n'
    )


def source_router(corpus_dir: Path, ui_language: str) -> APIRouter:
    router = APIRouter()

    @lru_cache(maxsize=1)
    def documents() -> dict[str, Document]:
        return {d.doc_id: d for d in load_corpus(corpus_dir)}

    @router.get("/source/{doc_id}", include_in_schema=False)
    async def source(request: Request, doc_id: str, unit: str = "", q: str = "", lang: str = "") -> HTMLResponse:
        ui_lang = pick_language(lang) if lang else negotiate(request.headers.get("accept-language"), ui_language)
        headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}
        doc = documents().get(doc_id)
        if doc is None:
            text = escape(str(load_ui_strings()[ui_lang]["unknown_article"]))
            page = f'<!doctype html><html lang="{ui_lang}"><title>painbot</title><main><p>{text}</p></main></html>'
            return HTMLResponse(page, 404, headers=headers)
        return HTMLResponse(source_page(doc, ui_lang, unit, q[:4000]), headers=headers)

    return router
