"""Finding red-flag words in one message: tokens, word atoms, compiled patterns, and what cancels a match.

The engine knows no language; everything it matches is data in ``data/lang/<code>/redflags.yaml``: per
language the words of each concept, negation cues and their scope, traps (phrases that look like a symptom
but are not: "fell asleep"), and the frames of general questions about red flags ("When is sciatica
dangerous?"), which describe no symptom. Every language's patterns run on every message: language detection
is unreliable on short messages, and people mix languages. Words are compared folded (case and diacritics
folded, apostrophes and hyphens dropped, "aa" and "oe" read as "å" and "ø"), so "rött", "rott" and "RÖTT" meet.

Pattern syntax: words separated by spaces, each word one or more alternatives split by ``|``. ``svull*``
matches a word start, ``*smärta`` a word end (compound tails), ``*cancer*`` anywhere in a word, ``ont`` the
whole word, and ``..`` up to three words of any kind. Patterns never reach across punctuation.

Negation, after medspaCy's ConText: a cue ("ingen", "ikke", "not") negates the first symptom after it when
only filler words stand between (at most ``negation_window``), and the symptoms listed after that one
("ingen feber, frossa eller nattsvettningar"). The scope ends at punctuation, a contrast word ("men",
"but") or any other word. A cue inside a symptom's own words ("kan inte kissa", "har ikke følelse") is no
cue. A symptom both denied and asserted in one message counts as asserted. A denial that points back
("men det har jeg ikke", "none of those") denies the symptoms before it in its sentence.

Context, also after ConText, as data per language: a distant time ("a month ago", "for fem år siden")
puts the symptoms of its clause in the past; a symptom said to have gone ("it went away", "gick över",
"normal again") is over; a hypothetical ("in case", "watch out for", "asked me whether") describes no
symptom; and a mention ("read about", "something called") makes a named condition a topic, not a
diagnosis. Past, resolved and hypothetical symptoms do not fire, but a past risk factor keeps counting
as one (``history_keeps``: a clot years ago is a risk factor for a new one, cancer stays cancer).
Idioms are traps that may name even an ``always`` concept ("the pain is killing me").
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot import yamlfile
from bot.text import fold

GAP = -1  # a ``..`` slot in a compiled pattern
MAX_GAP = 3
TYPO_MIN_LENGTH = 8  # whole words this long also match with one letter left out, added or swapped
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
    "negation.anaphoric": "anaphoric",  # a denial pointing back at the sentence's symptoms ("none of those")
    "context.historical": "historical",  # a distant time: the clause's symptoms are past ("five years ago")
    "context.resolved": "resolved",  # the symptoms before it in the sentence are over ("it went away")
    "context.hypothetical": "hypothetical",  # the rest of the sentence is a possibility ("in case")
    "context.mention": "mention",  # the rest of the sentence names a condition as a topic ("read about")
    "context.terminators": "ctx_end",  # ends a forward context scope ("but", "now", "nu")
    "turns.withdraw": "withdraw",  # the message takes back what was written before ("wrong chat")
}
SCOPES = ("match", "clause", "sentence")
_OE = re.compile(r"oe(?=[a-z])")  # "foelelse" = "følelse"; a final "oe" stays ("toe" is not "to")
_TOKEN = re.compile(
    r"(?P<word>\d+(?:[.,/]\d+)?|[^\W_]+(?:['’\-][^\W_]+)*)"
    r"|(?P<hard>[.!?…]+|\n|(?<=\s)[-–—](?=\s)|[–—])"  # ends a sentence; a spaced dash too
    r"|(?P<clause>[;:()\[\]\"“”«»])"
    r"|(?P<comma>[,/&+])"
)


class RedFlagError(ValueError):
    """A red-flag data file is malformed; the message names the file and the entry."""


def read_yaml(path: Path) -> dict:
    """A data file's mapping, or a RedFlagError naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            data = yamlfile.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise RedFlagError(f"{path}: {e}") from e
    if not isinstance(data, dict):
        raise RedFlagError(f"{path}: expected a mapping at the top")
    return data


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


