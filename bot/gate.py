"""Topic gate: is the message about what the articles cover, and is the evidence strong enough to answer?

The main complaint decides first (bot/reading.py): a message whose complaint is the hip, the knee, gout or a
wart is out of scope even when its story mentions running, shoes or legs; a message with a covered and an
uncovered complaint ("my heel hurts, and my knee") is answered for the covered one, and the reply says the
other is not covered. Without a complaint, signals are combined in order of how much they know, since no
single cosine threshold separates off-topic questions (they score close to real ones, and the level shifts
with the question's language):
1. in-domain sites or conditions named anywhere in the message while what is asked names nothing outside the
   domain (a neighbouring site named without a complaint, "with a straight knee", is not outside it), or domain
   concepts named in what is asked (an activity alone does not count) -> answer; only out-of-domain -> abstain;
2. a topic carried over from earlier turns -> answer;
3. a neighbouring body site (knee, groin) and nothing of the domain -> abstain;
4. otherwise the passage evidence: dense score against the language's usual level plus lexical support."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from bot import yamlfile
from bot.config import DATA_DIR
from bot.glossary import Glossary
from bot.query import Query
from bot.reading import Reading
from bot.retrieve import Hit

UNTARGETED_INTENTS = frozenset({"general", "what_is"})  # intents that say nothing of a health question


@dataclass(frozen=True)
class Verdict:
    in_scope: bool
    reason: str
    covered: str = ""  # the complaint answered, as the message names it ("heel")
    uncovered: tuple[str, ...] = ()  # complaints named that the articles do not cover ("knee", "vorte")


@dataclass(frozen=True)
class GateThresholds:
    dense_without_concepts: dict[str, float]  # per language: answer a concept-less question above this
    lexical_without_concepts: float  # ... and with at least this lexical support (Scandinavian questions)
    dense_floor: float  # below this even an in-domain question has no usable passage
    broad_sites: frozenset[str] = frozenset()  # sites people name loosely ("my legs")

    @classmethod
    def load(cls, path: Path = DATA_DIR / "gate.yaml") -> GateThresholds:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name != "broad_sites"},
                   broad_sites=frozenset(data.get("broad_sites", ())))


class TopicGate:
    def __init__(self, glossary: Glossary, thresholds: GateThresholds):
        self.glossary = glossary
        self.thresholds = thresholds

    def judge(self, reading: Reading, query: Query, hits: list[Hit]) -> Verdict:
        if not hits:
            return Verdict(False, "no passages")
        top = hits[0]
        th = self.thresholds
        if top.dense < th.dense_floor:
            return Verdict(False, f"best passage too weak (dense {top.dense:.3f} < {th.dense_floor})")
        if reading.complaint is not None:
            return self.by_complaint(reading)
        outside = self.glossary.out_of_domain_ids(query.concepts)
        neighbours = self.glossary.neighbouring_site_ids(query.concepts)
        specific = [c for c in reading.topic if c not in th.broad_sites]  # "a table leg" is no topic
        # The reader makes a site named with a symptom a complaint; without one, a neighbouring site is only
        # named ("3 x 15 with a bent knee"), and the message stays about the domain's site or condition.
        if specific and not reading.borrowed and not outside:
            return Verdict(True, f"the message is about: {', '.join(reading.topic)}")
        # An activity (running) counts only in a question about doing it (does softer ground help, may I keep
        # running): "a charity fun run" or "a race bib" is not a complaint.
        concepts = self.glossary.concepts
        about_doing = reading.intent not in UNTARGETED_INTENTS
        inside = [c for c in self.glossary.in_domain_ids(query.concepts)
                  if concepts[c].kind != "activity" or about_doing]
        if inside:
            return Verdict(True, f"domain concepts: {', '.join(inside)}")
        if outside:
            return Verdict(False, f"outside the domain: {', '.join(outside)}",
                           uncovered=self.names(outside, query.language))
        if query.borrowed:
            return Verdict(True, f"follow-up on: {', '.join(query.topic)}")
        if neighbours:
            return Verdict(False, f"about a body site next to the domain: {', '.join(neighbours)}",
                           uncovered=self.names(neighbours, query.language))
        floor = th.dense_without_concepts.get(query.language, max(th.dense_without_concepts.values()))
        lexical_ok = query.language == "en" or top.lexical >= th.lexical_without_concepts
        if top.dense >= floor and lexical_ok:
            return Verdict(True, f"strong passage evidence (dense {top.dense:.3f}, lexical {top.lexical:.2f})")
        return Verdict(False, f"no domain concept and weak evidence (dense {top.dense:.3f}, lexical {top.lexical:.2f})")

    def by_complaint(self, reading: Reading) -> Verdict:
        main, covered = reading.complaint, reading.covered
        language = reading.language
        if covered is None:
            return Verdict(False, f"main complaint outside the domain: {main.concept_id}",
                           uncovered=(self.glossary.name(main.concept_id, language, main.term),))
        uncovered = tuple(dict.fromkeys(self.glossary.name(c.concept_id, language, c.term) for c in reading.uncovered))
        ids = ", ".join(c.concept_id for c in reading.uncovered)
        reason = f"complaint {covered.concept_id} covered" + (f", not {ids}" if ids else "")
        return Verdict(True, reason, self.glossary.name(covered.concept_id, language, covered.term), uncovered)

    def names(self, concept_ids: list[str], language: str) -> tuple[str, ...]:
        """The concepts' names in the reply's language."""
        return tuple(self.glossary.name(c, language) for c in concept_ids if c in self.glossary.concepts)
