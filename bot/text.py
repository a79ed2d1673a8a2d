"""Text folding shared by retrieval, rules and the glossary: one normal form, so that
"Hälsenan", "halsenan" and "HÄLSENAN" meet."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that split a word without showing: soft hyphen, zero-width space/joiners, word
# joiner, byte-order mark. Typed or pasted inside a word they hide it from every matcher.
_INVISIBLE = re.compile("(?<=\\w)[\u00ad\u200b\u200c\u200d\u2060\ufeff]+(?=\\w)")
# Cyrillic and Greek letters drawn like Latin ones. Inside an otherwise Latin word they are read as Latin.
_LOOKALIKE = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТУХІЈЅ" "οαειкνρτυχΑΒΕΗΙΚΜΝΟΡΤΥΧΖ",
    "aeopcyxijsdqwABEKMHOPCTYXIJS" "oaeiKvptuxABEHIKMNOPTYXZ",
)
_MIXED_WORD = re.compile(r"\w+")
# Letters that Unicode decomposition does not split; folded the way people type them without the key.
_SPECIAL = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe"})
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def normalize_input(text: str) -> str:
    """The message as the user meant it: composed characters (NFC: an NFD "bröstet" from some phones is the
    same word), invisible characters inside words dropped, and look-alike Cyrillic/Greek letters in an
    otherwise Latin word read as Latin. Called once at the door, so every layer sees the same text."""
    if not isinstance(text, str):
        return text
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return _MIXED_WORD.sub(_latin_word, text)


def _latin_word(m: re.Match) -> str:
    word = m.group()
    if word.isascii():
        return word
    latin = word.translate(_LOOKALIKE)
    # Only a word that becomes all Latin was Latin: a Russian or Greek word keeps its letters.
    return latin if all(_is_latin(c) for c in latin) else word


def _is_latin(c: str) -> bool:
    return not c.isalpha() or c.isascii() or "LATIN" in unicodedata.name(c, "")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (å→a, ä→a, ö→o, ø→o, æ→ae) and collapse whitespace."""
    text = text.lower().translate(_SPECIAL)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Folded word tokens."""
    return _WORD.findall(fold(text))
