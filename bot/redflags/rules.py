"""Red-flag escalation: a small rule engine in front of retrieval.

A missed emergency is the worst failure this product can have, so the engine leans towards escalating.
The engine knows no language; everything it matches is data:

* ``data/redflag_categories.yaml``: the categories in order of precedence, their level (emergency | urgent)
  and their rules. A rule is a list of features that must all be present; a feature is a concept name or a
  list of concept names of which one is enough ("leg AND swelling AND (redness OR warmth)").
* ``data/lang/<code>/redflags.yaml``: per language the words of each concept, negation cues and their
  scope, traps (phrases that look like a symptom but are not: "fell asleep"), and the frames of general
  questions about red flags ("When is sciatica dangerous?"), which describe no symptom.
* ``data/lang/<code>/escalation.yaml`` and ``data/countries.yaml``: the fixed reply and the phone numbers.

The rules of every language run on every message: language detection is unreliable on short messages, and
people mix languages. Words are compared folded (case and diacritics folded, apostrophes and hyphens
dropped, "aa" and "oe" read as "å" and "ø"), so "rött", "rott" and "RÖTT" meet.

Pattern syntax: words separated by spaces, each word one or more alternatives split by ``|``. ``svull*``
matches a word start, ``*smärta`` a word end (compound tails), ``*cancer*`` anywhere in a word, ``ont`` the
whole word, and ``..`` up to three words of any kind. Patterns never reach across punctuation.

Negation, after medspaCy's ConText: a cue ("ingen", "ikke", "not") negates the first symptom after it when
only filler words stand between (at most ``negation_window``), and the symptoms listed after that one
("ingen feber, frossa eller nattsvettningar"). The scope ends at punctuation, a contrast word ("men",
"but") or any other word. A cue inside a symptom's own words ("kan inte kissa", "har ikke følelse") is no
cue. A symptom both denied and asserted in one message counts as asserted.

Conversation: a rule fires when the message supplies at least one of its features; the others may come
from the earlier user turns passed to :meth:`RedFlagRules.check`. An emergency told in one of those turns
stays in force (setting ``keep_escalating``): the chat does not go on answering as if nothing happened.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.config import DATA_DIR
from bot.reply import PhoneNumber, RedFlag
from bot.text import fold

__all__ = ["RedFlagRules", "RedFlagError"]

EARLIER_TURNS = 3  # user turns before the message that may supply a rule's other features
GAP = -1  # a ``..`` slot in a compiled pattern
MAX_GAP = 3
FALLBACK_LANGUAGE = "en"
# Emergency: the emergency number first. Urgent: the advice line first, the emergency number as fallback.
DEFAULT_NUMBERS = {"emergency": ("emergency", "advice"), "urgent": ("advice", "emergency")}
PATTERN_KINDS = {
    # section.key in a language file -> kind of pattern
    "negation.cues": "cue",  # negation words
    "negation.pseudo": "pseudo",  # phrases with a negation word that deny nothing ("not only")
    "negation.after": "after",  # a denial after the symptom, ending its clause ("Feber har jag inte")
    "negation.fillers": "filler",  # words that may stand between a cue and the symptom it denies
    "negation.terminators": "terminator",  # words that end a negation's scope ("men", "but")
    "negation.connectors": "connector",  # words that continue a list of denied symptoms ("eller", "or")
    "questions.frames": "frame",  # how a general question about red flags begins
    "questions.self": "self",  # words by which a writer speaks of themselves
    "questions.conditional": "cond",  # "if": a general question about a concrete case
}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OE = re.compile(r"oe(?=[a-z])")  # "foelelse" = "følelse"; a final "oe" stays ("toe" is not "to")
_TOKEN = re.compile(
    r"(?P<word>\d+(?:[.,/]\d+)?|[^\W_]+(?:['’\-][^\W_]+)*)"
    r"|(?P<hard>[.!?…]+|\n|(?<=\s)[-–—](?=\s)|[–—])"  # ends a sentence; a spaced dash too
    r"|(?P<clause>[;:()\[\]\"“”«»])"
    r"|(?P<comma>[,/&+])"
)


class RedFlagError(ValueError):
    """A red-flag data file is malformed; the message names the file and the entry."""


def norm(word: str) -> str:
    """The form words are compared in: folded, without apostrophes and hyphens, and with the spellings of
    keyboards without å, ø read as the letter ("aandenoed" = "åndenød")."""
    word = fold(word).replace("’", "").replace("'", "").replace("-", "").replace("aa", "a")
    return _OE.sub("o", word)


# ------------------------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern and what it stands for."""

    id: int
    kind: str  # concept | trap | one of PATTERN_KINDS' values
    source: str  # as written in the data file, for audits
    language: str
    slots: tuple  # per word: frozenset of atom ids, or GAP
    concept: str = ""  # kind == concept
    suppresses: frozenset[str] = frozenset()  # kind == trap: the concepts it suppresses (empty: all)
    scope: str = "match"  # kind == trap: "match" (matches that begin in the trap) or "clause" (its clause)


