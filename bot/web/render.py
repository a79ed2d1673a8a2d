"""Reply -> chat-message markup for the Gradio UI.

Gradio renders HTML and Markdown inside chat messages, so every piece of user or article text is
`html.escape`d here before it reaches the component; the only tags in a message are the fixed ones below.
Blocks of our own markup are written on one line each: a Markdown HTML block ends at a blank line, and
text inside it is not read as Markdown, so an article's `*` or `_` shows as written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from urllib.parse import quote as url_quote
from urllib.parse import urlencode, urlsplit

from bot.reply import Citation, PhoneNumber, Quote, RedFlag, Reply
from bot.web.strings import language_name, strings_for

_NOT_DIALABLE = re.compile(r"[^0-9+]")
_QUOTE_MARKER = re.compile(r"^&gt;", re.MULTILINE)


def text_html(text: str) -> str:
    """Plain text as one line of escaped HTML; newlines become <br>."""
    return escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def markdown_html(text: str) -> str:
    """Markdown with all HTML escaped. A '>' that opens a line is put back: it is Markdown's quote marker
    and cannot start a tag (only '<' can), so the reply's quoted sentences stay block quotes."""
    return _QUOTE_MARKER.sub(">", escape(text))


def render_user(message: str) -> str:
    """A user's message, shown exactly as typed (no HTML, no Markdown)."""
    return f'<div class="pb-user-text">{text_html(message)}</div>'


def _number_html(phone: PhoneNumber) -> str:
    number = escape(phone.number)
    dial = _NOT_DIALABLE.sub("", phone.number)
    big = f'<a class="pb-number" href="tel:{dial}">{number}</a>' if dial else f'<span class="pb-number">{number}</span>'
    return f'<li>{big} <span class="pb-number-label">{escape(phone.label)}</span></li>'


def welcome_html(s: Mapping[str, object], numbers: list[dict]) -> str:
    """The empty chat's welcome: what the bot answers, that it is no doctor, the numbers to call."""
    items = "".join(_number_html(PhoneNumber(n["number"], n["label"])) for n in numbers)
    return (
        f'<div class="pb-welcome"><p class="pb-welcome-title">{escape(str(s["welcome_title"]))}</p>'
        f'<p>{escape(str(s["welcome_body"]))}</p><p>{escape(str(s["welcome_numbers"]))}</p>'
        f'<ul class="pb-numbers">{items}</ul></div>'
    )


def _emergency_html(flag: RedFlag, s: Mapping[str, object]) -> str:
    title = s["emergency_title"] if flag.level == "emergency" else s["urgent_title"]
    numbers = "".join(_number_html(p) for p in flag.numbers)
    numbers_html = f'<ul class="pb-numbers">{numbers}</ul>' if numbers else ""
    return (
        f'<div class="pb-emergency pb-level-{escape(flag.level)}" role="alert">'
        f'<p class="pb-emergency-title">{escape(str(title))}</p>{numbers_html}</div>'
    )


def _source_html(c: Citation, label: str) -> str:
    """A link only for http(s) URLs; a source name stays text, and is left out when it is the publisher."""
    if urlsplit(c.source).scheme in ("http", "https"):
        return (
            f'<p><a class="pb-source-link" href="{escape(c.source, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{escape(label)}</a></p>'
        )
    if c.source and c.source != c.publisher:
        return f'<p class="pb-source-name">{escape(c.source)}</p>'
    return ""


def source_view_href(c: Citation, quotes: list[Quote]) -> str:
    """/source/<doc_id> with the quoted unit to highlight: its unit ids, and the quoted text as a fallback."""
    params = {"unit": " ".join(q.unit_id for q in quotes if q.unit_id)}
    params["q"] = " ".join(q.original or q.text for q in quotes) if quotes else c.text
    return f"/source/{url_quote(c.doc_id, safe='')}?{urlencode({k: v for k, v in params.items() if v})}"


def _quote_html(q: Quote, s: Mapping[str, object]) -> str:
    quote = f'<blockquote class="pb-quote" lang="{escape(q.language)}">{text_html(q.text)}</blockquote>'
    if not (q.translated_from and q.original):
        return quote
    label = str(s["translated_from"]).format(language=language_name(q.translated_from))
    return (
        f'{quote}<p class="pb-translated">{escape(label)}</p>'
        f'<details class="pb-original"><summary>{escape(str(s["show_original"]))}</summary>'
        f'<blockquote class="pb-quote" lang="{escape(q.translated_from)}">{text_html(q.original)}</blockquote>'
        "</details>"
    )


def _citation_html(c: Citation, quotes: list[Quote], s: Mapping[str, object]) -> str:
    details = " · ".join(escape(x) for x in (c.publisher, f"{s['section']}: {c.section}" if c.section else "") if x)
    body = "".join(_quote_html(q, s) for q in quotes) or (
        f'<blockquote class="pb-quote" lang="{escape(c.language)}">{text_html(c.text)}</blockquote>'
    )
    view = (
        f'<p><a class="pb-source-view" href="{escape(source_view_href(c, quotes), quote=True)}" target="_blank" '
        f'rel="noopener">{escape(str(s["source_view"]))}</a></p>'
    )
    return (
        f'<li class="pb-citation"><p class="pb-cite-head"><strong>[{c.n}] {escape(c.title)}</strong>'
        f'<br><span class="pb-cite-meta">{details}</span></p>{body}{view}'
        f"{_source_html(c, str(s['open_source']))}</li>"
    )


def _sources_html(reply: Reply, s: Mapping[str, object]) -> str:
    items = "".join(_citation_html(c, [q for q in reply.quotes if q.n == c.n], s) for c in reply.citations)
    return (
        f'<details class="pb-sources"><summary>{escape(str(s["sources"]))} ({len(reply.citations)})</summary>'
        f'<ol class="pb-citations">{items}</ol></details>'
    )


def render_reply(reply: Reply, ui_language: str) -> str:
    """One assistant chat message. Labels follow the reply's language so the message reads as one piece;
    a reply in a language without UI strings falls back to the UI language."""
    s = strings_for(reply.language, ui_language)
    parts = [f'<div class="pb-lang-mark" lang="{escape(reply.language)}"></div>']  # the page script reads it
    if reply.kind == "redflag" and reply.red_flag is not None:
        parts.append(_emergency_html(reply.red_flag, s))
    elif reply.kind in ("out_of_scope", "invalid"):
        parts.append(f'<p class="pb-badge pb-{reply.kind.replace("_", "-")}">{escape(str(s[reply.kind]))}</p>')
    parts.append(markdown_html(reply.text))  # Markdown by contract
    if reply.citations:
        parts.append(_sources_html(reply, s))
    label = str(s["detected_language"]).format(language=language_name(reply.language))
    parts.append(f'<p class="pb-lang">{escape(label)}</p>')
    return "\n\n".join(parts)
