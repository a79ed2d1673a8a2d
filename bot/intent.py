"""What a question asks for (its intent), from per-language cue data, so the reply can pick the units that
answer it: a duration question wants the prognosis, an exercise question the exercise's steps.

Data: ``data/intents.yaml`` (the intent names, most specific first) and ``data/lang/<code>/intents.yaml``
(cues per intent). A cue is a word or phrase matched on folded text at word starts; ``*`` at its end allows
any ending ("exercis*"), otherwise the word must end there. The forms typed without the Nordic keys
(aa, oe, ae) are added automatically.

The first sentence that names any cue decides (people ask the main thing first); inside it, the most specific
intent wins ("how many times a day should I do the stretch" is a dose question, not an exercise question)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot import yamlfile
from bot.config import DATA_DIR
from bot.glossary import folded_forms
from bot.text import fold

GENERAL = "general"
_SENTENCE_END = re.compile(r"(?<=[?!.;:])\s+|\n+")


@dataclass(frozen=True)
class IntentCues:
    order: tuple[str, ...]  # intent names, most specific first (general last, never cued)
    patterns: dict[str, dict[str, re.Pattern[str]]]  # language -> intent -> compiled cues

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> IntentCues:
        spec = yamlfile.safe_load((data_dir / "intents.yaml").read_text(encoding="utf-8"))
        order = tuple(spec["order"])
        patterns: dict[str, dict[str, re.Pattern[str]]] = {}
        for path in sorted((data_dir / "lang").glob("*/intents.yaml")):
            raw = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
            unknown = set(raw) - set(order)
            if unknown:
                raise ValueError(f"{path}: unknown intents {sorted(unknown)}; known: {order}")
            patterns[path.parent.name] = {name: _compile(cues) for name, cues in raw.items() if cues}
        return cls(order, patterns)

    def found(self, text: str, language: str) -> list[str]:
        """Every intent cued in the text, most specific first."""
        folded = fold(text)
        cues = self.patterns.get(language, {})
        return [name for name in self.order if name in cues and cues[name].search(folded)]

    def detect(self, text: str, language: str) -> str:
        for sentence in _SENTENCE_END.split(text):
            found = self.found(sentence, language)
            if found:
                return found[0]
        return GENERAL


def _compile(cues: list[str]) -> re.Pattern[str]:
    alternatives = []
    for cue in map(str, cues):  # YAML reads a phone number cue (1177) as an int
        open_end = cue.endswith("*")
        for form in folded_forms(cue.rstrip("*").strip()):
            body = r"\s+".join(re.escape(w) for w in form.split())
            alternatives.append(body + (r"[a-z0-9]*" if open_end else r"(?![a-z0-9])"))
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + ")")


@lru_cache(maxsize=1)
def default_cues() -> IntentCues:
    return IntentCues.load()


def detect_intent(text: str, language: str) -> str:
    """The question's intent: one of data/intents.yaml's names, ``general`` when nothing is cued."""
    return default_cues().detect(text, language)
