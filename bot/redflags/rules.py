"""Layer 1 of the red flags: categories, their rules, precedence, and flags kept over the turns.

``data/redflag_categories.yaml`` lists the categories in order of precedence, their level (emergency |
urgent) and their rules. A rule is a list of features that must all be present; a feature is a concept name
or a list of concept names of which one is enough ("leg AND swelling AND (redness OR warmth)"). The words of
the concepts are found by :mod:`bot.redflags.matching`.

A rule is a list of features, or ``{all: [features], level: emergency, unless: [concepts]}`` when these
signs make the category severer than its level (an open fracture is an emergency, a sprain with swelling
is urgent), or when a sign in the message speaks against it (swelling of both legs is not a clot).

Conversation: a rule fires when the message supplies at least one of its features; the others may come
from the earlier user turns passed to :meth:`RedFlagRules.check`. An emergency told in one of those turns
stays in force (setting ``keep_escalating``): the chat does not go on answering as if nothing happened.
A message that takes back what was written ("sorry, wrong chat", "förlåt, jag skrev fel") ends that: the
turns up to it no longer count.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import DATA_DIR
from bot.redflags.escalation import DEFAULT_NUMBERS, CategoryNumbers
from bot.redflags.matching import (
    Analyser,
    Analysis,
    Atoms,
    Match,
    MatchSettings,
    RedFlagError,
    load_language,
    read_yaml,
)
from bot.reply import RedFlag

EARLIER_TURNS = 3  # user turns before the message that may supply a rule's other features


@dataclass(frozen=True)
class Rule:
    features: tuple[tuple[str, ...], ...]  # every feature must be present; a feature's concepts: any one will do
    level: str  # the category's level, or a severer one for this rule ("fell and cannot get up")
    unless: tuple[str, ...] = ()  # concepts of the message that speak against it (both legs swollen: no clot)


@dataclass(frozen=True)
class Category:
    name: str
    level: str
    rules: tuple[Rule, ...]
    always: bool  # fires in any context: never negated, trapped or taken for a general question
    numbers: tuple[str, ...]  # kinds of phone number to list, the one to call first first


@dataclass(frozen=True)
class Decision:
    category: Category
    rule: Rule
    words: list[Match]  # one match per feature: the message's first, then the earlier turns'
    kept: bool = False  # an emergency from an earlier turn, still in force


class RedFlagRules:
    """The compiled rules of all languages."""

    def __init__(self, categories: list[Category], analyser: Analyser, kept_levels: frozenset[str],
                 places: frozenset[str] = frozenset()):
        self.categories = categories
        self.analyser = analyser
        self.kept_levels = kept_levels
        self.places = places  # concepts that say where, not what: no sign on their own

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> RedFlagRules:
        """Read and check the categories and every language's rules."""
        data_dir = Path(data_dir)
        path = data_dir / "redflag_categories.yaml"
        spec = read_yaml(path)
        declared = set(spec.get("concepts") or {})
        used = {
            c
            for e in (spec.get("categories") or {}).values()
            for r in e.get("rules") or []
            for g in ((r.get("all") or []) + [r.get("unless") or []] if isinstance(r, dict) else r)
            for c in ([g] if isinstance(g, str) else g)
        }
        used |= set(spec.get("not_negatable") or ()) | set(spec.get("named") or ()) | set(spec.get("places") or ())
        used |= {x for c, to in (spec.get("yields") or {}).items() for x in (c, *to)}
        if used - declared:
            raise RedFlagError(f"{path}: concepts used but not declared: {sorted(used - declared)}")
        for name, entry in (spec.get("categories") or {}).items():
            levels = [entry.get("level")] + [r["level"] for r in entry.get("rules") or [] if "level" in r]
            if not set(levels) <= set(DEFAULT_NUMBERS):
                raise RedFlagError(f"{path}: categories.{name}: a level must be emergency or urgent")
        atoms, patterns, defined = Atoms(), [], set()
        for lang_dir in sorted(p for p in (data_dir / "lang").iterdir() if p.is_dir()):
            if (lang_dir / "redflags.yaml").exists():
                defined |= load_language(lang_dir / "redflags.yaml", lang_dir.name, declared, atoms, patterns)
        if declared - defined:
            raise RedFlagError(f"{path}: concepts without words in any language: {sorted(declared - defined)}")
        categories = [_category(name, entry) for name, entry in (spec.get("categories") or {}).items()]
        settings = spec.get("settings") or {}
        match_settings = MatchSettings(
            window=int(settings.get("negation_window", 3)),
            frame_start=int(settings.get("frame_within_first_words", 3)),
            not_negatable=frozenset(spec.get("not_negatable") or ()),
            named=frozenset(spec.get("named") or ()),
            always=frozenset(c for cat in categories if cat.always for r in cat.rules for g in r.features for c in g),
            history_keeps=tuple((spec.get("history_keeps") or {}).items()),
            yields=tuple((c, frozenset(to)) for c, to in (spec.get("yields") or {}).items()),
        )
        kept = frozenset(settings.get("keep_escalating") or ())
        places = match_settings.not_negatable | frozenset(spec.get("places") or ())
        return cls(categories, Analyser(patterns, atoms, match_settings), kept, places)

    def analyse(self, text: str) -> Analysis:
        return self.analyser.analyse(text)

    def concepts_of(self, category: str) -> frozenset[str]:
        """Every concept the category's rules name."""
        found = (c for cat in self.categories if cat.name == category for r in cat.rules for f in r.features for c in f)
        return frozenset(found)

    def level_of(self, category: str) -> str:
        return next(c.level for c in self.categories if c.name == category)

    def numbers_of_categories(self) -> dict[str, CategoryNumbers]:
        return {c.name: CategoryNumbers(c.numbers) for c in self.categories}

    # ------------------------------------------------------------------ public interface

    def check(self, message: str, earlier_user_turns: Sequence[str] = ()) -> RedFlag | None:
        """The red flag of the highest-precedence category that fires, or None.

        ``earlier_user_turns``: the conversation's earlier user messages, oldest first; the last three count.
        """
        decision = self.decide(message, earlier_user_turns)
        if decision is None:
            return None
        words = ", ".join(dict.fromkeys(m.text for m in decision.words))
        return RedFlag(decision.rule.level, decision.category.name, words)

    def explain(self, message: str, earlier_user_turns: Sequence[str] = ()) -> str:
        """Audit lines: every red-flag word found and whether it counted (or which cue negated it, which trap
        suppressed it), then the rule that fired on which words, or the rules that came closest."""
        lines = []
        turns = [("earlier turn", t) for t in list(earlier_user_turns)[-EARLIER_TURNS:]] + [("message", message)]
        for label, text in turns:
            analysis = self.analyse(text or "")
            lines.append(f"{label}: {text!r}")
            if not analysis.matches:
                lines.append("  no red-flag words")
            # The same words often match in several languages: one line for them all.
            seen: dict[tuple, list[Match]] = defaultdict(list)
            for m in analysis.matches:
                seen[(m.concept, m.start, m.end, m.status, m.reason)].append(m)
            for (concept, _, _, status, reason), ms in seen.items():
                sources = "; ".join(f"{m.pattern.language} '{m.pattern.source}'" for m in ms)
                where = f"{concept} '{ms[0].text}' ({sources})"
                lines.append(f"  + {where}" if status == "asserted" else f"  - {where}: {status}, {reason}")
            lines.extend(f"  ! {note}" for note in analysis.notes)
        decision = self.decide(message, earlier_user_turns)
        if decision is None:
            lines.append("result: no red flag")
            lines.extend(f"  closest: {line}" for line in self._closest(message, earlier_user_turns))
        else:
            words = ", ".join(f"{m.concept}='{m.text}'" for m in decision.words)
            if decision.kept:
                words += " (an earlier turn's flag, still in force)"
            rule = _show(decision.rule.features)
            lines.append(f"result: {decision.category.name} ({decision.rule.level}), rule {rule}: {words}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ deciding

    def in_force(self, message: str, earlier: Sequence[str]) -> list[str]:
        """The earlier turns that still count: none when the message takes them back, else those after the
        last turn that did."""
        if self.analyse(message or "").withdraws:
            return []
        turns = list(earlier)
        last = max((k for k, t in enumerate(turns) if self.analyse(t or "").withdraws), default=-1)
        return turns[last + 1 :]

    def decide(self, message: str, earlier: Sequence[str]) -> Decision | None:
        window = self.in_force(message, earlier)[-EARLIER_TURNS:]
        decision = self._fire(message, window)
        if decision is not None:
            return decision
        # A flag raised in a recent turn stays in force: "what should I do now?" must not get exercises.
        for k in range(len(window) - 1, -1, -1):
            earlier_decision = self._fire(window[k], window[:k])
            if earlier_decision and earlier_decision.rule.level in self.kept_levels:
                return dataclasses.replace(earlier_decision, kept=True)
        return None

    def _fire(self, message: str, earlier: list[str]) -> Decision | None:
        """The first rule, by precedence, with all its features and at least one from the message."""
        now = self.analyse(message or "").asserted
        before: dict[str, list[Match]] = defaultdict(list)
        for turn in earlier:
            for concept, matches in self.analyse(turn or "").asserted.items():
                before[concept].extend(matches)
        for category in self.categories:
            for rule in category.rules:
                features = rule.features
                if not any(c in now for feature in features for c in feature):
                    continue
                if not all(any(c in now or c in before for c in feature) for feature in features):
                    continue
                if any(c in now for c in rule.unless):
                    continue
                mine = [min(_of(now, f), key=lambda m: m.start, default=None) for f in features]
                theirs = [_of(before, f)[0] for f, m in zip(features, mine, strict=True) if m is None]
                words = sorted((m for m in mine if m is not None), key=lambda m: m.start) + theirs
                return Decision(category, rule, words)
        return None

    def _closest(self, message: str, earlier: Sequence[str]) -> list[str]:
        """Per category with a symptom in the message, the rule missing the fewest features."""
        now = self.analyse(message or "").asserted
        before = {c for t in list(earlier)[-EARLIER_TURNS:] for c in self.analyse(t or "").asserted}
        out = []
        for category in self.categories:
            best = None
            for rule in category.rules:
                features = rule.features
                if not any(c in now and c not in self.analyser.settings.not_negatable for f in features for c in f):
                    continue
                missing = [f for f in features if not any(c in now or c in before for c in f)]
                if best is None or len(missing) < len(best[1]):
                    best = (rule, missing)
            if best:
                out.append(f"{category.name} rule {_show(best[0].features)} lacks {_show(best[1])}")
        return out


def _category(name: str, entry: dict) -> Category:
    rules = []
    for rule in entry["rules"]:
        features = rule["all"] if isinstance(rule, dict) else rule
        level = rule.get("level", entry["level"]) if isinstance(rule, dict) else entry["level"]
        unless = tuple(rule.get("unless") or ()) if isinstance(rule, dict) else ()
        rules.append(Rule(tuple(tuple(sorted([f] if isinstance(f, str) else f)) for f in features), level, unless))
    return Category(name, entry["level"], tuple(rules), bool(entry.get("always")), tuple(entry.get("numbers") or ()))


def _of(by_concept: dict[str, list[Match]], feature: tuple[str, ...]) -> list[Match]:
    return [m for c in feature for m in by_concept.get(c, ())]


def _show(features: Iterable[tuple[str, ...]]) -> str:
    return " + ".join("|".join(f) for f in features)