class Atoms:
    """Word matchers (whole word, start, end, inside) and an index that finds all matchers of a word."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.prefix: dict[str, set[int]] = defaultdict(set)
        self.suffix: dict[str, set[int]] = defaultdict(set)
        self.infix: list[tuple[str, int]] = []
        self.typos: dict[str, set[int]] = defaultdict(set)  # a long whole word with one letter left out
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
            if kind == "exact" and len(text) >= TYPO_MIN_LENGTH:
                for variant in _one_letter_off(text):
                    self.typos[variant].add(atom)
        return self.ids[(kind, text)]

    def _of_word(self, word: str) -> frozenset[int]:
        found: set[int] = set(self.exact.get(word, ()))
        for k in range(1, len(word) + 1):
            found.update(self.prefix.get(word[:k], ()))
            found.update(self.suffix.get(word[-k:], ()))
        found.update(atom for text, atom in self.infix if text in word)
        # Typos of long words: a letter left out, doubled or swapped ("swolen", "tightnes", "numbess"); a
        # word that is itself listed is never read as a typo of another ("fracture" is not "fractured").
        if len(word) >= TYPO_MIN_LENGTH - 1 and word not in self.exact:
            found.update(self.typos.get(word, ()))
            for variant in _one_letter_off(word):
                found.update(self.exact.get(variant, ()))
        return frozenset(found)


def _one_letter_off(word: str) -> set[str]:
    """The word with one letter left out, or two neighbours swapped."""
    out = {word[:i] + word[i + 1 :] for i in range(len(word))}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    out.discard(word)
    return out


def _compile(spec: str, atoms: Atoms) -> tuple:
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


def load_language(path: Path, lang: str, declared: set[str], atoms: Atoms, out: list[Pattern]) -> set[str]:
    """Compile one language's file into ``out``; returns the concepts it gives words for."""
    data = read_yaml(path)

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
        if trap.get("scope", "match") not in SCOPES:
            raise RedFlagError(f"{path}: traps[{n}].scope must be one of {', '.join(SCOPES)}")
        for spec in trap.get("patterns") or []:
            add("trap", spec, f"traps[{n}]", suppresses=suppresses, scope=trap.get("scope", "match"))
    return set(concepts)


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
    status: str = "asserted"  # asserted | negated | trapped | about | past | hypothetical
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
    withdraws: bool = False  # the message takes back the conversation so far


@dataclass(frozen=True)
class MatchSettings:
    """The knobs of negation and question frames, and the concept classes they treat differently."""

    window: int = 3  # filler words allowed between a negation cue and the symptom it denies
    frame_start: int = 3  # a general-question frame must start this close to the sentence start
    not_negatable: frozenset[str] = frozenset()  # where or when, not what is wrong
    named: frozenset[str] = frozenset()  # a condition's name: dropped in any general question
    always: frozenset[str] = frozenset()  # never negated, trapped or taken for a general question
    history_keeps: tuple[tuple[str, str], ...] = ()  # a past concept that still asserts another (a risk factor)
    yields: tuple[tuple[str, frozenset[str]], ...] = ()  # a concept read inside a longer match of these is not it


# ------------------------------------------------------------------------------------------- analyser


