"""Cross-lingual concept glossary of the corpus's domain (leg, foot, heel, calf, shin, Achilles, lower back,
buttock and sciatic pain).

One concept ("disc_herniation") has terms in every language (sv "diskbråck", da "diskusprolaps",
nb "skiveprolaps", en "herniated disc"), so a question in one language can be expanded into the words of
the articles in another; a kind and a domain per concept tell the topic gate whether a question is about the
corpus at all, and which concepts make a conversation topic that follow-ups carry over.

Data: ``data/concepts.yaml`` (kinds and domains, and the term syntax) and ``data/lang/<code>/glossary.yaml``
(terms per concept). Adding a language = adding a glossary file.

Matching runs on folded text (``bot.text.fold``) over every language's terms at once, walking character
tries built at load (no regex to compile; ~0.2 s to load, ~0.1 ms per question): at a word start
every term is tried and the longest wins; a term marked as a compound tail also matches inside a word; a
short word marked as a compound head matches only when a known tail follows ("vad|kramp", "læg|stræk")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot import yamlfile
from bot.config import DATA_DIR, LANGUAGES
from bot.text import fold

KINDS = ("anatomy", "tissue", "condition", "symptom", "treatment", "exam", "activity", "generic")
DOMAINS = ("in", "out", "neutral")
ASKS = ("", "seek_care")  # section kinds a question can ask for (the corpus marks its seek-care sections)
# In-domain anatomy and conditions: a conversation topic, and what keeps a question in the domain when it
# also names something outside it ("shoulder pain when running", "shockwave for tennis elbow" are not ours).
TOPIC_KINDS = frozenset({"anatomy", "condition"})
# Question words (why, how long, cost, ...): they share no content across languages, so they are not expanded
# (measured on the dev set: expanding them costs passage hits).
UNEXPANDED_KINDS = frozenset({"generic"})
MIN_OPEN_LENGTH = 5  # letters a term needs to match with any ending or inside a word

_ENTRY = re.compile(r"(?P<tail>-)?(?P<exact>=)?(?P<stem>[^()=+]+?)(?:\((?P<endings>[^()]*)\))?(?P<head>\+)?")
_FOLDED_TERM = re.compile(r"[a-z0-9]+(?:[ '-]+[a-z0-9]+)*")
_SEPARATORS = re.compile(r"[ '-]+")
# Typed without the Nordic keys, å ø ä ö often become aa oe ae oe (fold() turns them into a o a o).
_KEYBOARD_VARIANTS = str.maketrans({"å": "aa", "Å": "Aa", "ø": "oe", "Ø": "Oe", "ä": "ae", "Ä": "Ae",
                                    "ö": "oe", "Ö": "Oe"})


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str
    domain: str  # in | out | neutral
    asks: str  # the kind of section a question naming it wants ("seek_care"), or ""
    # language -> display terms, most typical first
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ConceptMatch:
    concept_id: str
    term: str  # the glossary term that matched, as written in its glossary file
    start: int  # span of the term in fold(text), not in the raw text
    end: int


@dataclass(frozen=True)
class Term:
    """One glossary entry, parsed: its folded forms and where they may match."""

    concept_id: str
    language: str
    display: str
    forms: tuple[str, ...]
    tail: bool = False  # may also start inside a word (compound tail)
    exact: bool = False  # the word must end after the form
    head: bool = False  # only as the first part of a compound whose tail is a known tail term

    @classmethod
    def parse(cls, raw: str, concept_id: str, language: str) -> Term:
        m = _ENTRY.fullmatch(raw.strip()) if isinstance(raw, str) else None
        if not m:
            raise ValueError(f"bad term {raw!r}")
        stem = m["stem"].strip()
        endings = m["endings"].split("|") if m["endings"] is not None else [""]
        if m["endings"] is not None and not m["exact"]:
            raise ValueError(f"bad term {raw!r}: endings (a|b) need '=' (without '=' any ending matches)")
        if m["head"] and (m["tail"] or m["exact"]):
            raise ValueError(f"bad term {raw!r}: '+' (compound head) does not combine with '-' or '='")
        written = [stem + ending for ending in endings]
        forms: list[str] = []
        for word in written:
            typed = word.translate(_KEYBOARD_VARIANTS)
            for variant in (word, typed) if typed != word else (word,):
                folded = fold(variant)
                if not _FOLDED_TERM.fullmatch(folded):
                    raise ValueError(f"bad term {raw!r}: {folded!r} is not letters, digits, space, - or '")
                if not (m["exact"] or m["head"]) and len(_key(folded)) < MIN_OPEN_LENGTH:
                    raise ValueError(
                        f"bad term {raw!r}: shorter than {MIN_OPEN_LENGTH} letters, mark it '=' (whole word) "
                        "or '+' (compound head)"
                    )
                if m["tail"] and _SEPARATORS.search(folded):
                    raise ValueError(f"bad term {raw!r}: a compound tail ('-') is a single word")
                if folded not in forms:
                    forms.append(folded)
        return cls(concept_id, language, written[0], tuple(forms), bool(m["tail"]), bool(m["exact"]),
                   bool(m["head"]))


def folded_forms(word: str) -> tuple[str, ...]:
    """A word folded as written and as typed without the Nordic keys (hälsa, haelsa -> halsa, haelsa)."""
    typed = word.translate(_KEYBOARD_VARIANTS)
    return tuple(dict.fromkeys((fold(word), fold(typed))))


def _key(folded_term: str) -> str:
    """Index key of a folded term or match: separators dropped, so "shin-splints" meets "shin splints"."""
    return _SEPARATORS.sub("", folded_term)


class _Trie:
    """Folded terms as a character trie, walked over the text: the longest term starting at a position wins.
    A space or hyphen inside a term matches a space, a hyphen or nothing; an apostrophe is optional.

    A node maps letters to nodes; the rare extras of a node (a term ends here, a separator or apostrophe
    follows) sit under one marker key, so a plain letter step is a single dict lookup."""

    _META = "\0"  # node[_META] = [end mode or None, key, separator child, apostrophe child]

    def __init__(self) -> None:
        self.root: dict = {}

    def _meta(self, node: dict) -> list:
        return node.setdefault(self._META, [None, None, None, None])

    def add(self, folded: str, exact: bool, key: str) -> None:
        node = self.root
        for char in folded:  # fold() leaves single spaces; a term has no doubled separators
            if char in " -'":
                slot = 3 if char == "'" else 2
                meta = self._meta(node)
                meta[slot] = meta[slot] if meta[slot] is not None else {}
                node = meta[slot]
            else:
                node = node.setdefault(char, {})
        meta = self._meta(node)
        meta[0] = "exact" if exact and meta[0] in (None, "exact") else "open"
        meta[1] = key

    def longest(self, text: str, start: int) -> tuple[int, str] | None:
        """(end, key) of the longest term starting at ``start``, or None."""
        if text[start] not in self.root:
            return None
        best: tuple[int, str] | None = None
        n = len(text)
        stack = [(self.root, start)]
        while stack:
            node, i = stack.pop()
            while node is not None:
                meta = node.get(self._META)
                if meta is not None:
                    mode, key, sep, apos = meta
                    ends_here = mode == "open" or (mode == "exact" and (i == n or not text[i].isalnum()))
                    if ends_here and (best is None or i > best[0]):
                        best = (i, key)
                    for child, skips in ((sep, " -"), (apos, "'")):
                        if child is not None:
                            stack.append((child, i))
                            if i < n and text[i] in skips:
                                stack.append((child, i + 1))
                if i == n:
                    break
                node = node.get(text[i])
                i += 1
        return best


class Glossary:
    def __init__(self, concepts: Mapping[str, Concept], terms: Sequence[Term]):
        self.concepts = dict(concepts)
        self.languages = tuple(dict.fromkeys(t.language for t in terms))
        index: dict[str, dict[str, str]] = {}  # key -> concept id -> display term
        self._words, self._heads, self._tails = _Trie(), _Trie(), _Trie()
        for term in terms:
            for form in term.forms:
                key = _key(form)
                index.setdefault(key, {}).setdefault(term.concept_id, term.display)
                if term.head:
                    self._heads.add(form, False, key)
                    continue
                self._words.add(form, term.exact, key)
                if term.tail:
                    self._tails.add(form, term.exact, key)
        self._index = index
        # Where a term can start: word starts, and inside words where a compound tail's first three letters
        # occur (tails are single words of 5+ letters). One scan in C instead of a Python step per character.
        tail_starts = sorted({form[:3] for t in terms if t.tail for form in t.forms})
        starts = [r"(?<![^\W_])(?=[^\W_])"] + [f"(?={'|'.join(tail_starts)})"] * bool(tail_starts)
        self._starts = re.compile("|".join(starts))

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> Glossary:
        """concepts.yaml plus every lang/<code>/glossary.yaml present."""
        concepts_path = data_dir / "concepts.yaml"
        raw_concepts = yamlfile.safe_load(concepts_path.read_text(encoding="utf-8")) or {}
        meta: dict[str, tuple[str, str, str]] = {}
        for cid, spec in raw_concepts.items():
            kind, domain, asks = (spec or {}).get("kind"), (spec or {}).get("domain"), (spec or {}).get("asks", "")
            if kind not in KINDS or domain not in DOMAINS or asks not in ASKS:
                raise ValueError(
                    f"{concepts_path}: {cid}: kind must be one of {KINDS}, domain of {DOMAINS}, asks of {ASKS}"
                )
            meta[cid] = (kind, domain, asks)

        paths = sorted((data_dir / "lang").glob("*/glossary.yaml"), key=_language_order)
        terms: list[Term] = []
        displays: dict[str, dict[str, tuple[str, ...]]] = {cid: {} for cid in meta}
        for path in paths:
            language = path.parent.name
            for cid, entries in (yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}).items():
                if cid not in meta:
                    raise ValueError(f"{path}: concept {cid!r} is not in {concepts_path.name}")
                if not isinstance(entries, list) or not entries:
                    raise ValueError(f"{path}: {cid}: expected a non-empty list of terms")
                try:
                    parsed = [Term.parse(raw, cid, language) for raw in entries]
                except ValueError as error:
                    raise ValueError(f"{path}: {cid}: {error}") from None
                terms.extend(parsed)
                displays[cid][language] = tuple(dict.fromkeys(t.display for t in parsed))
        concepts = {cid: Concept(cid, *spec, displays[cid]) for cid, spec in meta.items()}
        return cls(concepts, terms)

    # -- matching ---------------------------------------------------------------------------------------
    def find(self, text: str) -> list[ConceptMatch]:
        """Every concept term in the text (any language), in text order; offsets refer to fold(text).

        At a word start the longest term wins; failing that, a compound head followed by a known tail;
        inside a word only compound tails match. Matching resumes after each match."""
        folded = fold(text)
        found = []
        resume = 0
        for position in self._starts.finditer(folded):
            i = position.start()
            if i < resume:
                continue
            hit = None
            if i == 0 or not folded[i - 1].isalnum():
                hit = self._words.longest(folded, i)
                if hit is None:
                    head = self._heads.longest(folded, i)
                    if head and head[0] < len(folded) and self._tails.longest(folded, head[0]):
                        hit = head
            if hit is None:
                hit = self._tails.longest(folded, i)
            if hit is not None:
                resume, key = hit
                found.extend(ConceptMatch(cid, term, i, resume) for cid, term in self._index[key].items())
        return found

    @property
    def term_keys(self) -> Mapping[str, tuple[str, ...]]:
        """Every matchable key -> the concepts it stands for (more than one is a data error)."""
        return {key: tuple(by_concept) for key, by_concept in self._index.items()}

    # -- expansion --------------------------------------------------------------------------------------
    def expansion(self, concept_ids: Iterable[str], languages: Iterable[str] | None = None,
                  per_language: int = 3) -> list[str]:
        """The most typical terms of these concepts in these languages (query expansion), without repeats.
        Generic question words are left out."""
        languages = tuple(languages) if languages is not None else self.languages
        out: dict[str, str] = {}
        for cid in concept_ids:
            concept = self.concepts.get(cid)
            if concept is None or concept.kind in UNEXPANDED_KINDS:
                continue
            for language in languages:
                for term in concept.terms.get(language, ())[:per_language]:
                    out.setdefault(fold(term), term)
        return list(out.values())

    def name(self, concept_id: str, language: str, term: str = "") -> str:
        """What a reply in this language calls the concept: the writer's term when it is one of the language's
        own, else the language's most typical term (English when it has none). A term is matched in every
        language at once, so "knæ" may have been found as the Swedish "knä"."""
        concept = self.concepts[concept_id]
        own = concept.terms.get(language) or concept.terms.get("en") or (term,)
        return term if term in own else own[0]

    def asks(self, concept_ids: Iterable[str]) -> tuple[str, ...]:
        """The kinds of section these concepts ask for ("when should I see a doctor" -> seek_care)."""
        return tuple(dict.fromkeys(a for cid in concept_ids if (a := self.concepts[cid].asks)))

    # -- domain and topic -------------------------------------------------------------------------------
    def in_domain_ids(self, concept_ids: Iterable[str]) -> list[str]:
        """Concepts that place a question inside the corpus's domain. When the question also names something
        outside it, or a neighbouring body site (neutral anatomy), only in-domain anatomy and conditions do:
        "my shoulder hurts when I run" and "my knee hurts on the stairs" are not ours."""
        ids = list(dict.fromkeys(concept_ids))
        inside = [c for c in ids if self._domain(c) == "in"]
        if self.out_of_domain_ids(ids) or self.neighbouring_site_ids(ids):
            inside = [c for c in inside if self.concepts[c].kind in TOPIC_KINDS]
        return inside

    def out_of_domain_ids(self, concept_ids: Iterable[str]) -> list[str]:
        """Concepts clearly outside what the articles can answer (other body regions, other illnesses)."""
        return [c for c in dict.fromkeys(concept_ids) if self._domain(c) == "out"]

    def neighbouring_site_ids(self, concept_ids: Iterable[str]) -> list[str]:
        """Body sites next to the domain (the knee, the groin): part of a leg complaint, or a complaint of
        their own when the question names nothing of the domain's anatomy or conditions."""
        known = (self.concepts.get(c) for c in dict.fromkeys(concept_ids))
        return [c.id for c in known if c and c.domain == "neutral" and c.kind == "anatomy"]

    def topic(self, matches: Iterable[ConceptMatch]) -> list[ConceptMatch]:
        """The matches that make a conversation topic: in-domain anatomy and conditions."""
        return [
            m for m in matches
            if self._domain(m.concept_id) == "in" and self.concepts[m.concept_id].kind in TOPIC_KINDS
        ]

    def _domain(self, concept_id: str) -> str:
        concept = self.concepts.get(concept_id)
        return concept.domain if concept else "neutral"


def _language_order(path: Path) -> tuple[int, str]:
    """The configured languages first, in their order (sv da nb en), then any added ones."""
    code = path.parent.name
    return (LANGUAGES.index(code) if code in LANGUAGES else len(LANGUAGES), code)
