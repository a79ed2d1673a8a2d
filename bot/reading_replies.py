"""Replies that come from reading the message rather than from the articles: a welcome for a greeting, a
reply to thanks, a clarifying question for a complaint too vague to search ("I have pain"), each with examples
of what painbot covers; and the scope lines: which complaint the articles do not cover, alone (out of scope)
or beside one they do (the answer is about that one). Texts are templates per language
(``data/lang/<code>/templates.yaml``)."""

from __future__ import annotations

from bot.gate import Verdict
from bot.reading import GREETING, THANKS, Reading

KIND_TEMPLATE = {GREETING: "welcome", THANKS: "thanks_reply"}  # anything else: the clarifying question


class ReadingReplies:
    def __init__(self, templates: dict[str, dict]):
        self.templates = templates

    def t(self, language: str) -> dict:
        return self.templates.get(language) or self.templates["en"]

    def clarify(self, reading: Reading, language: str) -> str:
        """Welcome, thanks or a clarifying question, with examples of what can be asked."""
        t = self.t(language)
        text = t[KIND_TEMPLATE.get(reading.kind, "clarify")]
        examples = "\n".join(f"- {e}" for e in t["examples"])
        return f"{text}\n\n{examples}" if reading.kind != THANKS else text

    def not_covered(self, verdict: Verdict, language: str) -> str:
        """'My sources do not cover the knee.' for an out-of-scope complaint, else ''."""
        names = self.join(verdict.uncovered, language)
        return self.t(language)["not_covered"].format(complaint=names) if names else ""

    def partial(self, verdict: Verdict, language: str) -> str:
        """For a message with a covered and an uncovered complaint: which part the answer is about."""
        uncovered = self.join(verdict.uncovered, language)
        if not (uncovered and verdict.covered):
            return ""
        return self.t(language)["partly_covered"].format(uncovered=uncovered, covered=verdict.covered)

    def join(self, names: tuple[str, ...], language: str) -> str:
        names = list(dict.fromkeys(names))
        if len(names) < 2:
            return "".join(names)
        return f"{', '.join(names[:-1])} {self.t(language)['and']} {names[-1]}"
