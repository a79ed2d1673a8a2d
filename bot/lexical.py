"""Okapi BM25 over character n-grams of diacritic-folded words.

Character n-grams let inflected and compound Scandinavian forms meet ("hälsenan" ~ "hälseneprogrammet",
"diskusprolaps" ~ "prolapsen") without a stemmer per language. Construct once, then score (as rank_bm25);
the weighted document-term matrix is precomputed so a query is one sparse product."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
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


class CharNgramBM25:
    def __init__(self, texts: Sequence[str], n_min: int = 3, n_max: int = 5, k1: float = 1.2, b: float = 0.75):
        self.n_range = (n_min, n_max)
        counts = [Counter(char_ngrams(t, n_min, n_max)) for t in texts]
        self.vocab: dict[str, int] = {}
        for c in counts:
            for gram in c:
                self.vocab.setdefault(gram, len(self.vocab))
        rows, cols, tfs = [], [], []
        for i, c in enumerate(counts):
            for gram, tf in c.items():
                rows.append(i)
                cols.append(self.vocab[gram])
                tfs.append(tf)
        n_docs = len(texts)
        tf = sparse.csr_matrix((np.array(tfs, np.float32), (rows, cols)), shape=(n_docs, len(self.vocab)))
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(self.vocab))
        self.idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1.0))
        tf = tf.tocoo()
        weights = tf.data * (k1 + 1) / (tf.data + norm[tf.row]) * self.idf[tf.col]
        # Stored term-major (CSC) so a query touches only its own n-gram columns.
        self.matrix = sparse.csc_matrix((weights.astype(np.float32), (tf.row, tf.col)), shape=tf.shape)

    def _query_vector(self, query: str | Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        grams = char_ngrams(query, *self.n_range) if isinstance(query, str) else list(query)
        counts = Counter(self.vocab[g] for g in grams if g in self.vocab)
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        return ids, np.fromiter(counts.values(), dtype=np.float32, count=len(counts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query (one float per document)."""
        ids, weights = self._query_vector(query)
        if not len(ids):
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return np.asarray(self.matrix[:, ids] @ weights).ravel()

    def self_score(self, query: str) -> float:
        """Upper bound of a document's score for this query: used to put scores on a 0..1 scale."""
        ids, weights = self._query_vector(query)
        if not len(ids):
            return 0.0
        return float(self.matrix[:, ids].max(axis=0).toarray().ravel() @ weights)

    def save(self, folder: Path) -> None:
        sparse.save_npz(folder / "bm25.npz", self.matrix.tocsr())
        grams = sorted(self.vocab, key=self.vocab.__getitem__)
        (folder / "bm25.json").write_text(
            json.dumps({"n_range": self.n_range, "vocab": grams, "idf": self.idf.tolist()}, ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, folder: Path) -> CharNgramBM25:
        meta = json.loads((folder / "bm25.json").read_text(encoding="utf-8"))
        self = cls.__new__(cls)
        self.n_range = tuple(meta["n_range"])
        self.vocab = {g: i for i, g in enumerate(meta["vocab"])}
        self.idf = np.asarray(meta["idf"], dtype=np.float32)
        self.matrix = sparse.load_npz(folder / "bm25.npz").tocsc()
        return self
