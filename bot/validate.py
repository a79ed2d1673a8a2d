"""Input checks before anything else runs: a message the pipeline cannot use gets a named problem, not a crash."""

from __future__ import annotations

import unicodedata

MAX_CHARS = 2000
# Share of characters that are controls, unassigned code points or decoding replacements above which the
# message is taken for binary data rather than text with a stray symbol.
MAX_NOISE_SHARE = 0.02


def problem(message: object) -> str | None:
    """``None`` for usable text, else one of: empty, too_long, binary."""
    if not isinstance(message, str):
        return "binary"
    if not message.strip():
        return "empty"
    if len(message) > MAX_CHARS:
        return "too_long"
    noise = sum(
        1 for c in message
        if c == "\ufffd" or (unicodedata.category(c) in ("Cc", "Cn", "Cs", "Co") and c not in "\n\r\t")
    )
    if "\x00" in message or noise > max(0, MAX_NOISE_SHARE * len(message)):
        return "binary"
    return None
