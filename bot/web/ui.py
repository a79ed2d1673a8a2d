"""The Gradio chat page served at /.

Each session keeps its own turns (message + Reply) in a gr.State; the chat is re-rendered from them, so
what the bot sees as history is always the plain text, never the markup shown on screen."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

import gradio as gr

from bot.config import Settings
from bot.reply import Reply
from bot.validate import MAX_CHARS
from bot.web.api import ReplyingBot
from bot.web.embed import welcome_numbers
from bot.web.feedback import FeedbackLog
from bot.web.guards import RateLimiter
from bot.web.render import render_reply, render_user, welcome_html
from bot.web.strings import load_ui_strings, negotiate, pick_language, strings_for

MAX_SESSION_TURNS = 100  # older turns leave the screen; the bot only looks at recent ones anyway
PAGE_SCRIPT = Path(__file__).resolve().parent / "static" / "page.js"
EXAMPLE_BUTTONS = 4

CSS_FILE = Path(__file__).resolve().parent / "static" / "page.css"


@dataclass
class Turn:
    message: str
    reply: Reply


def page_options() -> dict:
    """How Gradio serves the page: no run history kept in the browser, no footer links (its "Runs" page
    showed other people's questions on a shared computer), our CSS and page script."""
    return {
        "css": CSS_FILE.read_text(encoding="utf-8"),
        "head": f"<script>{PAGE_SCRIPT.read_text(encoding='utf-8')}</script>",
        "footer_links": [],
        "run_history": False,
    }


def build_ui(settings: Settings, bot: ReplyingBot, limiter: RateLimiter, feedback: FeedbackLog) -> gr.Blocks:
    strings = load_ui_strings()
    default = pick_language(settings.ui_language)

    def header(lang: str) -> str:
        s = strings[lang]
        title, intro = escape(str(s["title"])), escape(str(s["intro"]))
        return f'<div class="pb-header-text" lang="{lang}"><h1>{title}</h1><p>{intro}</p></div>'

    def welcome(lang: str) -> str:
        return welcome_html(strings[lang], welcome_numbers(settings.country_for(lang), lang))

    def examples(lang: str) -> list[str]:
        return (list(strings[lang]["examples"]) * EXAMPLE_BUTTONS)[:EXAMPLE_BUTTONS]

    def chat_messages(turns: list[Turn], ui_lang: str) -> list[dict]:
        messages = []
        for t in turns:
            messages.append({"role": "user", "content": render_user(t.message)})
            messages.append({"role": "assistant", "content": render_reply(t.reply, ui_lang)})
        return messages

    def respond(message: str, turns: list[Turn], ui_lang: str, request: gr.Request):
        if not message.strip():
            return gr.update(), gr.update(), turns
        host = request.client.host if request and request.client else "unknown"
        wait = limiter.hit(host)
        if wait:
            gr.Warning(strings_for(ui_lang)["rate_limited"].format(seconds=wait))
            return gr.update(), gr.update(), turns
        history = []
        for t in turns:
            history += [
                {"role": "user", "content": t.message},
                {"role": "assistant", "content": t.reply.text},
            ]
        reply = bot.reply(message, history)
        turns = [*turns, Turn(message, reply)][-MAX_SESSION_TURNS:]
        return "", chat_messages(turns, ui_lang), turns

    def vote(turns: list[Turn], ui_lang: str, data: gr.LikeData, request: gr.Request) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if data.liked not in (True, False) or not 0 <= index // 2 < len(turns):
            return  # an undone vote, or a message no longer on screen
        turn = turns[index // 2]
        doc_ids = list(dict.fromkeys(c.doc_id for c in turn.reply.citations))
        client = request.client.host if request and request.client else ""
        feedback.append(turn.message, turn.reply.kind, doc_ids, "up" if data.liked else "down", client)
        gr.Info(strings_for(ui_lang)["feedback_thanks"])

    def relabel(ui_lang: str, turns: list[Turn]):
        s = strings_for(ui_lang, default)
        return (
            header(ui_lang),
            gr.update(label=s["ui_language_label"]),
            gr.update(label=s["input_label"], placeholder=s["input_placeholder"]),
            gr.update(value=s["send"]),
            escape(s["disclaimer"]),
            gr.update(placeholder=welcome(ui_lang), value=chat_messages(turns, ui_lang)),
            *(gr.update(value=q) for q in examples(ui_lang)),
        )

    def language_of_visitor(request: gr.Request) -> str:
        """?lang= when given, else the browser's Accept-Language, else the deployment's UI language."""
        if request is None:
            return default
        asked = request.query_params.get("lang")
        return pick_language(asked) if asked in strings else negotiate(request.headers.get("accept-language"), default)

    s = strings[default]
    with gr.Blocks(title="painbot", fill_height=True) as demo:
        with gr.Column(elem_id="pb-page"):
            with gr.Row(equal_height=True, elem_id="pb-top"):
                title = gr.HTML(header(default), elem_id="pb-header")
                ui_lang = gr.Dropdown(
                    choices=[(strings[code]["language_name"], code) for code in strings],
                    value=default,
                    label=s["ui_language_label"],
                    elem_id="pb-ui-lang",
                    scale=0,
                    min_width=140,
                )
            disclaimer = gr.Markdown(escape(s["disclaimer"]), elem_id="pb-disclaimer")
            chatbot = gr.Chatbot(
                elem_id="pb-chat",
                show_label=False,
                height="52vh",
                min_height=300,
                sanitize_html=True,
                render_markdown=True,
                line_breaks=True,
                autoscroll=False,  # the page script shows a new reply from its start (an emergency's numbers first)
                placeholder=welcome(default),
                feedback_options=("Like", "Dislike"),
                buttons=["copy"],
            )
            with gr.Row(equal_height=True):
                box = gr.Textbox(
                    label=s["input_label"],
                    placeholder=s["input_placeholder"],
                    lines=1,  # Enter sends, Shift+Enter adds a line; the box grows to max_lines
                    max_lines=6,
                    max_length=MAX_CHARS,
                    scale=5,
                    min_width=200,
                    elem_id="pb-input",
                    autofocus=True,
                )
                send = gr.Button(s["send"], variant="primary", scale=1, min_width=90, elem_id="pb-send")
            with gr.Row(elem_id="pb-examples"):
                example_buttons = [
                    gr.Button(q, size="sm", variant="secondary", elem_classes="pb-example") for q in examples(default)
                ]
        turns = gr.State([])

        ask = {
            "fn": respond,
            "inputs": [box, turns, ui_lang],
            "outputs": [box, chatbot, turns],
            "show_progress": "minimal",
        }
        box.submit(**ask)
        send.click(**ask)
        for button in example_buttons:
            button.click(lambda q: q, button, box, show_progress="hidden").then(**ask)
        chatbot.like(vote, [turns, ui_lang], None)
        chatbot.clear(list, None, turns)  # the chat's own Clear button also forgets the turns
        ui_lang.change(
            relabel,
            [ui_lang, turns],
            [title, ui_lang, box, send, disclaimer, chatbot, *example_buttons],
            show_progress="hidden",
        )
        demo.load(language_of_visitor, None, ui_lang, show_progress="hidden")
    return demo
