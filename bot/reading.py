"""Reading a message before anything is searched: what kind of message it is (a question, a greeting, thanks,
a complaint too vague to answer), which sentences ask something, what the main complaint is (body site and
condition, with negations: "no numbness", "not my knee"), what is asked (intent), and the bounded text that is
encoded for retrieval (``focus``).

People write several sentences of backstory and then ask one or two things. Searching the whole story finds
the article about whatever the story mentions most; searching the question with the complaint finds the
article that answers it, and costs a bounded encoder call whatever the length of the message. The whole
message still counts as lexical evidence (bot/query.py).

Cue data per language: ``data/lang/<code>/reading.yaml``; concepts (sites, conditions, symptoms and their
domains) come from the glossary."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from bot.config import DATA_DIR
from bot.corpus import abbreviations
from bot.glossary import ConceptMatch, Glossary, folded_forms
from bot.intent import IntentCues
from bot.text import fold

QUESTION = "question"
GREETING = "greeting"
THANKS = "thanks"
VAGUE = "vague"

# Encoded text: the complaint and the question(s), cut at word boundaries. About 4 characters a token: the
# focus stays within the encoder's query bound (bot/embed.py), so its cost is bounded whatever is written.
FOCUS_CHARS = 200
SENTENCE_CHARS = 120  # one question sentence's share
COMPLAINT_CHARS = 70  # the words around the complaint's term ("ont under hälen på morgonen")
NEGATION_WORDS = 5  # words a negation covers ("no pain down the leg")
VAGUE_WORDS = 8  # a complaint without a body site this short asks for a clarifying question
TOPIC_MEMORY = 3  # earlier user turns searched for a topic to carry over
TOPIC_TERMS = 3  # topic concepts named in a focus
# Concept kinds: sites and conditions can be the complaint; symptoms say that a sentence is a complaint.
SITE_KINDS = frozenset({"anatomy"})
CONDITION_KINDS = frozenset({"condition"})
COMPLAINT_CUE_KINDS = frozenset({"symptom", "condition"})

_SENTENCE_END = re.compile(r"[.!?…]+[\"')»”]*(?=\s|$)|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_JOIN = " | "  # between folded sentences: no glossary term spans it


@dataclass(frozen=True)
class ReadingCues:
    question_words: frozenset[str]
    question_verbs: frozenset[str]
    subjects: frozenset[str]
    question_phrases: re.Pattern[str]
    lead_ins: frozenset[str]
    negations: re.Pattern[str]
    negation_stops: re.Pattern[str]
    greetings: re.Pattern[str]
    thanks: re.Pattern[str]
    fillers: frozenset[str]
    abbreviations: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> ReadingCues:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        language = path.parent.name
        try:
            abbrevs = abbreviations(language)
        except ValueError:
            abbrevs = frozenset()
        return cls(
            question_words=_words(data["question_words"]),
            question_verbs=_words(data["question_verbs"]),
            subjects=_words(data["subjects"]),
            question_phrases=_phrases(data["question_phrases"]),
            lead_ins=_words(data["lead_ins"]),
            negations=_phrases(data["negations"]),
            negation_stops=_phrases(data["negation_stops"]),
            greetings=_phrases(data["greetings"]),
            thanks=_phrases(data["thanks"]),
            fillers=_words(data["fillers"]),
            abbreviations=abbrevs,
        )


def _words(items: Sequence[str]) -> frozenset[str]:
    return frozenset(form for item in items for form in folded_forms(str(item)))


def _phrases(items: Sequence[str]) -> re.Pattern[str]:
    forms = sorted({f for item in items for f in folded_forms(str(item))}, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(w) for w in f.split()) for f in forms)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


@dataclass(frozen=True)
class Mention:
    """A glossary concept named in the message, placed in its sentence."""

    concept_id: str
    kind: str
    domain: str
    sentence: int
    start: int  # in the folded sentence
    negated: bool
    term: str = ""


@dataclass(frozen=True)
class Complaint:
    """A body site or condition the writer complains about. ``scope``: in (the articles' domain), out (another
    body site or condition), or unknown."""

    concept_id: str
    kind: str  # anatomy | condition | symptom
    scope: str
    sentence: str  # the sentence that names it
    score: float  # how central it is to the message (see Reader.complaints)
    term: str = ""  # the glossary term it was named by ("vorte", "knee")
    broad: bool = False  # a site people name loosely ("my legs"): never the covered part of a complaint


@dataclass(frozen=True)
class Reading:
    text: str  # the whole message
    language: str
    kind: str  # question | greeting | thanks | vague
    questions: tuple[str, ...]  # the sentences that ask something, in order
    complaint: Complaint | None  # the main complaint
    others: tuple[Complaint, ...]  # further complaints, most central first
    concepts: tuple[str, ...]  # glossary concepts named and not negated, in order
    negated: tuple[str, ...]  # concepts named only under a negation ("no numbness")
    intent: str
    focus: str  # the bounded text to encode: question(s) and complaint
    topic: tuple[str, ...] = ()  # in-domain sites and conditions in force (the message's own, else borrowed)
    borrowed: str = ""  # the earlier user turn the topic came from, when the message names none

    @property
    def question(self) -> str:
        return " ".join(self.questions)

    @property
    def covered(self) -> Complaint | None:
        """The complaint to answer: the main one, or the most central one the articles cover when the main
        complaint is a body site they do not (a named condition outside the domain takes its site with it)."""
        if self.complaint is None or self.complaint.scope != "out":
            return self.complaint
        if self.complaint.kind in CONDITION_KINDS:
            return None
        return next((c for c in self.others if c.scope == "in" and c.kind in SITE_KINDS and not c.broad), None)

    @property
    def uncovered(self) -> tuple[Complaint, ...]:
        """Complaints the articles do not cover, named besides one they do."""
        covered = self.covered
        if covered is None:
            return ()
        # Besides the main complaint, only body sites: an illness named in passing (a flu last month, blood
        # pressure pills) is context, not a second complaint.
        others = tuple(c for c in self.others if c.kind in SITE_KINDS)
        return tuple(c for c in (self.complaint, *others) if c and c.scope == "out")


class Reader:
    def __init__(self, glossary: Glossary, cues: dict[str, ReadingCues], intents: IntentCues,
                 broad_sites: frozenset[str] = frozenset()):
        self.glossary = glossary
        self.cues = cues
        self.intents = intents
        self.broad_sites = broad_sites  # sites people name loosely ("my legs"): weaker as the main complaint

    @classmethod
    def load(cls, glossary: Glossary, data_dir: Path = DATA_DIR) -> Reader:
        cues = {p.parent.name: ReadingCues.load(p) for p in sorted((data_dir / "lang").glob("*/reading.yaml"))}
        gate = yaml.safe_load((data_dir / "gate.yaml").read_text(encoding="utf-8"))
        return cls(glossary, cues, IntentCues.load(data_dir), frozenset(gate.get("broad_sites", ())))

    # -- the whole reading -----------------------------------------------------------------------------
    def read(self, message: str, language: str, earlier_user_turns: Sequence[str] = ()) -> Reading:
        cues = self.cues.get(language) or self.cues["en"]
        sentences = self.sentences(message, cues)
        folded = [fold(s) for s in sentences]
        asking = [i for i, f in enumerate(folded) if self.asks(sentences[i], f, cues)]
        mentions = self.mentions(folded, cues)
        complaints = self.complaints(mentions, sentences, set(asking))
        concepts = tuple(dict.fromkeys(m.concept_id for m in mentions if not m.negated))
        negated = tuple(dict.fromkeys(m.concept_id for m in mentions if m.negated and m.concept_id not in concepts))
        questions = tuple(sentences[i] for i in asking) or tuple(sentences[-1:])
        intent = self.intents.detect(" ".join(questions), language)
        topic, borrowed = self.topic(concepts, earlier_user_turns)
        kind = self.kind(message, folded, concepts, intent, earlier_user_turns, cues)
        main = complaints[0] if complaints else None
        reading = Reading(message, language, kind, questions, main, tuple(complaints[1:]), concepts, negated,
                          intent, "", topic, borrowed)
        return replace(reading, focus=self.focus(reading, borrowed))

    # -- sentences and questions -----------------------------------------------------------------------
    def sentences(self, text: str, cues: ReadingCues) -> list[str]:
        """The message's sentences in order; a period after a known abbreviation or inside a number does not
        end one."""
        out, start = [], 0
        for end in _SENTENCE_END.finditer(text):
            word = text[start:end.start() + 1].rsplit(None, 1)[-1].lower() if text[start:end.start()].strip() else ""
            if end.group().startswith(".") and word in cues.abbreviations:
                continue
            piece = text[start:end.end()].strip()
            if piece:
                out.append(piece)
            start = end.end()
        tail = text[start:].strip()
        if tail:
            out.append(tail)
        return out or [text.strip()]

    def asks(self, sentence: str, folded: str, cues: ReadingCues) -> bool:
        if "?" in sentence:
            return True
        if cues.question_phrases.search(folded):
            return True
        words = _WORD.findall(folded)
        while words and words[0] in cues.lead_ins:
            words = words[1:]
        if not words:
            return False
        if words[0] in cues.question_words:
            return True
        return words[0] in cues.question_verbs and len(words) > 1 and words[1] in cues.subjects

    # -- concepts, negations and complaints ------------------------------------------------------------
    def mentions(self, folded_sentences: list[str], cues: ReadingCues) -> list[Mention]:
        """Glossary concepts per sentence, negated or not; one glossary pass over the joined sentences."""
        starts, offset = [], 0
        for sentence in folded_sentences:
            starts.append(offset)
            offset += len(sentence) + len(_JOIN)
        scopes = [_negation_scopes(sentence, cues) for sentence in folded_sentences]
        out = []
        for match in self.glossary.find(_JOIN.join(folded_sentences)):
            concept = self.glossary.concepts.get(match.concept_id)
            if concept is None:
                continue
            i = bisect_right(starts, match.start) - 1
            start = match.start - starts[i]
            negated = any(a <= start < b for a, b in scopes[i])
            out.append(Mention(match.concept_id, concept.kind, concept.domain, i, start, negated, match.term))
        return out

    def complaints(self, mentions: list[Mention], sentences: list[str], asking: set[int]) -> list[Complaint]:
        """Body sites and conditions the writer complains about, most central first.

        Only a site named with a symptom or condition, or a named condition, is a complaint (not a passing
        mention: "I run in the park", "keep the knee straight during the exercise"). It scores for that, for
        being named in a question, a named condition more than a site, a broad site ("my legs") less. The
        first complaint wins ties. A site's scope follows a condition
        named with it ("pain from the hip down the leg" is sciatic; "a wart under my foot" is not ours)."""
        live = [m for m in mentions if not m.negated]
        cued = {m.sentence for m in live if m.kind in COMPLAINT_CUE_KINDS}
        in_conditions = {m.sentence for m in live if m.domain == "in" and m.kind in COMPLAINT_CUE_KINDS}
        out_conditions = {m.sentence for m in live if m.domain == "out" and m.kind in CONDITION_KINDS}
        scores: dict[str, float] = {}
        first: dict[str, tuple[int, int]] = {}
        info: dict[str, tuple[str, str, int, str]] = {}
        cues: dict[str, bool] = {}
        for m in live:
            is_site = m.kind in SITE_KINDS
            is_condition = m.kind in CONDITION_KINDS and m.domain != "neutral"
            is_symptom = m.kind == "symptom" and m.domain == "in"
            if not (is_site or is_condition or is_symptom):
                continue
            score = 0.0
            complained = m.sentence in cued or is_condition or is_symptom
            cues[m.concept_id] = cues.get(m.concept_id, False) or complained
            if complained:
                score += 2
            if m.sentence in asking:
                score += 2
            if is_condition:
                score += 1
            if m.concept_id in self.broad_sites:
                score -= 1
            if m.concept_id in scores:
                scores[m.concept_id] = max(scores[m.concept_id], score) + 0.25
                continue
            scores[m.concept_id] = score
            first[m.concept_id] = (m.sentence, m.start)
            if is_site:
                if m.sentence in in_conditions:
                    scope = "in"
                elif m.sentence in out_conditions:
                    scope = "out"
                else:
                    scope = "in" if m.domain == "in" else "out"
            else:
                scope = m.domain
            info[m.concept_id] = (m.kind, scope, m.sentence, m.term)
        ranked = sorted((c for c in scores if cues[c]), key=lambda c: (-scores[c], first[c]))
        return [Complaint(c, info[c][0], info[c][1], sentences[info[c][2]], scores[c], info[c][3],
                          c in self.broad_sites) for c in ranked]

    def topic(self, concepts: tuple[str, ...], earlier: Sequence[str]) -> tuple[tuple[str, ...], str]:
        """The message's own in-domain sites and conditions, else those of the latest earlier turn naming any."""
        own = self._topic_ids(concepts)
        if own:
            return own, ""
        for turn in reversed(list(earlier)[-TOPIC_MEMORY:]):
            ids = self._topic_ids(m.concept_id for m in self.glossary.find(turn))
            if ids:
                return ids, turn
        return (), ""

    def _topic_ids(self, concept_ids) -> tuple[str, ...]:
        matches = [ConceptMatch(c, "", 0, 0) for c in concept_ids]
        return tuple(dict.fromkeys(m.concept_id for m in self.glossary.topic(matches)))

    # -- kind of message -------------------------------------------------------------------------------
    def kind(self, message: str, folded: list[str], concepts: tuple[str, ...], intent: str,
             earlier: Sequence[str], cues: ReadingCues) -> str:
        text = " ".join(folded)
        rest = _WORD.findall(cues.greetings.sub(" ", cues.thanks.sub(" ", text)))
        if all(w in cues.fillers for w in rest):
            if cues.thanks.search(text) and (earlier or not cues.greetings.search(text)):
                return THANKS
            if cues.greetings.search(text):
                return GREETING
        words = _WORD.findall(text)
        named = [c for c in concepts if self.glossary.concepts[c].kind in SITE_KINDS | CONDITION_KINDS]
        symptom = any(self.glossary.concepts[c].kind == "symptom" for c in concepts)
        if not earlier and not named and symptom and len(words) <= VAGUE_WORDS:
            return VAGUE
        return QUESTION

    # -- focus -----------------------------------------------------------------------------------------
    def focus(self, reading: Reading, borrowed: str) -> str:
        """What is encoded: the complaint in a few words around its term, then the question sentences, within
        FOCUS_CHARS; without a complaint, the topic's terms (the story's, or a follow-up's borrowed one) first."""
        parts: list[str] = []
        complaint = reading.covered or reading.complaint
        if borrowed or (complaint is None and reading.topic):  # name the topic the question is about
            parts.append(" ".join(self.glossary.expansion(reading.topic[:TOPIC_TERMS], [reading.language], 1)))
        if complaint and complaint.sentence not in reading.questions:
            parts.append(_around(complaint.sentence, complaint.term, COMPLAINT_CHARS))
        parts.extend(_cut(q, SENTENCE_CHARS) for q in reading.questions)
        return _cut(" ".join(p for p in parts if p), FOCUS_CHARS)


def _negation_scopes(folded: str, cues: ReadingCues) -> list[tuple[int, int]]:
    """Spans of folded text a negation covers: the next NEGATION_WORDS words, up to punctuation or a word
    that turns the sentence."""
    scopes = []
    for neg in cues.negations.finditer(folded):
        end = neg.end()
        for count, word in enumerate(re.finditer(r"[^\s]+", folded[neg.end():]), 1):
            if cues.negation_stops.fullmatch(word.group().strip(",;:")):
                break
            end = neg.end() + word.end()
            if count >= NEGATION_WORDS or word.group()[-1] in ",;:":
                break
        scopes.append((neg.start(), end))
    return scopes


def _around(sentence: str, term: str, limit: int) -> str:
    """About ``limit`` characters of the sentence, from a little before the term on."""
    text = " ".join(sentence.split())
    at = fold(text).find(fold(term)) if term else -1  # æ folds to two letters: close enough for a window
    start = max(0, at - limit // 3) if at >= 0 else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < at else start
    return _cut(text[start:], limit)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] if " " in cut else cut
