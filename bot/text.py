"""Text folding shared by retrieval, rules and the glossary: one normal form, so that
"Hälsenan", "halsenan" and "HÄLSENAN" meet."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode decomposition does not split; folded the way people type them without the key.
_SPECIAL = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe"})
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (å→a, ä→a, ö→o, ø→o, æ→ae) and collapse whitespace."""
    text = text.lower().translate(_SPECIAL)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Folded word tokens."""
    return _WORD.findall(fold(text))
