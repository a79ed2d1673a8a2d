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

from bot.config import DATA_DIR
from bot.redflags.escalation import Escalations
from bot.redflags.rules import RedFlagRules
from bot.reply import RedFlag


class Verdict(Protocol):
    """What the safety step reads of a semantic-net verdict."""

    @property
    def fired(self) -> str | None: ...  # the category the net raises, or None

    @property
    def level(self) -> str | None: ...  # emergency | urgent when fired


@dataclass
class Safety:
    """Layer 1 and layer 2 together, and the escalation replies they lead to."""

    rules: RedFlagRules
    escalations: Escalations

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> Safety:
        rules = RedFlagRules.load(data_dir)
        return cls(rules, Escalations.load(rules.numbers_of_categories(), data_dir))

    def check(
        self, message: str, earlier_user_turns: Sequence[str] = (), net_verdict: Verdict | None = None
    ) -> RedFlag | None:
        """The red flag for this turn, or None: the rules' when they fire, else the net's."""
        flag = self.rules.check(message, earlier_user_turns)
        if flag is not None:
            return flag
        if net_verdict is not None and net_verdict.fired:
            level = self.rules.level_of(net_verdict.fired)
            return RedFlag(level, net_verdict.fired, "", layer="semantic")
        return None

    def explain(self, message: str, earlier_user_turns: Sequence[str] = ()) -> str:
        """The audit of both layers on a message."""
        return self.rules.explain(message, earlier_user_turns)

    def escalation(self, flag: RedFlag, language: str, country: str) -> tuple[str, RedFlag]:
        """The fixed escalation reply for a flag, and the flag with its phone numbers."""
        return self.escalations.reply(flag, language, country)
