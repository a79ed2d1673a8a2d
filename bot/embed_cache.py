"""Query vectors remembered by text, so a question asked again (a clinic's common questions, a retried
request, a batch of repeated rows) skips the encoder: an LRU of EMBED_CACHE_SIZE entries (~1.5 KB each)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from bot.embed import Embedder

EMBED_CACHE_SIZE = 4096


class QueryCache:
    """An Embedder whose `queries` are cached per text (least recently used out first); thread-safe."""

    def __init__(self, inner: Embedder, size: int = EMBED_CACHE_SIZE):
        self.inner, self.size = inner, size
        self.name, self.dim = inner.name, inner.dim
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in found:
                self._vectors.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self.inner.queries(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    found[text] = self._vectors[text] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        with self._lock:
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        matrix = np.stack([found[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        return np.ascontiguousarray(matrix, dtype=np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.passages(texts)
