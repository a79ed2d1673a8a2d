"""Scale: index build time, search latency and memory as the corpus grows to 1k, 10k and 100k chunks, for
FAISS flat (exact) against HNSW and IVF (approximate), and for the char n-gram BM25 side.

The synthetic corpora are made from the real index: vectors are real chunk and sentence vectors, each
blended with another and perturbed with Gaussian noise, renormalised (the point is search, build and
memory, not embedding speed); texts are the real passages repeated. Queries are the dev questions,
embedded once with the real model. Recall@10 of an approximate index is measured against the exact top 10
of the flat one.

    python -m benchmarks.scale [--quick] [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from dataclasses import dataclass

import faiss
import numpy as np
from scipy import sparse

from benchmarks.common import dev_rows, median, percentile, settings
from bot.index import HNSW_EF_SEARCH as HNSW_BUILT_EF
from bot.index import HNSW_FROM_CHUNKS

SIZES = (1_000, 10_000, 100_000)
NOISE = 0.03  # per-dimension std of the noise added to each synthetic vector (norm ~0.6 before renormalising)
K = 40  # the dense pool the retriever asks FAISS for
RECALL_AT = 10
IVF_NPROBE = 16
HNSW_EF_SEARCH = (64, 128, 256, 512)  # wider searches of the same graph (FAISS searches max(efSearch, k))
# Larger BM25 indexes are tiled from the one of this size: its build is pure Python, ~2 ms a text.
BM25_BUILD_LIMIT = 10_000
SEARCH_BUDGET_MS = 5.0  # a quarter of the 20 ms warm-reply target for the dense search alone
MIN_RECALL = 0.95
TIMING_BUDGET_S = 5.0  # per configuration: further timing passes only while within it


def synthetic_vectors(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Each row a real vector blended with another (weight 0.5-1 on the first) plus noise, renormalised:
    a continuum between the corpus's topics rather than tight clusters of near-copies, whose order would be
    pure noise and make any approximate index look worse than on real text."""
    first = base[np.arange(n) % len(base)]
    second = base[rng.integers(0, len(base), n)]
    weight = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
    rows = weight * first + (1 - weight) * second
    rows += rng.normal(0, NOISE, rows.shape).astype(np.float32)
    return np.ascontiguousarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def ivf_index(vectors: np.ndarray) -> faiss.Index:
    """Inverted lists over ~sqrt(n) k-means cells (at least 39 training points each, as FAISS asks),
    searching IVF_NPROBE of them."""
    dim, n = vectors.shape[1], len(vectors)
    lists = max(1, min(int(math.sqrt(n)), n // 39))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add(vectors)
    index.nprobe = IVF_NPROBE
    return index


def build_dense(kind: str, vectors: np.ndarray) -> faiss.Index:
    from bot.index import faiss_index  # exactly the index painbot builds for this kind

    return ivf_index(vectors) if kind == "ivf" else faiss_index(vectors, kind)


def time_searches(search, queries: list, passes: int, budget_s: float = TIMING_BUDGET_S) -> dict:
    """p50/p95 (ms) of single searches over all queries, median over passes; a further pass starts only
    within the time budget (slow configurations get one pass, reported in `searches`)."""
    p50s, p95s, started = [], [], time.perf_counter()
    for _ in range(passes):
        times = []
        for q in queries:
            t = time.perf_counter()
            search(q)
            times.append((time.perf_counter() - t) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
        if time.perf_counter() - started > budget_s:
            break
    return {
        "p50_ms": round(median(p50s), 3),
        "p95_ms": round(median(p95s), 3),
        "searches": len(queries) * len(p50s),
    }


def recall(index: faiss.Index, queries: np.ndarray, truth: np.ndarray) -> float:
    _, found = index.search(queries, K)
    shares = [len(set(f[:RECALL_AT]) & set(t[:RECALL_AT])) / RECALL_AT for f, t in zip(found, truth, strict=True)]
    return round(float(np.mean(shares)), 3)


def search_timing(index: faiss.Index, queries: np.ndarray, passes: int) -> dict:
    return time_searches(lambda q: index.search(q[None, :], K), list(queries), passes)


def measure_dense(kind: str, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, passes: int):
    started = time.perf_counter()
    index = build_dense(kind, vectors)
    build_s = time.perf_counter() - started
    result = {
        "build_s": round(build_s, 3),
        **search_timing(index, queries, passes),
        f"recall@{RECALL_AT}": recall(index, queries, truth),
        "memory_mb": round(faiss.serialize_index(index).nbytes / 2**20, 1),
    }
    if kind == "hnsw":  # the same graph searched wider: what recall costs
        built_ef = index.hnsw.efSearch
        result["ef_search"] = {"as built": built_ef}  # searched as max(efSearch, k)
        result["wider"] = []
        for ef in HNSW_EF_SEARCH:
            index.hnsw.efSearch = ef
            result["wider"].append(
                {
                    "ef_search": ef,
                    **search_timing(index, queries, 1),
                    f"recall@{RECALL_AT}": recall(index, queries, truth),
                }
            )
        index.hnsw.efSearch = built_ef
    return index, result


def tiled_bm25(bm25, times: int):
    """The BM25 index of `times` copies of the same texts, without re-counting n-grams: term frequencies and
    lengths repeat, document frequencies and the document count both grow `times`-fold, so only the idf
    changes. Equal to building it from the repeated texts, at a fraction of the time."""
    n_docs = bm25.matrix.shape[0]
    df = np.diff(bm25.matrix.tocsc().indptr)
    idf = np.log(1.0 + (times * (n_docs - df) + 0.5) / (times * df + 0.5)).astype(np.float32)
    tiled = copy.copy(bm25)
    tiled.idf = idf
    scale = sparse.diags(idf / np.maximum(bm25.idf, 1e-12))
    tiled.matrix = sparse.vstack([bm25.matrix @ scale] * times).tocsc().astype(np.float32)
    return tiled


def synthetic_sentences(real, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sentence vectors and offsets for n chunks, each chunk holding the sentences of the real chunk it
    repeats: search reads them for its candidates, and they are most of an index's memory."""
    rows = np.arange(n) % len(real.chunks)
    counts = np.diff(real.sentence_offsets)[rows]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    gather = np.repeat(real.sentence_offsets[rows] - offsets[:-1], counts) + np.arange(offsets[-1])
    return real.sentence_vectors[gather], offsets


def sparse_mb(matrix) -> float:
    return round((matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes) / 2**20, 1)


@dataclass
class FixedQueries:
    """Embedder of the benchmark's own queries, embedded beforehand: times search without the model."""

    vectors: dict[str, np.ndarray]
    name: str = "precomputed"
    dim: int = 384

    def queries(self, texts):
        return np.vstack([self.vectors[t] for t in texts])

    def passages(self, texts):
        raise NotImplementedError("the synthetic indexes are built from vectors")


def recommend(rows: list[dict]) -> dict:
    """The corpus size from which a flat search alone passes the budget (its cost is linear in the chunks),
    the narrowest HNSW search that keeps recall there, and what dominates retrieval at the largest size."""
    largest = rows[-1]
    size = f"{largest['chunks']:,} chunks"
    flat_ms = largest["dense"]["flat"]["p50_ms"]
    per_chunk = flat_ms / largest["chunks"]
    switch = int(round(SEARCH_BUDGET_MS / per_chunk, -3)) if per_chunk > 0 else None
    hnsw, bm25 = largest["dense"]["hnsw"], largest["bm25"]
    key = f"recall@{RECALL_AT}"
    options = [{**hnsw, "ef_search": max(hnsw["ef_search"]["as built"], K)}, *hnsw["wider"]]
    good = next((o for o in options if o[key] >= MIN_RECALL and o["p50_ms"] < flat_ms), None)
    if good:
        dense = (
            f"FAISS flat (exact) below ~{switch:,} chunks, where a flat search passes "
            f"{SEARCH_BUDGET_MS:g} ms; above, HNSW searched with efSearch {good['ef_search']} "
            f"(at {size}: {good['p50_ms']:.2f} ms vs {flat_ms:.1f} ms flat, {key} {good[key]:.3f})"
        )
    else:
        best = max(o[key] for o in options)
        dense = f"FAISS flat: HNSW reaches only {key} {best:.3f} at {size}"
    lexical = (
        f"at {size} the lexical side dominates: BM25 {bm25['p50_ms']:.0f} ms a query, "
        f"{bm25['memory_mb']:.0f} MB, build ~{bm25['build_s']:.0f} s"
    )
    return {
        "switch_chunks": switch,
        "search_budget_ms": SEARCH_BUDGET_MS,
        "hnsw_ef_search": good["ef_search"] if good else None,
        "default": f"auto: flat below {HNSW_FROM_CHUNKS:,} chunks, hnsw from there",
        "text": f"{dense}; {lexical}",
    }


def run(
    quick: bool = False,
    sizes: tuple[int, ...] | None = None,
    passes: int | None = None,
    questions: int | None = None,
) -> dict:
    from bot.embed import load_embedder
    from bot.glossary import Glossary
    from bot.index import load_index, passage_text
    from bot.lexical import BM25, char_ngrams
    from bot.query import QueryBuilder

    sizes = sizes or (SIZES[:2] if quick else SIZES)
    passes = passes or (1 if quick else 3)
    real = load_index(settings())
    chunk_vectors = real.chunk_index.reconstruct_n(0, real.chunk_index.ntotal)
    base = np.vstack([chunk_vectors, real.sentence_vectors])
    texts = [passage_text(c, real.documents[c.doc_id]) for c in real.chunks]

    embedder = load_embedder(real.manifest["model"])
    builder = QueryBuilder(Glossary.load())
    queries = [builder.from_text(r["question"], r["lang"]) for r in dev_rows("questions")[:questions]]
    fixed = FixedQueries({q.dense_text: embedder.queries([q.dense_text])[0] for q in queries}, dim=embedder.dim)
    query_vectors = fixed.queries([q.dense_text for q in queries])
    lexical = [q.lexical_text for q in queries if q.lexical_text]

    rng = np.random.default_rng(0)
    rows, bm25_built = [], None
    for n in sizes:
        vectors = synthetic_vectors(base, n, rng)
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        _, truth = flat.search(query_vectors, K)
        dense, indexes = {}, {}
        for kind in ("flat", "hnsw", "ivf"):
            indexes[kind], dense[kind] = measure_dense(kind, vectors, query_vectors, truth, passes)

        if n <= BM25_BUILD_LIMIT:
            started = time.perf_counter()
            bm25 = BM25([char_ngrams(texts[i % len(texts)]) for i in range(n)])
            bm25_build = {"build_s": round(time.perf_counter() - started, 2), "build_measured": True}
            bm25_built = (n, bm25, bm25_build["build_s"])
        else:
            built_n, built, built_s = bm25_built
            if n % built_n:
                raise ValueError(f"{n} chunks is not a multiple of the {built_n} whose BM25 index is tiled")
            bm25 = tiled_bm25(built, n // built_n)
            bm25_build = {"build_s": round(built_s * n / built_n, 1), "build_measured": False}
        lexical_timing = time_searches(lambda t, b=bm25: b.normalised(char_ngrams(t)), lexical, passes)

        sentences = synthetic_sentences(real, n)
        rows.append(
            {
                "chunks": n,
                "dense": dense,
                "bm25": {**bm25_build, **lexical_timing, "memory_mb": sparse_mb(bm25.matrix)},
                "sentence_vectors": {"count": len(sentences[0]), "memory_mb": round(sentences[0].nbytes / 2**20, 1)},
                # what a flat index of this size holds in memory: chunk vectors, sentence vectors, n-gram BM25
                "index_memory_mb": round(
                    dense["flat"]["memory_mb"] + sentences[0].nbytes / 2**20 + sparse_mb(bm25.matrix)
                ),
            }
        )
    return {
        "sizes": list(sizes),
        "queries": len(queries),
        "passes": passes,
        "k": K,
        "noise_std": NOISE,
        "hnsw": f"IndexHNSWFlat M=32, efSearch {HNSW_BUILT_EF} (as bot.index builds it)",
        "ivf": f"IndexIVFFlat, sqrt(n) lists, nprobe {IVF_NPROBE}",
        "faiss_threads": faiss.omp_get_max_threads(),
        "rows": rows,
        "recommendation": recommend(rows),
        "search_p50_ms_by_size": {r["chunks"]: {k: r["dense"][k]["p50_ms"] for k in r["dense"]} for r in rows},
        "note": "one build per size and kind; search times are medians over passes; hybrid = "
        "HybridRetriever.search(k=3) on the synthetic index with precomputed query vectors",
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+")
    args = parser.parse_args()
    print(json.dumps(run(args.quick, tuple(args.sizes) if args.sizes else None), indent=2))
