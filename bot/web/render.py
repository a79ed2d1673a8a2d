"""Reply -> chat-message markup for the Gradio UI.

Gradio renders HTML and Markdown inside chat messages, so every piece of user or article text is
`html.escape`d here before it reaches the component; the only tags in a message are the fixed ones below.
Blocks of our own markup are written on one line each: a Markdown HTML block ends at a blank line, and
text inside it is not read as Markdown, so an article's `*` or `_` shows as written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from urllib.parse import urlsplit

from bot.reply import Citation, PhoneNumber, RedFlag, Reply
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


def _citation_html(c: Citation, s: Mapping[str, object]) -> str:
    details = " · ".join(escape(x) for x in (c.publisher, f"{s['section']}: {c.section}" if c.section else "") if x)
    return (
        f'<li class="pb-citation"><p class="pb-cite-head"><strong>[{c.n}] {escape(c.title)}</strong>'
        f'<br><span class="pb-cite-meta">{details}</span></p>'
        f'<blockquote class="pb-quote">{text_html(c.text)}</blockquote>'
        f"{_source_html(c, str(s['open_source']))}</li>"
    )


def _sources_html(reply: Reply, s: Mapping[str, object]) -> str:
    items = "".join(_citation_html(c, s) for c in reply.citations)
    return (
        f'<details class="pb-sources"><summary>{escape(str(s["sources"]))} ({len(reply.citations)})</summary>'
        f'<ol class="pb-citations">{items}</ol></details>'
    )


def render_reply(reply: Reply, ui_language: str) -> str:
    """One assistant chat message. Labels follow the reply's language so the message reads as one piece;
    a reply in a language without UI strings falls back to the UI language."""
    s = strings_for(reply.language, ui_language)
    parts = []
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
