"""Hybrid retrieval: one ``search()`` over a dense retriever (FAISS, E5) and a lexical one (char n-gram BM25),
fused by score with a lexical weight that reflects what the lexical side can know.

Queries are expanded with the domain glossary into the corpus's languages, so an English "herniated disc"
also looks for "diskusprolaps"; a follow-up without a topic of its own borrows the topic of earlier turns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.corpus import Chunk
from bot.embed import Embedder
from bot.glossary import Glossary
from bot.index import Index

CORPUS_LANGUAGES = ("sv", "da", "nb")
TOPIC_MEMORY = 3  # earlier user turns searched for a topic to carry over


@dataclass(frozen=True)
class Query:
    text: str  # the user's message
    language: str
    concepts: tuple[str, ...]  # glossary concepts named in the message
    topic: tuple[str, ...]  # topic concepts in force: the message's own, else borrowed from earlier turns
    borrowed: str  # the earlier message the topic came from ("" when the message has its own)
    expansion: tuple[str, ...]  # glossary terms of concepts+topic in the corpus languages

    @property
    def dense_text(self) -> str:
        return f"{self.borrowed} {self.text}".strip()

    @property
    def lexical_text(self) -> str:
        # An English message's own words share only noise n-grams with Scandinavian passages.
        own = "" if self.language == "en" else f"{self.borrowed} {self.text}"
        return " ".join([own, *self.expansion]).strip()


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    row: int  # chunk row in the index
    score: float  # fused
    dense: float  # cosine of query and passage
    lexical: float  # BM25 as a share of the query's best possible score, 0..1


@dataclass(frozen=True)
class FusionWeights:
    """Lexical weight by what the lexical query holds: the user's own Scandinavian words, or only
    glossary terms (English questions), or nothing at all."""

    own_words: float = 0.25
    glossary_only: float = 0.15
    dense_pool: int = 40


class QueryBuilder:
    def __init__(self, glossary: Glossary):
        self.glossary = glossary

    def build(self, message: str, language: str, earlier_user_turns: Sequence[str] = ()) -> Query:
        matches = self.glossary.find(message)
        concepts = tuple(dict.fromkeys(m.concept_id for m in matches))
        topic = tuple(dict.fromkeys(m.concept_id for m in self.glossary.topic(matches)))
        borrowed = ""
        if not topic:
            for turn in reversed(list(earlier_user_turns)[-TOPIC_MEMORY:]):
                earlier = self.glossary.topic(self.glossary.find(turn))
                if earlier:
                    topic = tuple(dict.fromkeys(m.concept_id for m in earlier))
                    borrowed = turn
                    break
        wanted = tuple(dict.fromkeys(concepts + topic))
        expansion = tuple(self.glossary.expansion(wanted, CORPUS_LANGUAGES))
        return Query(message, language, concepts, topic, borrowed, expansion)


class HybridRetriever:
    def __init__(self, index: Index, embedder: Embedder, weights: FusionWeights | None = None):
        self.index = index
        self.embedder = embedder
        self.weights = weights or FusionWeights()

    def lexical_weight(self, query: Query) -> float:
        if query.language != "en":
            return self.weights.own_words
        return self.weights.glossary_only if query.expansion else 0.0

    def search(self, query: Query, k: int = 3) -> tuple[list[Hit], np.ndarray]:
        """Top-k chunks, best first, and the query vector (reused to pick sentences)."""
        vector = self.embedder.queries([query.dense_text])
        n = len(self.index.chunks)
        dense = np.zeros(n, dtype=np.float32)
        pool = min(n, max(self.weights.dense_pool, k))
        scores, rows = self.index.chunk_index.search(vector, pool)
        dense[rows[0][rows[0] >= 0]] = scores[0][rows[0] >= 0]

        lexical = np.zeros(n, dtype=np.float32)
        weight = self.lexical_weight(query)
        text = query.lexical_text
        if weight and text:
            ceiling = self.index.bm25.self_score(text)
            if ceiling > 0:
                lexical = self.index.bm25.scores(text) / ceiling
        fused = dense + weight * lexical
        order = np.argsort(-fused)[:k]
        hits = [
            Hit(self.index.chunks[i], int(i), float(fused[i]), float(dense[i]), float(lexical[i])) for i in order
        ]
        return hits, vector[0]
