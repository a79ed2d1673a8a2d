"""Vectors of the texts an index build encodes, kept in the cache folder between builds.

A build encodes every article sentence, quote unit and translation, and the safety net's descriptions:
several thousand texts and minutes of CPU. Most of them are the same from one build to the next (an edit to
one article, a repaired index file, a new translation), so a rebuild encodes only the texts it has not seen with
this model. Only the project's own texts pass through here, at build time; what users write never does.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.config import cache_root, file_safe, write_atomically
from bot.embed import Embedder


def _key(kind: str, text: str) -> str:
    return hashlib.sha1(f"{kind}\0{text}".encode()).hexdigest()


class BuildVectors:
    """An embedder for index builds that reuses the vectors this model gave the same texts before."""

    def __init__(self, inner: Embedder, folder: Path | None = None) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.path = (folder or cache_root() / "vectors") / f"{file_safe(inner.name, 60)}.npz"
        self.known: dict[str, np.ndarray] = self._read()
        self.encoded = 0

    def _read(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError) as exc:
            print(f"painbot: ignoring unreadable vector cache {self.path} ({exc})", file=sys.stderr)
            return {}
        if vectors.ndim != 2 or vectors.shape != (len(keys), self.dim):
            return {}
        return dict(zip(keys.tolist(), vectors, strict=True))

    def _vectors(self, texts: Sequence[str], kind: str, encode) -> np.ndarray:
        keys = [_key(kind, t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self.known))
        if missing:
            for text, vector in zip(missing, encode(missing), strict=True):
                self.known[_key(kind, text)] = np.asarray(vector, dtype=np.float32)
            self.encoded += len(missing)
        if not keys:
            return np.zeros((0, self.dim), np.float32)
        return np.vstack([self.known[k] for k in keys]).astype(np.float32)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts, "passage", self.inner.passages)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts, "query", self.inner.queries)

    def save(self) -> None:
        """Write the vectors next to the other builds' (atomically: a build running beside it never reads half
        a file). A folder that cannot be written only costs the next build its time."""
        if not self.encoded:
            return
        keys, vectors = np.array(list(self.known)), np.vstack(list(self.known.values()))
        try:
            write_atomically(self.path, lambda f: np.savez(f, keys=keys, vectors=vectors))
        except OSError as exc:
            print(f"painbot: could not keep the build's vectors in {self.path} ({exc})", file=sys.stderr)