class Analyser:
    """All languages' compiled patterns; analyses one text into asserted and cancelled concept matches."""

    def __init__(self, patterns: list[Pattern], atoms: Atoms, settings: MatchSettings):
        self.patterns = patterns
        self.atoms = atoms
        self.settings = settings
        self._by_first_atom: dict[int, list[Pattern]] = defaultdict(list)
        for p in patterns:
            for atom in p.slots[0]:
                self._by_first_atom[atom].append(p)
        # Earlier turns come back on every turn of a conversation: analyse each text once.
        self.analyse = functools.lru_cache(maxsize=4096)(self._analyse)

    def _analyse(self, text: str) -> Analysis:
        tokens = tokenize(text)
        found: dict[str, list[Match]] = defaultdict(list)
        for m in self._find(tokens):
            found[m.pattern.kind].append(m)
        concepts, notes = found["concept"], []
        segment, sentence = _segments(tokens)
        self._apply_yields(concepts)
        self._apply_traps(found["trap"], concepts, segment, sentence)
        self._apply_negation(found, concepts, tokens)
        self._apply_anaphoric(found["anaphoric"], concepts, sentence)
        for frame in found["frame"]:
            self._apply_frame(frame, found, concepts, tokens, sentence, notes)
        self._apply_context(found, concepts, tokens, segment, sentence)
        keeps = dict(self.settings.history_keeps)
        asserted: dict[str, list[Match]] = defaultdict(list)
        for m in concepts:
            if m.status == "asserted":
                asserted[m.concept].append(m)
            elif m.status == "past" and m.concept in keeps:
                asserted[keeps[m.concept]].append(m)
        return Analysis(concepts, dict(asserted), notes, bool(found["withdraw"]))

    def _find(self, tokens: list[Token]) -> list[Match]:
        """Every pattern match, each within a run of words."""
        found = []
        words = [self._atoms_of(t) if t.kind == "word" else None for t in tokens]
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

    def _apply_yields(self, concepts: list[Match]) -> None:
        """The longer, more specific reading wins: "kan inte gå" inside "kan inte gå på hälarna" (a foot that
        cannot lift) is not an inability to walk."""
        yields = dict(self.settings.yields)
        for m in concepts:
            to = yields.get(m.concept)
            if not to:
                continue
            wider = next(
                (
                    o
                    for o in concepts
                    if o.concept in to and o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                ),
                None,
            )
            if wider is not None:
                m.status, m.reason = "trapped", f"part of {wider.concept} '{wider.text}'"

    def _atoms_of(self, token: Token) -> frozenset[int]:
        """A word's atoms; a hyphenated compound ("purplish-red", "blå-rød") also counts as its last part."""
        atoms = self.atoms.of_word(token.norm)
        if "-" in token.text:
            atoms |= self.atoms.of_word(norm(token.text.rsplit("-", 1)[1]))
        return atoms

    def _apply_traps(self, traps: list[Match], concepts: list[Match], segment: list[int], sentence: list[int]) -> None:
        """Phrases that look like a symptom but are not: "fell asleep", tingling after sitting, and idioms
        ("the pain is killing me"), which may name even a concept that otherwise fires in any context."""
        for trap in traps:
            scope = trap.pattern.scope
            for m in concepts:
                if m.status != "asserted":
                    continue
                if trap.pattern.suppresses and m.concept not in trap.pattern.suppresses:
                    continue
                if m.concept in self.settings.always and m.concept not in trap.pattern.suppresses:
                    continue
                inside = trap.start <= m.start < trap.end
                near = (scope == "clause" and segment[m.start] == segment[trap.start]) or (
                    scope == "sentence" and sentence[m.start] == sentence[trap.start]
                )
                if inside or near:
                    m.status, m.reason = "trapped", f"suppressed by trap '{trap.text}'"

    def _apply_negation(self, found: dict[str, list[Match]], concepts: list[Match], tokens: list[Token]) -> None:
        # A cue inside a pseudo-negation ("inte bara") or inside a symptom's own words negates nothing.
        symptoms = [m for m in concepts if m.concept not in self.settings.not_negatable]
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

    def _apply_anaphoric(self, denials: list[Match], concepts: list[Match], sentence: list[int]) -> None:
        """ "..., men det har jeg ikke": the denial points back at every symptom before it in its sentence."""
        for denial in denials:
            for m in concepts:
                before = m.end <= denial.start and sentence[m.start] == sentence[denial.start]
                if before and m.status == "asserted" and self._negatable(m):
                    m.status, m.reason = "negated", f"negated by '{denial.text}' after it"

    def _apply_context(self, found, concepts: list[Match], tokens: list[Token], segment, sentence) -> None:
        """Past, resolved and hypothetical symptoms, and named conditions only mentioned, do not count."""
        ends = _covered(found["ctx_end"])
        n = len(tokens)
        for cue in found["historical"]:
            # The cue's clause; a cue that is a clause of its own ("Last year, ...") reaches the next one.
            own = [i for i in range(n) if segment[i] == segment[cue.start] and tokens[i].kind == "word"]
            clauses = {segment[cue.start]}
            if len(own) == cue.end - cue.start:
                clauses.add(segment[cue.start] + 1)
            # ... but not past a word that brings the text back to now ("and now", "men nu").
            left = max((i for i in ends if i < cue.start), default=-1)
            right = min((i for i in ends if i >= cue.end), default=n)
            scope = {i for i in range(left + 1, right) if segment[i] in clauses}
            self._mark(concepts, scope, None, "past", f"in the past ('{cue.text}')")
        for cue in found["resolved"]:
            scope = {i for i in range(cue.start) if sentence[i] == sentence[cue.start]}
            self._mark(concepts, scope, None, "past", f"over ('{cue.text}')")
        for kind, only in (("hypothetical", None), ("mention", self.settings.named)):
            for cue in found[kind]:
                stop = next((i for i in range(cue.end, n) if i in ends or tokens[i].kind == "hard"), n)
                reason = f"not a symptom the writer has ('{cue.text}')"
                self._mark(concepts, set(range(cue.end, stop)), only, "hypothetical", reason)

    def _mark(self, concepts: list[Match], scope: set[int], only, status: str, reason: str) -> None:
        """Give the asserted, negatable matches that start in ``scope`` (of ``only`` concepts) a status."""
        for m in concepts:
            if (
                m.status == "asserted"
                and self._negatable(m)
                and m.start in scope
                and (only is None or m.concept in only)
            ):
                m.status, m.reason = status, reason

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
            elif (j in fillers or here) and gap < self.settings.window:
                j, gap = max([j + 1] + [m.end for m in here]), gap + 1
            else:
                return

    def _apply_frame(self, frame: Match, found, concepts, tokens, sentence, notes) -> None:
        """A general question about red flags ("Hvornår er iskias farligt?") describes no symptom. A sentence
        that speaks of the writer or has an "if" clause after the frame keeps its symptoms, but not its
        named conditions: asking about a blood clot is not having one."""
        here = sentence[frame.start]
        words_before = sum(1 for i in range(frame.start) if sentence[i] == here and tokens[i].kind == "word")
        if words_before > self.settings.frame_start:
            return
        personal = [m for m in found["self"] if sentence[m.start] == here and not _overlaps(m, frame)]
        personal += [m for m in found["cond"] if sentence[m.start] == here and m.start >= frame.end]
        if personal:
            notes.append(f"question frame '{frame.text}' keeps symptoms: the sentence has '{personal[0].text}'")
        for m in concepts:
            in_frame = sentence[m.start] == here and m.status == "asserted" and m.concept not in self.settings.always
            if in_frame and (not personal or m.concept in self.settings.named):
                m.status, m.reason = "about", f"in a general question ('{frame.text}')"

    def _negatable(self, m: Match) -> bool:
        return m.concept not in self.settings.not_negatable and m.concept not in self.settings.always


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
