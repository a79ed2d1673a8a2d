"""Split a message that asks several things ("what is a heel spur and does it always hurt?") into its parts.

One search for the whole message finds the passage about its main subject; the second question often lives
in another section ("treatment", "symptoms") that the whole message's vector does not reach. Retrieval
searches each part as well, so every part gets a passage. The cues are data per language
(``data/lang/<code>/question_parts.yaml``): a question mark, or a conjunction directly followed by a word
that opens a question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import DATA_DIR
from bot.text import fold

MIN_WORDS = 3  # a part shorter than this ("and why?") is left with its neighbour
MAX_PARTS = 3
_TOKEN = re.compile(r"[^\W_]+(?:['-][^\W_]+)*|\?")


@dataclass(frozen=True)
class PartCues:
    conjunctions: frozenset[str]
    openers: frozenset[str]


class QuestionSplitter:
    def __init__(self, cues: dict[str, PartCues]):
        self.cues = cues

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> QuestionSplitter:
        cues = {}
        for path in sorted((data_dir / "lang").glob("*/question_parts.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            cues[path.parent.name] = PartCues(
                frozenset(fold(w) for w in data["conjunctions"]), frozenset(fold(w) for w in data["openers"])
            )
        return cls(cues)

    def split(self, text: str, language: str) -> list[str]:
        """The message's parts in order; a one-part message comes back as ``[text]``."""
        cues = self.cues.get(language)
        tokens = list(_TOKEN.finditer(text))
        # (index of the token that ends the part, index of the token that starts the next one)
        boundaries = []
        for i in range(len(tokens) - 1):
            word, following = fold(tokens[i].group()), fold(tokens[i + 1].group())
            if word == "?":
                boundaries.append((i + 1, i + 1))
            elif cues and word in cues.conjunctions and following in cues.openers:
                boundaries.append((i, i + 1))
        parts: list[str] = []
        start_token, start_char = 0, 0
        for end, following in boundaries:
            if len(parts) == MAX_PARTS - 1:
                break
            if _words(tokens[start_token:end]) >= MIN_WORDS and _words(tokens[following:]) >= MIN_WORDS:
                parts.append(text[start_char : tokens[end].start() if end < len(tokens) else len(text)])
                start_token, start_char = following, tokens[following].start()
        parts.append(text[start_char:])
        cleaned = [p.strip(" ,;:-–\n\t") for p in parts]
        return [p for p in cleaned if p] or [text]


def _words(tokens: list[re.Match[str]]) -> int:
    return sum(1 for t in tokens if t.group() != "?")
