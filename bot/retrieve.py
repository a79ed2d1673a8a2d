"""Hybrid retrieval: one ``search()`` over a dense retriever (FAISS, E5), a lexical one (char n-gram BM25 over
chunks) and a topical one (BM25 over the glossary concepts each article names), fused by score.

The lexical weight reflects what the lexical side can know: the user's own Scandinavian words, or only glossary
terms for an English question. The topical score says which article is *about* the question's concepts; it
keeps a general article that mentions everything once from outranking the article devoted to the subject.

The query (bot/query.py) is the reading's focus, expanded with the domain glossary into the corpus's
languages, so an English "herniated disc" also looks for "diskusprolaps".

Hits are quote units (bot/units.py): a unit scores by its own closeness to the question (its best language
version: the article's text or a stored translation), by the closest of the questions it is known to answer
(bot/asked.py), and by the score of the passage that holds it, so the
article and section found by passage retrieval keep deciding where an answer comes from, and the unit decides
which lines of it are quoted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.corpus import Chunk
from bot.index import Index
from bot.lexical import char_ngrams
from bot.query import Query
from bot.units import Unit


@dataclass(frozen=True)
class Hit:
    """A quote unit found for the question, with the passage (chunk) that holds it."""

    chunk: Chunk
    row: int  # chunk row in the index
    score: float  # fused: the unit's own evidence plus its passage's
    dense: float  # cosine of query and passage
    lexical: float  # the passage's BM25 as a share of the query's best possible score, 0..1
    part: int = 0  # which query found it: 0 the whole message, i the message's i-th part
    unit: Unit | None = None
    unit_index: int = -1  # row in index.units
    unit_dense: float = 0.0  # cosine of query and the unit's closest language version
    unit_asked: float = 0.0  # cosine of query and the closest question the unit answers (see unit_evidence)


@dataclass(frozen=True)
class FusionWeights:
    """Lexical weight by what the lexical query holds: the user's own Scandinavian words, or only
    glossary terms (English questions), or nothing at all."""

    own_words: float = 0.2
    glossary_only: float = 0.2
    topical: float = 0.1
    topical_follow_up: float = 0.2  # a follow-up's own words name no topic: the borrowed one decides where
    sentence: float = 0.7  # share of the dense score taken from a passage's best sentence
    section: float = 0.8  # share of its section's best lexical score a chunk gets (sections split for size)
    asked_section: float = 0.1  # for a passage in the kind of section the question asks for (seek care)
    dense_pool: int = 40  # candidates taken from each of the dense and lexical sides
    unit_dense: float = 0.6  # a unit's own cosine with the question
    unit_lexical: float = 0.1  # a unit's own n-gram evidence (any language version)
    unit_asked: float = 0.6  # the closest question the unit is known to answer
    unit_passage: float = 1.0  # the fused score of the passage holding it
    units: int = 30  # unit hits returned: enough for the composer's intent preferences to choose from


class HybridRetriever:
    """Searches with a query vector computed once per turn by the caller (``Embedder.queries``)."""

    def __init__(self, index: Index, weights: FusionWeights | None = None):
        self.index = index
        self.weights = weights or FusionWeights()
        sections = [(c.doc_id, c.section) for c in index.chunks]
        ids = {key: i for i, key in enumerate(dict.fromkeys(sections))}
        self._section_of = np.array([ids[key] for key in sections], dtype=np.int64)
        # A unit's language versions are consecutive rows (bot/index.py), so per-unit maxima are one reduceat.
        rows = index.unit_of_row
        self._unit_starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        if not np.array_equal(rows[self._unit_starts], np.arange(len(index.units))):
            raise ValueError("index rows of a unit's language versions must be consecutive and in unit order")
        self._section_kinds = {"seek_care": np.array([c.seek_care for c in index.chunks], dtype=np.float64)}

    def lexical_weight(self, query: Query) -> float:
        if query.language != "en":
            return self.weights.own_words
        return self.weights.glossary_only if query.expansion else 0.0

    def topical(self, query: Query) -> np.ndarray:
        """Per article, how much it is about the question's concepts, relative to the best article (0..1)."""
        scores = self.index.concepts.scores(list(dict.fromkeys(query.concepts + query.topic)))
        top = scores.max(initial=0.0)
        return scores / top if top > 0 else scores

    def section_lexical(self, lexical: np.ndarray) -> np.ndarray:
        """A chunk shares in its section's best lexical score: the chunker splits a long section for size, and
        its second half ("most cases settle with rest") rarely repeats the words that name its subject."""
        if not len(lexical):
            return lexical
        best = np.zeros(int(self._section_of.max()) + 1)
        np.maximum.at(best, self._section_of, lexical)
        return np.maximum(lexical, self.weights.section * best[self._section_of])

    def dense_scores(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Cosine of the question with each passage, blended with its best single sentence: a long passage
        that holds the one sentence answering the question should not lose to a passage vaguely on topic."""
        passage = self.index.chunk_index.reconstruct_batch(rows) @ vector
        offsets = self.index.sentence_offsets
        starts, ends = offsets[rows], offsets[rows + 1]
        sentence_rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        best = passage.copy()
        if len(sentence_rows):
            sims = self.index.sentence_vectors[sentence_rows] @ vector
            owners = np.repeat(np.arange(len(rows)), ends - starts)
            np.maximum.at(best, owners, sims)
        w = self.weights.sentence
        return (1 - w) * passage + w * best

    def search(self, query: Query, vectors: np.ndarray, k: int | None = None) -> list[Hit]:
        """Quote units, best first. ``vectors``: the question's vector (1-D), or rows for the whole message
        then each of its parts (2-D), as ``Embedder.queries`` returns them.

        A message with several parts (and a vector per part) keeps the whole message's best unit first,
        then each part's best unit not already chosen, then the whole message's next ones."""
        vectors = np.atleast_2d(vectors)
        k = k or self.weights.units
        hits = self._search(query, vectors[0], k)
        if query.parts and len(vectors) > len(query.parts):
            chosen = {hits[0].unit_index: hits[0]} if hits else {}
            for i, part in enumerate(query.parts, 1):
                ranked = self._search(part, vectors[i], len(chosen) + 1, part=i)
                found = next((h for h in ranked if h.unit_index not in chosen), None)
                if found:
                    chosen[found.unit_index] = found
            for hit in hits[1:]:
                chosen.setdefault(hit.unit_index, hit)
            hits = list(chosen.values())[:k]
        return hits

    def passages(self, query: Query, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused, dense and lexical score of every passage (chunk); passages outside the candidate pools get
        no fused score (-inf). Candidates are the dense pool plus the lexical pool; every candidate gets its
        exact dense score, so a passage that only the lexical or topical side found is fused on equal terms."""
        n = len(self.index.chunks)
        pool = min(n, self.weights.dense_pool)
        _, dense_rows = self.index.chunk_index.search(vector[None, :], pool)

        weight = self.lexical_weight(query)
        lexical = np.zeros(n)
        if weight:
            lexical = self.section_lexical(self.index.ngrams.normalised(char_ngrams(query.lexical_text)))
        lexical_rows = np.argsort(-lexical)[:pool] if weight else np.zeros(0, np.int64)
        rows = np.union1d(dense_rows[0][dense_rows[0] >= 0], lexical_rows).astype(np.int64)
        dense = np.zeros(n)
        dense[rows] = self.dense_scores(rows, vector)

        topical = self.topical(query)[self.index.chunk_doc[rows]]
        topical_weight = self.weights.topical_follow_up if query.borrowed else self.weights.topical
        fused = np.full(n, -np.inf)
        fused[rows] = dense[rows] + weight * lexical[rows] + topical_weight * topical
        for kind in query.asks:
            fused[rows] += self.weights.asked_section * self._section_kinds[kind][rows]
        return fused, dense, lexical

    def unit_evidence(self, query: Query, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per unit, the cosine and the n-gram evidence of its best language version, and the cosine of its
        closest stored question: 0 for a unit its article's questions leave out (it answers nothing alone),
        and the unit's own cosine for a unit of an article whose questions are not written yet."""
        index = self.index
        text = " ".join([query.borrowed, query.text, *query.expansion]).strip()
        lexical = index.unit_ngrams.normalised(char_ngrams(text))
        dense = index.unit_vectors @ vector
        asked = np.zeros(len(index.units), dtype=np.float32)
        if len(index.asked_unit):
            np.maximum.at(asked, index.asked_unit, index.asked_vectors @ vector)
        dense = np.maximum.reduceat(dense, self._unit_starts)
        return dense, np.maximum.reduceat(lexical, self._unit_starts), np.where(index.asked_written, asked, dense)

    def _search(self, query: Query, vector: np.ndarray, k: int, part: int = 0) -> list[Hit]:
        fused, dense, lexical = self.passages(query, vector)
        unit_dense, unit_lexical, unit_asked = self.unit_evidence(query, vector)
        w = self.weights
        chunk_of = self.index.unit_chunk
        score = (w.unit_dense * unit_dense + w.unit_lexical * unit_lexical + w.unit_asked * unit_asked
                 + w.unit_passage * fused[chunk_of])
        order = [int(u) for u in np.argsort(-score)[:k] if np.isfinite(score[u])]
        return [
            Hit(self.index.chunks[chunk_of[u]], int(chunk_of[u]), float(score[u]), float(dense[chunk_of[u]]),
                float(lexical[chunk_of[u]]), part, self.index.units[u], u, float(unit_dense[u]),
                float(unit_asked[u]))
            for u in order
        ]
