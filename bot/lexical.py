"""Okapi BM25, construct once then score (as rank_bm25), over any token lists; and the character n-gram
analyser the lexical retriever uses.

Character n-grams of diacritic-folded words let inflected and compound Scandinavian forms meet
("hälsenan" ~ "hälseneprogrammet", "diskusprolaps" ~ "prolapsen") without a stemmer per language. The same
BM25 over glossary concept ids scores which article is *about* a question's concepts, in any language.
The weighted document-term matrix is precomputed, so a query is one sparse product."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.text import words


def char_ngrams(text: str, n_min: int = 3, n_max: int = 5) -> list[str]:
    """N-grams of each folded word padded with spaces, so word starts and ends are their own features."""
    grams: list[str] = []
    for word in words(text):
        padded = f" {word} "
        for n in range(n_min, n_max + 1):
            grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


class BM25:
    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        counts = [Counter(doc) for doc in documents]
        self.vocab: dict[str, int] = {}
        for c in counts:
            for token in c:
                self.vocab.setdefault(token, len(self.vocab))
        rows = [i for i, c in enumerate(counts) for _ in c]
        cols = [self.vocab[t] for c in counts for t in c]
        tfs = np.array([tf for c in counts for tf in c.values()], np.float32)
        shape = (len(documents), len(self.vocab))
        lengths = np.array([sum(c.values()) for c in counts], np.float32)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(self.vocab))
        self.idf = np.log(1.0 + (len(documents) - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()) if len(lengths) else 1.0, 1.0))
        row_idx, col_idx = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
        weights = tfs * (k1 + 1) / (tfs + norm[row_idx]) * self.idf[col_idx]
        # Stored term-major (CSC) so a query touches only its own columns.
        self.matrix = sparse.csc_matrix((weights.astype(np.float32), (row_idx, col_idx)), shape=shape)

    def _query(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(self.vocab[t] for t in tokens if t in self.vocab)
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        return ids, np.fromiter(counts.values(), dtype=np.float32, count=len(counts))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens."""
        ids, weights = self._query(tokens)
        if not len(ids):
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return np.asarray(self.matrix[:, ids] @ weights).ravel()

    def self_score(self, tokens: Sequence[str]) -> float:
        """Upper bound of any document's score for these tokens: puts scores on a 0..1 scale."""
        ids, weights = self._query(tokens)
        if not len(ids):
            return 0.0
        return float(self.matrix[:, ids].max(axis=0).toarray().ravel() @ weights)

    def normalised(self, tokens: Sequence[str]) -> np.ndarray:
        """Scores as a share of ``self_score``: 0..1, comparable across queries."""
        ceiling = self.self_score(tokens)
        return self.scores(tokens) / ceiling if ceiling > 0 else np.zeros(self.matrix.shape[0], np.float32)

    def save(self, folder: Path, name: str) -> None:
        sparse.save_npz(folder / f"{name}.npz", self.matrix.tocsr())
        tokens = sorted(self.vocab, key=self.vocab.__getitem__)
        meta = {"vocab": tokens, "idf": self.idf.tolist()}
        (folder / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, name: str) -> BM25:
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        self = cls.__new__(cls)
        self.vocab = {t: i for i, t in enumerate(meta["vocab"])}
        self.idf = np.asarray(meta["idf"], dtype=np.float32)
        self.matrix = sparse.load_npz(folder / f"{name}.npz").tocsc()
        return self
