"""The safety step of a turn: the rules (layer 1) and the semantic net's verdict (layer 2) made one decision.

The rules are precise and explainable, so when they fire their flag is the one shown. When they do not, a
verdict of the semantic net that fired raises its category. The net's verdict is computed by the chat from
the turn's shared embeddings (bot/redflags/semantic.py); this module only needs its shape (:class:`Verdict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.config import DATA_DIR, DEFAULT_COUNTRY_BY_LANGUAGE
from bot.redflags.escalation import Escalations
from bot.redflags.matching import read_yaml
from bot.redflags.rules import RedFlagRules
from bot.reply import RedFlag


class Verdict(Protocol):
    """What the safety step reads of a semantic-net verdict."""

    @property
    def fired(self) -> str | None: ...  # the category the net raises, or None

    def explain(self, top: int = 3) -> str: ...  # the closest categories with score and threshold


@dataclass
class Safety:
    """Layer 1 and layer 2 together, and the escalation replies they lead to."""

    rules: RedFlagRules
    escalations: Escalations
    unsure: dict[str, tuple[str, ...]]  # reply language -> countries when the language guess is unsure

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> Safety:
        rules = RedFlagRules.load(data_dir)
        spec = read_yaml(Path(data_dir) / "countries.yaml").get("unsure") or {}
        unsure = {lang: tuple(codes) for lang, codes in spec.items()}
        return cls(rules, Escalations.load(rules.numbers_of_categories(), data_dir), unsure)

    def check(
        self, message: str, earlier_user_turns: Sequence[str] = (), net_verdict: Verdict | None = None
    ) -> RedFlag | None:
        """The red flag for this turn, or None: the rules' when they fire, else the net's. A message that takes
        back what was written ("sorry, wrong chat") raises nothing, whatever the net read in the turns joined."""
        flag = self.rules.check(message, earlier_user_turns)
        if flag is not None:
            return flag
        if self.rules.analyse(message or "").withdraws:
            return None
        if net_verdict is not None and net_verdict.fired and not self.ruled_out(message, net_verdict.fired):
            # The category's level: the rules' data decide how urgent a category is, whichever layer raised it.
            return RedFlag(self.rules.level_of(net_verdict.fired), net_verdict.fired, "", layer="semantic")
        return None

    def ruled_out(self, message: str, category: str) -> bool:
        """True when the rules read the category's symptoms in the message and every one of them was denied,
        past, hypothetical, a trap or part of a general question: the net then hears the words, not the
        emergency ("no numbness down there", "a clot five years ago"). Where the rules read none of them, the
        net's verdict stands: that is the phrasing it is there for."""
        concepts = self.rules.concepts_of(category) - self.rules.analyser.settings.not_negatable
        found = [m for m in self.rules.analyse(message or "").matches if m.concept in concepts]
        return bool(found) and all(m.status != "asserted" for m in found)

    def names_a_symptom(self, text: str) -> bool:
        """True when the rules read any sign in ``text`` beyond where it is (leg, side, body): the sentences of a
        long message the semantic net reads one by one. A sentence of backstory ("I'm 42 and run marathons")
        costs encoding time and gives the net chances to alarm by accident."""
        return any(m.concept not in self.rules.places for m in self.rules.analyse(text).matches)

    def in_force(self, message: str, earlier_user_turns: Sequence[str]) -> list[str]:
        """The earlier turns that still count for both layers: none after a message that takes them back."""
        return self.rules.in_force(message, earlier_user_turns)

    def explain(self, message: str, earlier_user_turns: Sequence[str] = (), net_verdict: Verdict | None = None) -> str:
        """The audit of both layers on a message: the rule that fired or why none did, then the net's closest
        categories with score and threshold (when the net judged the message)."""
        lines = [self.rules.explain(message, earlier_user_turns)]
        if net_verdict is not None:
            lines.append(net_verdict.explain())
        flag = self.check(message, earlier_user_turns, net_verdict)
        lines.append(
            f"decision: {flag.category} ({flag.level}), layer {flag.layer}" if flag else "decision: no red flag"
        )
        return "\n".join(lines)

    def countries(self, language: str, confident: bool, configured: str = "") -> tuple[str, ...]:
        """The countries whose numbers to give: the configured or requested one; else the language's, and
        both Denmark's and Norway's when the message reads the same in Danish and Norwegian (data:
        countries.yaml ``unsure``); empty means every country."""
        if configured:
            return (configured.upper(),)
        if not confident and language in self.unsure:
            return self.unsure[language]
        default = DEFAULT_COUNTRY_BY_LANGUAGE.get(language, "")
        return (default,) if default else ()

    def escalation(
        self, flag: RedFlag, language: str, country: str | Sequence[str], written_in: str = ""
    ) -> tuple[str, RedFlag]:
        """The fixed escalation reply for a flag, and the flag with its phone numbers; a message written in
        a language the reply is not in gets that language's emergency line first."""
        return self.escalations.reply(flag, language, country, written_in)

    def emergency_line(self, language: str, country: str | Sequence[str] = "") -> str:
        """One line in ``language`` with the emergency number (English when the language has none)."""
        return self.escalations.emergency_line(language, country)
