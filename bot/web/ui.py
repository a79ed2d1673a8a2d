"""The Gradio chat page served at /.

Each session keeps its own turns (message + Reply) in a gr.State; the chat is re-rendered from them, so
what the bot sees as history is always the plain text, never the markup shown on screen."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import gradio as gr

from bot.config import Settings
from bot.reply import Reply
from bot.validate import MAX_CHARS
from bot.web.api import ReplyingBot
from bot.web.feedback import FeedbackLog
from bot.web.guards import RateLimiter
from bot.web.render import render_reply, render_user
from bot.web.strings import load_ui_strings, pick_language, strings_for

MAX_SESSION_TURNS = 100  # older turns leave the screen; the bot only looks at recent ones anyway

CSS = """
#pb-page { max-width: 900px; margin: 0 auto; }
.pb-emergency { border: 3px solid #b00020; background: #fdecee; color: #5c0011; border-radius: 8px;
  padding: 0.6em 0.9em; margin-bottom: 0.6em; }
.pb-emergency.pb-level-urgent { border-color: #b35c00; background: #fff4e5; color: #4d2800; }
.pb-emergency * { color: #5c0011 !important; }
.pb-emergency.pb-level-urgent * { color: #4d2800 !important; }
.pb-emergency-title { font-weight: 700; font-size: 1.15em; margin: 0 0 0.3em; }
.pb-numbers { list-style: none; padding: 0; margin: 0; }
.pb-numbers li { margin: 0.2em 0; }
.pb-number { font-size: 1.3em; font-weight: 800; letter-spacing: 0.03em; color: inherit !important; }
.pb-numbers li:first-child .pb-number { font-size: 2.2em; }
.pb-number-label { font-size: 1em; margin-left: 0.4em; }
.pb-badge { display: inline-block; font-weight: 700; border-radius: 6px; padding: 0.15em 0.6em; margin: 0; }
.pb-out-of-scope { background: #e8eaf6; color: #1a237e; border: 1px solid #3949ab; }
.pb-invalid { background: #f3e5f5; color: #4a148c; border: 1px solid #7b1fa2; }
.pb-sources { margin-top: 0.6em; border-top: 1px solid #ccc; padding-top: 0.4em; }
.pb-sources summary { cursor: pointer; font-weight: 700; }
.pb-quote { margin: 0.3em 0; padding-left: 0.7em; border-left: 3px solid #999; font-style: italic; }
.pb-cite-meta { font-size: 0.9em; opacity: 0.85; }
.pb-lang { font-size: 0.8em; opacity: 0.75; margin-top: 0.5em; }
#pb-disclaimer { font-size: 0.85em; opacity: 0.85; }
@media (max-width: 480px) { .pb-numbers li:first-child .pb-number { font-size: 1.8em; } }
"""


@dataclass
class Turn:
    message: str
    reply: Reply


def build_ui(settings: Settings, bot: ReplyingBot, limiter: RateLimiter, feedback: FeedbackLog) -> gr.Blocks:
    strings = load_ui_strings()
    default = pick_language(settings.ui_language)
    examples = [[q] for lang in strings for q in strings[lang]["examples"]]

    def header(lang: str) -> str:
        s = strings[lang]
        return f"## {escape(s['title'])}\n\n{escape(s['intro'])}"

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

    def pick_example(sample: list[str]) -> str:
        return sample[0]

    def vote(turns: list[Turn], ui_lang: str, data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if data.liked not in (True, False) or not 0 <= index // 2 < len(turns):
            return  # an undone vote, or a message no longer on screen
        turn = turns[index // 2]
        doc_ids = list(dict.fromkeys(c.doc_id for c in turn.reply.citations))
        feedback.append(turn.message, turn.reply.kind, doc_ids, "up" if data.liked else "down")
        gr.Info(strings_for(ui_lang)["feedback_thanks"])

    def relabel(ui_lang: str):
        s = strings_for(ui_lang, default)
        return (
            header(ui_lang),
            gr.update(label=s["ui_language_label"]),
            gr.update(label=s["input_label"], placeholder=s["input_placeholder"]),
            gr.update(value=s["send"]),
            gr.update(label=s["examples_label"]),
            escape(s["disclaimer"]),
        )

    def language_from_url(request: gr.Request) -> str:
        return pick_language(request.query_params.get("lang") if request else None, default)

    s = strings[default]
    with gr.Blocks(title="painbot", fill_height=True) as demo:
        with gr.Column(elem_id="pb-page"):
            with gr.Row(equal_height=True):
                title = gr.Markdown(header(default), elem_id="pb-header")
                ui_lang = gr.Dropdown(
                    choices=[(strings[code]["language_name"], code) for code in strings],
                    value=default,
                    label=s["ui_language_label"],
                    elem_id="pb-ui-lang",
                    scale=0,
                    min_width=140,
                )
            chatbot = gr.Chatbot(
                elem_id="pb-chat",
                show_label=False,
                height="70vh",
                min_height=360,
                sanitize_html=True,
                render_markdown=True,
                line_breaks=True,
                feedback_options=("Like", "Dislike"),
                buttons=["copy", "copy_all"],
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
            samples = gr.Dataset(
                components=[box],
                samples=examples,
                label=s["examples_label"],
                elem_id="pb-examples",
                samples_per_page=len(examples),
            )
            disclaimer = gr.Markdown(escape(s["disclaimer"]), elem_id="pb-disclaimer")
        turns = gr.State([])

        ask = {
            "fn": respond,
            "inputs": [box, turns, ui_lang],
            "outputs": [box, chatbot, turns],
            "show_progress": "minimal",
        }
        box.submit(**ask)
        send.click(**ask)
        samples.click(pick_example, samples, box, show_progress="hidden").then(**ask)
        chatbot.like(vote, [turns, ui_lang], None)
        chatbot.clear(list, None, turns)  # the chat's own Clear button also forgets the turns
        ui_lang.change(relabel, ui_lang, [title, ui_lang, box, send, samples, disclaimer], show_progress="hidden")
        demo.load(language_from_url, None, ui_lang, show_progress="hidden")
    return demo