class _Atoms:
    """Word matchers (whole word, start, end, inside) and an index that finds all matchers of a word."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.prefix: dict[str, set[int]] = defaultdict(set)
        self.suffix: dict[str, set[int]] = defaultdict(set)
        self.infix: list[tuple[str, int]] = []
        self.of_word = functools.lru_cache(maxsize=65536)(self._of_word)

    def add(self, spec: str) -> int:
        head, tail = spec.startswith("*"), spec.endswith("*") and len(spec) > 1
        text = norm(spec.strip("*"))
        if not text:
            raise ValueError(f"empty word in pattern: {spec!r}")
        kind = "infix" if head and tail else "suffix" if head else "prefix" if tail else "exact"
        if (kind, text) not in self.ids:
            atom = self.ids[(kind, text)] = len(self.ids)
            if kind == "infix":
                self.infix.append((text, atom))
            else:
                getattr(self, kind)[text].add(atom)
        return self.ids[(kind, text)]

    def _of_word(self, word: str) -> frozenset[int]:
        found: set[int] = set(self.exact.get(word, ()))
        for k in range(1, len(word) + 1):
            found.update(self.prefix.get(word[:k], ()))
            found.update(self.suffix.get(word[-k:], ()))
        found.update(atom for text, atom in self.infix if text in word)
        return frozenset(found)


def _compile(spec: str, atoms: _Atoms) -> tuple:
    slots = [GAP if part == ".." else frozenset(atoms.add(a) for a in part.split("|") if a) for part in spec.split()]
    if not slots or slots[0] == GAP or slots[-1] == GAP:
        raise ValueError(f"a pattern must start and end with a word: {spec!r}")
    return tuple(slots)


def _match(slots: tuple, words: list, i: int, k: int = 0) -> int | None:
    """End of the pattern matched from word i, or None; ``..`` skips as few words as it can."""
    while k < len(slots):
        slot = slots[k]
        if slot == GAP:
            for skip in range(MAX_GAP + 1):
                if i + skip >= len(words) or (skip and words[i + skip - 1] is None):
                    return None
                end = _match(slots, words, i + skip, k + 1)
                if end is not None:
                    return end
            return None
        if i >= len(words) or not words[i] or slot.isdisjoint(words[i]):
            return None
        i, k = i + 1, k + 1
    return i


# --------------------------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    text: str
    norm: str
    kind: str  # word | comma | clause | hard


def tokenize(text: str) -> list[Token]:
    tokens = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        tokens.append(Token(m.group(), norm(m.group()) if kind == "word" else m.group(), kind))
    return tokens


@dataclass
class Match:
    pattern: Pattern
    start: int  # token indices, end exclusive
    end: int
    text: str
    status: str = "asserted"  # asserted | negated | trapped | about
    reason: str = ""

    @property
    def concept(self) -> str:
        return self.pattern.concept


@dataclass
class Analysis:
    """What the rules found in one message: its concept matches, each asserted or why not."""

    matches: list[Match]
    asserted: dict[str, list[Match]]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Category:
    name: str
    level: str
    rules: tuple[tuple[tuple[str, ...], ...], ...]  # rule -> features -> concepts (any one will do)
    always: bool  # fires in any context: never negated, trapped or taken for a general question
    numbers: tuple[str, ...]  # kinds of phone number to list, the one to call first first


@dataclass(frozen=True)
class Number:
    number: str
    service: str


@dataclass(frozen=True)
class Decision:
    category: Category
    rule: tuple[tuple[str, ...], ...]
    words: list[Match]  # one match per feature: the message's first, then the earlier turns'
    kept: bool = False  # an emergency from an earlier turn, still in force


# ---------------------------------------------------------------------------------------------- rules


class RedFlagRules:
    """The compiled rules of all languages, plus the escalation texts and phone numbers."""

    def __init__(self, spec: dict, patterns: list[Pattern], atoms: _Atoms, escalation: dict, countries: dict):
        self.categories = [_category(name, entry) for name, entry in (spec.get("categories") or {}).items()]
        self.patterns = patterns
        self.atoms = atoms
        settings = spec.get("settings") or {}
        self.window = int(settings.get("negation_window", 3))
        self.frame_start = int(settings.get("frame_within_first_words", 3))
        self.kept_levels = frozenset(settings.get("keep_escalating") or ())
        self.not_negatable = frozenset(spec.get("not_negatable") or ())
        self.named = frozenset(spec.get("named") or ())
        self.always = frozenset(c for cat in self.categories if cat.always for r in cat.rules for g in r for c in g)
        self._escalation = escalation
        self._countries = countries
        self._by_first_atom: dict[int, list[Pattern]] = defaultdict(list)
        for p in patterns:
            for atom in p.slots[0]:
                self._by_first_atom[atom].append(p)
        # Earlier turns come back on every turn of a conversation: analyse each text once.
        self.analyse = functools.lru_cache(maxsize=4096)(self._analyse)

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> RedFlagRules:
        """Read and check the categories, every language's rules and texts, and the phone numbers."""
        data_dir = Path(data_dir)
        path = data_dir / "redflag_categories.yaml"
        spec = _read(path)
        declared = set(spec.get("concepts") or {})
        used = {
            c
            for e in (spec.get("categories") or {}).values()
            for r in e.get("rules") or []
            for g in r
            for c in ([g] if isinstance(g, str) else g)
        }
        used |= set(spec.get("not_negatable") or ()) | set(spec.get("named") or ())
        if used - declared:
            raise RedFlagError(f"{path}: concepts used but not declared: {sorted(used - declared)}")
        for name, entry in (spec.get("categories") or {}).items():
            if entry.get("level") not in DEFAULT_NUMBERS:
                raise RedFlagError(f"{path}: categories.{name}.level must be emergency or urgent")
        atoms, patterns, defined, escalation = _Atoms(), [], set(), {}
        for lang_dir in sorted(p for p in (data_dir / "lang").iterdir() if p.is_dir()):
            if (lang_dir / "redflags.yaml").exists():
                defined |= _load_language(lang_dir / "redflags.yaml", lang_dir.name, declared, atoms, patterns)
            if (lang_dir / "escalation.yaml").exists():
                escalation[lang_dir.name] = _read(lang_dir / "escalation.yaml")
        if declared - defined:
            raise RedFlagError(f"{path}: concepts without words in any language: {sorted(declared - defined)}")
        countries = _read(data_dir / "countries.yaml").get("countries") or {}
        for where, codes in [(data_dir / "countries.yaml", countries)] + [
            (data_dir / "lang" / lang / "escalation.yaml", texts.get("countries") or {})
            for lang, texts in escalation.items()
        ]:
            if not all(isinstance(code, str) for code in codes):
                raise RedFlagError(f"{where}: quote the country codes (YAML reads a bare NO as false)")
        return cls(spec, patterns, atoms, escalation, countries)

    # ------------------------------------------------------------------ public interface

    def check(self, message: str, earlier_user_turns: Sequence[str] = ()) -> RedFlag | None:
        """The red flag of the highest-precedence category that fires, or None.

        ``earlier_user_turns``: the conversation's earlier user messages, oldest first; the last three count.
        """
        decision = self._decide(message, earlier_user_turns)
        if decision is None:
            return None
        words = ", ".join(dict.fromkeys(m.text for m in decision.words))
        return RedFlag(decision.category.level, decision.category.name, words)

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
        decision = self._decide(message, earlier_user_turns)
        if decision is None:
            lines.append("result: no red flag")
            lines.extend(f"  closest: {line}" for line in self._closest(message, earlier_user_turns))
        else:
            words = ", ".join(f"{m.concept}='{m.text}'" for m in decision.words)
            if decision.kept:
                words += " (an earlier turn's emergency, still in force)"
            lines.append(
                f"result: {decision.category.name} ({decision.category.level}), rule {_show(decision.rule)}: {words}"
            )
        return "\n".join(lines)

    def escalation(self, flag: RedFlag, language: str, country: str) -> tuple[str, RedFlag]:
        """The fixed escalation reply in the user's language, and the flag with its phone numbers filled in.

        ``country`` is "SE", "DK", "NO" or "" (unknown, e.g. an English user with no deployment country):
        then every country's numbers are listed, each under the country's name.
        """
        texts = self._escalation.get(language) or self._escalation[FALLBACK_LANGUAGE]
        category = next(c for c in self.categories if c.name == flag.category)
        entry = texts["categories"][category.name]
        country = (country or "").upper()
        places = [country] if country in self._countries else list(self._countries)
        numbers: list[PhoneNumber] = []
        listing = [texts["numbers_heading"]]
        for place in places:
            name = texts["countries"].get(place, place)
            if len(places) > 1:
                listing.append(texts["country_heading"].format(country=name))
            for kind in category.numbers:
                for n in self._numbers(place, kind):
                    label = texts["number_label"].format(kind=texts["kinds"][kind], service=n.service)
                    listing.append(texts["number_line"].format(number=n.number, label=label))
                    # Away from its country heading, a number's label names the country.
                    numbers.append(PhoneNumber(n.number, label if len(places) == 1 else f"{label}, {name}"))
        fill = {kind: self._named_number(places, kind, texts) for kind in texts["kinds"]}
        action = (entry.get("action") or texts["actions"][category.level]).format(**fill)
        advice = entry.get("advice", "").format(**fill)
        parts = [entry["what"], action, advice, "\n".join(listing), texts["closing"]]
        text = "\n\n".join(p.strip() for p in parts if p and p.strip())
        return text, dataclasses.replace(flag, numbers=tuple(numbers))

    # ------------------------------------------------------------------ deciding

    def _decide(self, message: str, earlier: Sequence[str]) -> Decision | None:
        window = list(earlier)[-EARLIER_TURNS:]
        decision = self._fire(message, window)
        if decision is not None:
            return decision
        # An emergency told in a recent turn stays in force: "what should I do now?" must not get exercises.
        for k in range(len(window) - 1, -1, -1):
            earlier_decision = self._fire(window[k], window[:k])
            if earlier_decision and earlier_decision.category.level in self.kept_levels:
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
                if not any(c in now for feature in rule for c in feature):
                    continue
                if not all(any(c in now or c in before for c in feature) for feature in rule):
                    continue
                mine = [min(_of(now, f), key=lambda m: m.start, default=None) for f in rule]
                theirs = [_of(before, f)[0] for f, m in zip(rule, mine, strict=True) if m is None]
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
                if not any(c in now and c not in self.not_negatable for f in rule for c in f):
                    continue
                missing = [f for f in rule if not any(c in now or c in before for c in f)]
                if best is None or len(missing) < len(best[1]):
                    best = (rule, missing)
            if best:
                out.append(f"{category.name} rule {_show(best[0])} lacks {_show(best[1])}")
        return out

    # ------------------------------------------------------------------ analysing one message

    def _analyse(self, text: str) -> Analysis:
        tokens = tokenize(text)
        found: dict[str, list[Match]] = defaultdict(list)
        for m in self._find(tokens):
            found[m.pattern.kind].append(m)
        concepts, notes = found["concept"], []
        segment, sentence = _segments(tokens)
        self._apply_traps(found["trap"], concepts, segment)
        self._apply_negation(found, concepts, tokens)
        for frame in found["frame"]:
            self._apply_frame(frame, found, concepts, tokens, sentence, notes)
        asserted: dict[str, list[Match]] = defaultdict(list)
        for m in concepts:
            if m.status == "asserted":
                asserted[m.concept].append(m)
        return Analysis(concepts, dict(asserted), notes)

    def _find(self, tokens: list[Token]) -> list[Match]:
        """Every pattern match, each within a run of words."""
        found = []
        words = [self.atoms.of_word(t.norm) if t.kind == "word" else None for t in tokens]
        for i, atoms in enumerate(words):
            seen: set[int] = set()
            for atom in atoms or ():
                for p in self._by_first_atom.get(atom, ()):
                    if p.id not in seen:
                        seen.add(p.id)
                        end = i + 1 if len(p.slots) == 1 else _match(p.slots, words, i)
                        if end is not None:
                            found.append(Match(p, i, end, " ".join(t.text for t in tokens[i:end])))
        return found

    def _apply_traps(self, traps: list[Match], concepts: list[Match], segment: list[int]) -> None:
        """Phrases that look like a symptom but are not: "fell asleep", tingling after sitting."""
        for trap in traps:
            for m in concepts:
                if m.status != "asserted" or m.concept in self.always:
                    continue
                if trap.pattern.suppresses and m.concept not in trap.pattern.suppresses:
                    continue
                inside = trap.start <= m.start < trap.end
                if inside or (trap.pattern.scope == "clause" and segment[m.start] == segment[trap.start]):
                    m.status, m.reason = "trapped", f"suppressed by trap '{trap.text}'"

    def _apply_negation(self, found: dict[str, list[Match]], concepts: list[Match], tokens: list[Token]) -> None:
        # A cue inside a pseudo-negation ("inte bara") or inside a symptom's own words negates nothing.
        symptoms = [m for m in concepts if m.concept not in self.not_negatable]
        blocked = _covered(found["pseudo"]) | _covered(symptoms)
        fillers, terminators = _covered(found["filler"]), _covered(found["terminator"])
        connectors = _covered(found["connector"])
        starts: dict[int, list[Match]] = defaultdict(list)
        for m in concepts:
            starts[m.start].append(m)
        for cue in found["cue"]:
            if blocked.isdisjoint(range(cue.start, cue.end)):
                self._negate_after(cue, tokens, starts, fillers, terminators, connectors)
        after = {m.start: m for m in found["after"]}
        for m in concepts:
            post = after.get(m.end)
            ends_clause = post and (
                post.end >= len(tokens) or tokens[post.end].kind != "word" or post.end in terminators
            )
            if ends_clause and m.status == "asserted" and self._negatable(m):
                m.status, m.reason = "negated", f"negated by '{post.text}' after it"

    def _negate_after(self, cue: Match, tokens, starts, fillers, terminators, connectors) -> None:
        j, gap, listing = cue.end, 0, False
        while j < len(tokens):
            here = [m for m in starts.get(j, ()) if m.status == "asserted"]
            symptoms = [m for m in here if self._negatable(m)]
            if symptoms:
                for m in symptoms:
                    m.status, m.reason = "negated", f"negated by cue '{cue.text}'"
                j, gap, listing = max(m.end for m in symptoms), 0, True
            elif tokens[j].kind == "comma" and listing:
                j += 1
            elif tokens[j].kind != "word" or j in terminators:
                return
            elif listing and j in connectors:
                j += 1
            elif (j in fillers or here) and gap < self.window:
                j, gap = max([j + 1] + [m.end for m in here]), gap + 1
            else:
                return

    def _apply_frame(self, frame: Match, found, concepts, tokens, sentence, notes) -> None:
        """A general question about red flags ("Hvornår er iskias farligt?") describes no symptom. A sentence
        that speaks of the writer or has an "if" clause after the frame keeps its symptoms, but not its
        named conditions: asking about a blood clot is not having one."""
        here = sentence[frame.start]
        words_before = sum(1 for i in range(frame.start) if sentence[i] == here and tokens[i].kind == "word")
        if words_before > self.frame_start:
            return
        personal = [m for m in found["self"] if sentence[m.start] == here and not _overlaps(m, frame)]
        personal += [m for m in found["cond"] if sentence[m.start] == here and m.start >= frame.end]
        if personal:
            notes.append(f"question frame '{frame.text}' keeps symptoms: the sentence has '{personal[0].text}'")
        for m in concepts:
            in_frame = sentence[m.start] == here and m.status == "asserted" and m.concept not in self.always
            if in_frame and (not personal or m.concept in self.named):
                m.status, m.reason = "about", f"in a general question ('{frame.text}')"

    def _negatable(self, m: Match) -> bool:
        return m.concept not in self.not_negatable and m.concept not in self.always

    # ------------------------------------------------------------------ phone numbers

    def _numbers(self, country: str, kind: str) -> list[Number]:
        entries = (self._countries.get(country) or {}).get("numbers", {}).get(kind) or []
        return [Number(str(e["number"]), e["service"]) for e in entries]

    def _named_number(self, places: list[str], kind: str, texts: dict) -> str:
        """The number the reply text names: the country's first; for several countries, each country's."""
        if len(places) == 1:
            found = self._numbers(places[0], kind)
            if len(found) > 1:
                return texts["more_numbers"].format(number=found[0].number)
            return found[0].number if found else ""
        by_number: dict[str, list[str]] = {}
        for place in places:
            for n in self._numbers(place, kind)[:1]:
                by_number.setdefault(n.number, []).append(texts["countries"].get(place, place))
        return f" {texts['or']} ".join(f"{number} ({', '.join(names)})" for number, names in by_number.items())


