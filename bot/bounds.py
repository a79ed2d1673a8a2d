"""What one turn may cost: which earlier turns the bot reads and how much of each, and text every step can encode.

However long the conversation a client sends, a reply reads only the last few user turns, each cut to the
message limit, so the work beyond the message itself has a fixed ceiling (about 100 ms of CPU). Lone
surrogates (a JSON escape like "\\ud800" decodes to one) cannot be encoded as UTF-8 and would crash the
steps that encode text; they become U+FFFD, which the input check then counts as noise."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.validate import MAX_CHARS

EARLIER_USER_TURNS = 4  # the most any step looks back (red flags and topic carry-over use 3)
TURN_CHARS = MAX_CHARS  # an earlier user turn was a message once: the same limit
_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def earlier_user_turns(history: Sequence[Mapping[str, object]]) -> list[str]:
    """The user turns a reply reads, oldest first: the last EARLIER_USER_TURNS, each cut to TURN_CHARS."""
    turns: list[str] = []
    for turn in reversed(history):
        content = turn.get("content") if isinstance(turn, Mapping) else None
        if turn.get("role") == "user" and isinstance(content, str):
            turns.append(encodable(content[:TURN_CHARS]))
            if len(turns) == EARLIER_USER_TURNS:
                break
    return turns[::-1]


def bounded(message: object, history: Sequence[Mapping[str, object]]) -> tuple[object, list[str]]:
    """The message (encodable when it is text; its length is judged by the input check) and the earlier user
    turns a reply reads."""
    return (encodable(message) if isinstance(message, str) else message), earlier_user_turns(history)
