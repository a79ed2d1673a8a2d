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

from bot import yamlfile
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
SPREAD_WORDS = 4  # words between two sites that a spreading pain spans ("from the knee and down into the foot")
DOMAIN_CUE = 0.5  # a site named with the domain's own symptoms or conditions, over one named with a fall
REPEAT = 0.25  # each further mention of a complaint
VAGUE_WORDS = 8  # a complaint without a body site this short asks for a clarifying question
TOPIC_MEMORY = 3  # earlier user turns searched for a topic to carry over
TOPIC_TERMS = 3  # topic concepts named in a focus
# Concept kinds: sites and conditions can be the complaint; symptoms say that a sentence is a complaint.
SITE_KINDS = frozenset({"anatomy"})
CONDITION_KINDS = frozenset({"condition"})
COMPLAINT_CUE_KINDS = frozenset({"symptom", "condition"})
UNCOUNTED_KINDS = frozenset({"generic"})  # question words say nothing of what the story is about

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
    spread_words: frozenset[str]
    spread_from: frozenset[str]
    spread_to: frozenset[str]
    negations: re.Pattern[str]
    negation_stops: re.Pattern[str]
    greetings: re.Pattern[str]
    thanks: re.Pattern[str]
    fillers: frozenset[str]
    abbreviations: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> ReadingCues:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
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
            spread_words=_words(data["spread_words"]),
            spread_from=_words(data["spread_from"]),
            spread_to=_words(data["spread_to"]),
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
    end: int = 0  # in the folded sentence


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
    at: int = -1  # where it is named in the folded sentence (the term may be another language's spelling)


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
        gate = yamlfile.safe_load((data_dir / "gate.yaml").read_text(encoding="utf-8"))
        return cls(glossary, cues, IntentCues.load(data_dir), frozenset(gate.get("broad_sites", ())))

    # -- the whole reading -----------------------------------------------------------------------------
    def read(self, message: str, language: str, earlier_user_turns: Sequence[str] = ()) -> Reading:
        cues = self.cues.get(language) or self.cues["en"]
        sentences = self.sentences(message, cues)
        folded = [fold(s) for s in sentences]
        asking = [i for i, f in enumerate(folded) if self.asks(sentences[i], f, cues)]
        mentions = self.mentions(folded, cues)
        complaints = self.complaints(mentions, sentences, set(asking), self.spreads(mentions, folded, cues))
        concepts = tuple(dict.fromkeys(m.concept_id for m in mentions if not m.negated))
        negated = tuple(dict.fromkeys(m.concept_id for m in mentions if m.negated and m.concept_id not in concepts))
        questions = tuple(sentences[i] for i in asking) or tuple(sentences[-1:])
        intent = self.intents.detect(" ".join(questions), language)
        topic, borrowed = self.topic(concepts, earlier_user_turns)
        kind = self.kind(message, folded, concepts, intent, earlier_user_turns, cues)
        main = complaints[0] if complaints else None
        reading = Reading(message, language, kind, questions, main, tuple(complaints[1:]), concepts, negated,
                          intent, "", topic, borrowed)
        context = None if complaints or borrowed else self.context(mentions, sentences, set(asking))
        return replace(reading, focus=self.focus(reading, borrowed, context))

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
            out.append(Mention(match.concept_id, concept.kind, concept.domain, i, start, negated, match.term,
                               match.end - starts[i]))
        return out

    def spreads(self, mentions: list[Mention], folded_sentences: list[str], cues: ReadingCues) -> set[int]:
        """Sentences where a pain spreads from one body site to another, one of them in the domain ("ondt fra
        knæet og ned i foden", "from my hip down to my calf"): the leg is the complaint there, whatever the site
        it starts from."""
        out = set()
        sites = [m for m in mentions if m.kind in SITE_KINDS and not m.negated]
        for a, b in zip(sites, sites[1:], strict=False):
            if a.sentence != b.sentence or "in" not in (a.domain, b.domain) or a.concept_id == b.concept_id:
                continue
            folded = folded_sentences[a.sentence]
            gap = _WORD.findall(folded[a.end:b.start])
            before = _WORD.findall(folded[:a.start])[-2:]
            spans = (len(gap) <= SPREAD_WORDS and not re.search(r"[,;:]", folded[a.end:b.start])
                     and (cues.spread_words & set(gap)
                          or (cues.spread_from & set(before) and cues.spread_to & set(gap))))
            if spans:
                out.add(a.sentence)
        return out

    def complaints(self, mentions: list[Mention], sentences: list[str], asking: set[int],
                   spreads: set[int] = frozenset()) -> list[Complaint]:
        """Body sites and conditions the writer complains about, most central first.

        Only a site named with a symptom or condition, or a named condition, is a complaint (not a passing
        mention: "I run in the park", "keep the knee straight during the exercise"). A mention scores for that,
        for being named in a question, a named condition more than a site, a site described in the domain's
        own terms (pain radiating, spreading down the leg) more than one named with a neutral cue (a fall), a
        broad site ("my legs") less. A complaint takes its best mention's score, a little more for each further
        mention, and the sentence of its best mention in the story (else in the questions); the first complaint
        wins ties. A site's scope follows a condition named with it ("pain from the hip down the leg" is
        sciatic; "a wart under my foot" is not ours), and a pain spreading from a neighbouring site into the
        domain is ours ("from the knee down into the foot")."""
        live = [m for m in mentions if not m.negated]
        cued = {m.sentence for m in live if m.kind in COMPLAINT_CUE_KINDS} | set(spreads)
        in_conditions = {m.sentence for m in live if m.domain == "in" and m.kind in COMPLAINT_CUE_KINDS}
        in_conditions |= set(spreads)
        out_conditions = {m.sentence for m in live if m.domain == "out" and m.kind in CONDITION_KINDS}
        best: dict[str, tuple[float, Mention]] = {}
        told: dict[str, tuple[float, Mention]] = {}  # the best mention outside the questions: the story's words
        named: dict[str, int] = {}
        complained: dict[str, bool] = {}
        for m in live:
            is_site = m.kind in SITE_KINDS
            is_condition = m.kind in CONDITION_KINDS and m.domain != "neutral"
            is_symptom = m.kind == "symptom" and m.domain == "in"
            if not (is_site or is_condition or is_symptom):
                continue
            cue = m.sentence in cued or is_condition or is_symptom
            complained[m.concept_id] = complained.get(m.concept_id, False) or cue
            score = 2.0 * cue + 2.0 * (m.sentence in asking) + 1.0 * is_condition
            score += DOMAIN_CUE * (is_site and m.sentence in in_conditions)
            score -= 1.0 * (m.concept_id in self.broad_sites)
            named[m.concept_id] = named.get(m.concept_id, 0) + 1
            for kept in (best, told) if m.sentence not in asking else (best,):
                if m.concept_id not in kept or score > kept[m.concept_id][0]:
                    kept[m.concept_id] = (score, m)
        first = {c: i for i, c in reversed(list(enumerate(m.concept_id for m in live)))}
        scores = {c: score + REPEAT * (named[c] - 1) for c, (score, _) in best.items()}
        ranked = sorted((c for c in best if complained[c]), key=lambda c: (-scores[c], first[c]))
        out = []
        for c in ranked:
            m = best[c][1]
            if m.kind not in SITE_KINDS:
                scope = m.domain
            elif m.sentence in in_conditions:
                scope = "in"
            elif m.sentence in out_conditions:
                scope = "out"
            else:
                scope = "in" if m.domain == "in" else "out"
            said = told.get(c, best[c])[1]  # the questions are encoded anyway; the story adds what they leave out
            out.append(Complaint(c, m.kind, scope, sentences[said.sentence], scores[c], said.term,
                                 c in self.broad_sites, said.start))
        return out

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
    def context(self, mentions: list[Mention], sentences: list[str], asking: set[int]) -> tuple[str, int] | None:
        """For a message without a complaint or topic, the story sentence that says most of the domain (the
        exercise being done), and the term to centre on: questions such as "does that mean I am cured?" point
        back to it. The term's place is in the folded sentence."""
        told: dict[int, list[Mention]] = {}
        for m in mentions:
            if not m.negated and m.domain == "in" and m.kind not in UNCOUNTED_KINDS and m.sentence not in asking:
                told.setdefault(m.sentence, []).append(m)
        if not told:
            return None
        i = max(told, key=lambda i: (len({m.concept_id for m in told[i]}), -i))
        return sentences[i], told[i][0].start

    def focus(self, reading: Reading, borrowed: str, context: tuple[str, int] | None = None) -> str:
        """What is encoded: the complaint in a few words around its term, then the question sentences, within
        FOCUS_CHARS; without a complaint, the topic's terms (the story's, or a follow-up's borrowed one) first,
        and without a topic either, the story sentence the questions point back to."""
        parts: list[str] = []
        complaint = reading.covered or reading.complaint
        if borrowed or (complaint is None and reading.topic):  # name the topic asked about
            parts.append(" ".join(self.glossary.expansion(reading.topic[:TOPIC_TERMS], [reading.language], 1)))
        if complaint and complaint.sentence not in reading.questions:
            parts.append(_around(complaint.sentence, complaint.at, COMPLAINT_CHARS))
        elif complaint is None and not reading.topic and context:
            parts.append(_around(*context, COMPLAINT_CHARS))
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


def _around(sentence: str, folded_at: int, limit: int) -> str:
    """About ``limit`` characters of the sentence, from a little before a term on (its place in the folded
    sentence)."""
    text = " ".join(sentence.split())
    at = _raw_offset(text, folded_at) if folded_at >= 0 else -1
    start = max(0, at - limit // 3) if at >= 0 else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < at else start
    return _cut(text[start:], limit)


def _raw_offset(text: str, folded_at: int) -> int:
    """The place in the text of a place in fold(text), which is longer where æ became ae: the first character
    whose folded form reaches past it."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi) // 2
        if len(fold(text[:mid + 1])) <= folded_at:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] if " " in cut else cut