# -------------------------------------------------------------------------------------------- helpers


def _read(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as e:
        raise RedFlagError(f"{path}: {e}") from e
    if not isinstance(data, dict):
        raise RedFlagError(f"{path}: expected a mapping at the top")
    return data


def _category(name: str, entry: dict) -> Category:
    rules = tuple(tuple(tuple(sorted([f] if isinstance(f, str) else f)) for f in rule) for rule in entry["rules"])
    numbers = tuple(entry.get("numbers") or DEFAULT_NUMBERS[entry["level"]])
    return Category(name, entry["level"], rules, bool(entry.get("always")), numbers)


def _load_language(path: Path, lang: str, declared: set[str], atoms: _Atoms, out: list[Pattern]) -> set[str]:
    """Compile one language's file into ``out``; returns the concepts it gives words for."""
    data = _read(path)

    def add(kind: str, spec, where: str, **extra) -> None:
        try:
            slots = _compile(str(spec), atoms)
        except ValueError as e:
            raise RedFlagError(f"{path}: {where}: {e}") from e
        out.append(Pattern(len(out), kind, str(spec), lang, slots, **extra))

    concepts = data.get("concepts") or {}
    for concept, specs in concepts.items():
        if concept not in declared:
            raise RedFlagError(f"{path}: concepts.{concept} is not declared in redflag_categories.yaml")
        for spec in specs or []:
            add("concept", spec, f"concepts.{concept}", concept=concept)
    for key, kind in PATTERN_KINDS.items():
        section, name = key.split(".")
        for spec in (data.get(section) or {}).get(name) or []:
            add(kind, spec, key)
    for n, trap in enumerate(data.get("traps") or []):
        suppresses = frozenset(trap.get("suppresses") or ())
        if suppresses - declared:
            raise RedFlagError(f"{path}: traps[{n}].suppresses: unknown concepts {sorted(suppresses - declared)}")
        if trap.get("scope", "match") not in ("match", "clause"):
            raise RedFlagError(f"{path}: traps[{n}].scope must be match or clause")
        for spec in trap.get("patterns") or []:
            add("trap", spec, f"traps[{n}]", suppresses=suppresses, scope=trap.get("scope", "match"))
    return set(concepts)


def _segments(tokens: list[Token]) -> tuple[list[int], list[int]]:
    """Per token, its segment (between any punctuation) and its sentence (between . ! ? newlines, dashes)."""
    segment, sentence, seg, sent = [], [], 0, 0
    for t in tokens:
        seg += t.kind != "word"
        sent += t.kind == "hard"
        segment.append(seg)
        sentence.append(sent)
    return segment, sentence


def _covered(matches: Iterable[Match]) -> set[int]:
    return {i for m in matches for i in range(m.start, m.end)}


def _overlaps(a: Match, b: Match) -> bool:
    return a.start < b.end and b.start < a.end


def _of(by_concept: dict[str, list[Match]], feature: tuple[str, ...]) -> list[Match]:
    return [m for c in feature for m in by_concept.get(c, ())]


def _show(features: Iterable[tuple[str, ...]]) -> str:
    return " + ".join("|".join(f) for f in features)
