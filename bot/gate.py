"""Topic gate: is the question about what the articles cover, and is the evidence strong enough to answer?

No single cosine threshold separates off-topic questions (they score close to real ones, and the level
shifts with the question's language), so the gate combines signals in order of how much they know:
1. domain concepts named in the question (glossary): in-domain -> answer; only out-of-domain -> abstain;
2. a topic carried over from earlier turns -> answer;
3. a neighbouring body site (knee, groin) and nothing of the domain -> abstain;
4. otherwise the passage evidence: dense score against the language's usual level plus lexical support."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import DATA_DIR
from bot.glossary import Glossary
from bot.retrieve import Hit, Query


@dataclass(frozen=True)
class Verdict:
    in_scope: bool
    reason: str


@dataclass(frozen=True)
class GateThresholds:
    dense_without_concepts: dict[str, float]  # per language: answer a concept-less question above this
    lexical_without_concepts: float  # ... and with at least this lexical support (Scandinavian questions)
    dense_floor: float  # below this even an in-domain question has no usable passage

    @classmethod
    def load(cls, path: Path = DATA_DIR / "gate.yaml") -> GateThresholds:
        return cls(**yaml.safe_load(path.read_text(encoding="utf-8")))


class TopicGate:
    def __init__(self, glossary: Glossary, thresholds: GateThresholds):
        self.glossary = glossary
        self.thresholds = thresholds

    def judge(self, query: Query, hits: list[Hit]) -> Verdict:
        if not hits:
            return Verdict(False, "no passages")
        top = hits[0]
        th = self.thresholds
        if top.dense < th.dense_floor:
            return Verdict(False, f"best passage too weak (dense {top.dense:.3f} < {th.dense_floor})")
        inside = self.glossary.in_domain_ids(query.concepts)
        outside = self.glossary.out_of_domain_ids(query.concepts)
        if inside:
            return Verdict(True, f"domain concepts: {', '.join(inside)}")
        if outside:
            return Verdict(False, f"outside the domain: {', '.join(outside)}")
        if query.borrowed:
            return Verdict(True, f"follow-up on: {', '.join(query.topic)}")
        neighbours = self.glossary.neighbouring_site_ids(query.concepts)
        if neighbours:
            return Verdict(False, f"about a body site next to the domain: {', '.join(neighbours)}")
        floor = th.dense_without_concepts.get(query.language, max(th.dense_without_concepts.values()))
        lexical_ok = query.language == "en" or top.lexical >= th.lexical_without_concepts
        if top.dense >= floor and lexical_ok:
            return Verdict(True, f"strong passage evidence (dense {top.dense:.3f}, lexical {top.lexical:.2f})")
        return Verdict(False, f"no domain concept and weak evidence (dense {top.dense:.3f}, lexical {top.lexical:.2f})")
