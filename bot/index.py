"""Build, check and load ``index/``: FAISS vectors for chunks and sentences, char n-gram BM25 over chunks,
concept BM25 over documents (glossary concepts each article names), the chunk table, the quote units with a
vector and n-grams for every language version of each unit (the article's own and its stored translations),
a vector per question a unit answers (bot/asked.py), and ``manifest.json`` recording what the index was built from.

A stale index (corpus edited, another embedding model) or a corrupt one (a file missing, truncated or
altered) is explained in one line and rebuilt, never surfaced as a stack trace."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from bot import yamlfile
from bot.asked import asked_documents, asked_fingerprint, load_asked
from bot.build_vectors import BuildVectors
from bot.config import DATA_DIR, Settings
from bot.corpus import Chunk, chunk_corpus, corpus_fingerprint, load_corpus
from bot.embed import Embedder, load_embedder
from bot.glossary import Glossary
from bot.lexical import BM25, char_ngrams
from bot.redflags import semantic as redflag_net  # layer 2 of the red flags: its description vectors
from bot.translations import Translations, translations_fingerprint
from bot.units import UNIT_CUES, Part, Unit, cut_units

FORMAT_VERSION = 5
CHUNKING = {"min_chars": 200, "max_chars": 900}
FILES = ("chunks.json", "chunks.faiss", "sentences.faiss", "ngrams.npz", "ngrams.json", "concepts.npz",
         "concepts.json", "units.json", "units.faiss", "unit_ngrams.npz", "unit_ngrams.json", "asked.npz")
EMBED_BATCH = 32
FAISS_KINDS = ("auto", "flat", "hnsw")
# Measured by benchmarks/scale.py on 2 cores: a flat search of 384-dim vectors passes 5 ms near 24,000 chunks;
# above that HNSW, searched with HNSW_EF_SEARCH, keeps recall@10 near 0.97 at a fraction of the time.
HNSW_FROM_CHUNKS = 24_000
HNSW_EF_SEARCH = 512


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    language: str
    publisher: str
    source: str


@dataclass(frozen=True)
class IndexStatus:
    ok: bool
    reason: str = ""


@dataclass
class Index:
    manifest: dict
    documents: dict[str, DocumentInfo]
    chunks: list[Chunk]
    chunk_index: faiss.Index
    sentence_vectors: np.ndarray  # (n_sentences, dim), rows in chunk order
    sentence_offsets: np.ndarray  # chunk i owns sentence rows offsets[i]:offsets[i+1]
    ngrams: BM25  # over chunks' character n-grams
    concepts: BM25  # over documents' glossary concepts, rows in ``doc_order``
    doc_order: list[str]
    chunk_doc: np.ndarray  # chunk row -> row in doc_order
    units: list[Unit]
    unit_vectors: np.ndarray  # (n_rows, dim): one row per language version of a unit
    unit_of_row: np.ndarray  # version row -> unit index
    row_language: list[str]  # version row -> its language
    unit_ngrams: BM25  # over the version rows' character n-grams
    unit_chunk: np.ndarray  # unit index -> the chunk row holding its first sentence
    seek_care: dict[str, list[str]]  # doc_id -> the article's seek-care headings
    asked_vectors: np.ndarray  # (n_questions, dim): the questions units answer, encoded as queries
    asked_unit: np.ndarray  # question row -> unit index
    asked_written: np.ndarray  # unit index -> whether its article's questions are written


class IndexUnusable(RuntimeError):
    """The index on disk cannot be used; the message says why in one line."""


def passage_text(chunk: Chunk, doc: DocumentInfo) -> str:
    """What gets embedded and BM25-indexed for a chunk: title and section give short passages their context."""
    return f"{doc.title}. {chunk.section}.\n{chunk.text}"


def unit_text(unit: Unit, text: str) -> str:
    """What gets embedded for one language version of a unit: the section names its subject."""
    return f"{unit.section}.\n{text}"


def units_fingerprint(data_dir: Path = DATA_DIR) -> str:
    """Hash of the cues that cut units (bot/units.py): the units are stored in the index, so editing these
    makes it stale; the other cues in the same files (roles) are read at load time and do not."""
    digest = hashlib.sha256()
    for path in sorted((data_dir / "lang").glob("*/roles.yaml")):
        data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
        digest.update(json.dumps({k: data.get(k) for k in UNIT_CUES}, sort_keys=True).encode())
    return digest.hexdigest()


def glossary_fingerprint(data_dir: Path = DATA_DIR) -> str:
    """Hash of the glossary files: concept lists are stored in the index, so a glossary edit makes it stale."""
    digest = hashlib.sha256()
    for path in [data_dir / "concepts.yaml", *sorted((data_dir / "lang").glob("*/glossary.yaml"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_faiss_kind(kind: str, n_vectors: int) -> str:
    """The index kind to build: ``auto`` picks exact search until it gets slower than HNSW is worth."""
    if kind not in FAISS_KINDS:
        raise ValueError(f"unknown FAISS index kind {kind!r}: use one of {', '.join(FAISS_KINDS)}")
    if kind == "auto":
        return "hnsw" if n_vectors >= HNSW_FROM_CHUNKS else "flat"
    return kind


def faiss_index(vectors: np.ndarray, kind: str) -> faiss.Index:
    """Exact inner product (``flat``) or an HNSW graph (``hnsw``) over unit vectors."""
    dim = vectors.shape[1]
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def _embed(embedder: Embedder, texts: list[str], progress: bool, label: str, queries: bool = False) -> np.ndarray:
    batches = range(0, len(texts), EMBED_BATCH)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc=label, unit="batch", file=sys.stderr, disable=not sys.stderr.isatty())
    encode = embedder.queries if queries else embedder.passages
    parts = [encode(texts[i : i + EMBED_BATCH]) for i in batches]
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), np.float32)


def build_index(settings: Settings, embedder: Embedder | None = None, progress: bool = False) -> dict:
    """Embed and index the corpus into ``settings.index_dir``; returns the manifest."""
    started = time.perf_counter()
    documents = load_corpus(settings.corpus_dir)
    chunks = chunk_corpus(documents)
    faiss_kind = resolve_faiss_kind(settings.faiss_kind, len(chunks))
    info = {d.doc_id: DocumentInfo(d.doc_id, d.title, d.language, d.publisher, d.source) for d in documents}
    # Texts encoded by an earlier build are not encoded again (bot/build_vectors.py).
    embedder = BuildVectors(embedder or load_embedder(settings.model))
    passages = [passage_text(c, info[c.doc_id]) for c in chunks]
    sentences = [s for c in chunks for s in c.sentences]
    chunk_vectors = _embed(embedder, passages, progress, "chunks")
    sentence_vectors = _embed(embedder, sentences, progress, "sentences")
    units = [u for d in documents for u in cut_units(d)]
    translations = Translations.load(settings.corpus_dir, settings.translations, documents)
    rows = [(i, lang, text) for i, u in enumerate(units) for lang, text in translations.unit_versions(u).items()]
    unit_vectors = _embed(embedder, [unit_text(units[i], t) for i, _, t in rows], progress, "units")
    # Questions are compared with questions: both sides are encoded as queries.
    asked, asked_problems = load_asked(settings.corpus_dir, units)
    asked_vectors = _embed(embedder, [q.text for q in asked], progress, "questions", queries=True)

    folder = settings.index_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)  # an interrupted build must not look valid
    table = {"documents": [asdict(d) for d in info.values()], "chunks": [asdict(c) for c in chunks]}
    (folder / "chunks.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    faiss.write_index(faiss_index(chunk_vectors, faiss_kind), str(folder / "chunks.faiss"))
    faiss.write_index(faiss_index(sentence_vectors, "flat"), str(folder / "sentences.faiss"))
    BM25([char_ngrams(p) for p in passages]).save(folder, "ngrams")
    unit_table = {
        "units": [asdict(u) for u in units],
        "rows": [[i, lang] for i, lang, _ in rows],
        "seek_care": {d.doc_id: list(d.seek_care) for d in documents},
    }
    (folder / "units.json").write_text(json.dumps(unit_table, ensure_ascii=False), encoding="utf-8")
    faiss.write_index(faiss_index(unit_vectors, "flat"), str(folder / "units.faiss"))
    BM25([char_ngrams(unit_text(units[i], t)) for i, _, t in rows]).save(folder, "unit_ngrams")
    with (folder / "asked.npz").open("wb") as f:
        written = asked_documents(settings.corpus_dir)
        np.savez(f, vectors=asked_vectors, unit=np.array([q.unit_index for q in asked], dtype=np.int64),
                 written=np.array([u.doc_id in written for u in units], dtype=bool))
    glossary = Glossary.load()
    doc_order = sorted(info)
    doc_concepts: dict[str, list[str]] = {d: [] for d in doc_order}
    for chunk, passage in zip(chunks, passages, strict=True):
        doc_concepts[chunk.doc_id] += [m.concept_id for m in glossary.find(passage)]
    BM25([doc_concepts[d] for d in doc_order]).save(folder, "concepts")
    net_fingerprint = redflag_net.write_vectors(embedder, folder)
    embedder.save()
    manifest = {
        "format": FORMAT_VERSION,
        "model": embedder.name,
        "dim": embedder.dim,
        "faiss": faiss_kind,
        "corpus": str(settings.corpus_dir),
        "corpus_fingerprint": corpus_fingerprint(settings.corpus_dir),
        "glossary_fingerprint": glossary_fingerprint(),
        "units_fingerprint": units_fingerprint(),
        "translations_fingerprint": translations_fingerprint(settings.corpus_dir, settings.translations),
        "asked_fingerprint": asked_fingerprint(settings.corpus_dir),
        "doc_order": doc_order,
        "chunking": CHUNKING,
        "documents": len(documents),
        "chunks": len(chunks),
        "sentences": len(sentences),
        "units": len(units),
        "unit_versions": len(rows),
        "asked_questions": len(asked),
        "asked_problems": asked_problems,  # entries no unit matched: rewrite them for the edited text
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - started, 2),
        "texts_encoded": embedder.encoded,  # the rest came from earlier builds
        "redflag_net_fingerprint": net_fingerprint,
        "files": {name: _sha256(folder / name) for name in (*FILES, *redflag_net.FILES)},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def read_manifest(settings: Settings) -> dict | None:
    path = settings.index_dir / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexUnusable(f"manifest.json is unreadable ({exc})") from exc


def index_status(settings: Settings) -> IndexStatus:
    """Whether the index on disk matches the corpus and model asked for, and is intact."""
    try:
        manifest = read_manifest(settings)
    except IndexUnusable as exc:
        return IndexStatus(False, f"corrupt: {exc}")
    if manifest is None:
        return IndexStatus(False, "missing")
    if manifest.get("format") != FORMAT_VERSION:
        return IndexStatus(False, f"stale: format {manifest.get('format')} != {FORMAT_VERSION}")
    if manifest.get("model") != settings.model:
        return IndexStatus(False, f"stale: built with model {manifest.get('model')}, asked for {settings.model}")
    if settings.faiss_kind != "auto" and manifest.get("faiss") != settings.faiss_kind:
        return IndexStatus(False, f"stale: built with FAISS {manifest.get('faiss')}, asked for {settings.faiss_kind}")
    if manifest.get("chunking") != CHUNKING:
        return IndexStatus(False, "stale: chunking settings changed")
    if manifest.get("redflag_net_fingerprint") != redflag_net.fingerprint():
        return IndexStatus(False, "stale: the red-flag descriptions changed since the index was built")
    if manifest.get("glossary_fingerprint") != glossary_fingerprint():
        return IndexStatus(False, "stale: the glossary changed since the index was built")
    if manifest.get("units_fingerprint") != units_fingerprint():
        return IndexStatus(False, "stale: the quote unit cues changed since the index was built")
    if settings.corpus_dir.is_dir() and manifest.get("corpus_fingerprint") != corpus_fingerprint(settings.corpus_dir):
        return IndexStatus(False, "stale: the corpus changed since the index was built")
    if manifest.get("translations_fingerprint") != translations_fingerprint(settings.corpus_dir, settings.translations):
        return IndexStatus(False, "stale: the translations or their setting changed since the index was built")
    if manifest.get("asked_fingerprint") != asked_fingerprint(settings.corpus_dir):
        return IndexStatus(False, "stale: the questions units answer changed since the index was built")
    for name, digest in manifest.get("files", {}).items():
        path = settings.index_dir / name
        if not path.exists():
            return IndexStatus(False, f"corrupt: {name} is missing")
        if _sha256(path) != digest:
            return IndexStatus(False, f"corrupt: {name} does not match its checksum")
    return IndexStatus(True)


def load_index(settings: Settings) -> Index:
    """Load an index that ``index_status`` found ok; raises IndexUnusable with a one-line reason otherwise."""
    manifest = read_manifest(settings)
    if manifest is None:
        raise IndexUnusable("missing")
    folder = settings.index_dir
    try:
        table = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        documents = {d["doc_id"]: DocumentInfo(**d) for d in table["documents"]}
        chunks = [Chunk(**{**c, "sentences": tuple(c["sentences"])}) for c in table["chunks"]]
        chunk_index = faiss.read_index(str(folder / "chunks.faiss"))
        sentence_index = faiss.read_index(str(folder / "sentences.faiss"))
        sentence_vectors = sentence_index.reconstruct_n(0, sentence_index.ntotal)
        ngrams = BM25.load(folder, "ngrams")
        concepts = BM25.load(folder, "concepts")
        doc_order = list(manifest["doc_order"])
        chunk_doc = np.array([doc_order.index(c.doc_id) for c in chunks], dtype=np.int64)
        unit_table = json.loads((folder / "units.json").read_text(encoding="utf-8"))
        units = [Unit(**{**u, "parts": tuple(Part(**p) for p in u["parts"])}) for u in unit_table["units"]]
        unit_index = faiss.read_index(str(folder / "units.faiss"))
        unit_vectors = unit_index.reconstruct_n(0, unit_index.ntotal)
        unit_of_row = np.array([r[0] for r in unit_table["rows"]], dtype=np.int64)
        row_language = [r[1] for r in unit_table["rows"]]
        unit_ngrams = BM25.load(folder, "unit_ngrams")
        with np.load(folder / "asked.npz") as asked:
            asked_vectors, asked_unit = asked["vectors"].astype(np.float32), asked["unit"].astype(np.int64)
            asked_written = asked["written"].astype(bool)
    except Exception as exc:  # any unreadable part means the same thing: rebuild
        raise IndexUnusable(f"corrupt: {type(exc).__name__}: {exc}") from exc
    sizes = [len(c.sentences) for c in chunks]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    if chunk_index.ntotal != len(chunks) or len(sentence_vectors) != offsets[-1]:
        raise IndexUnusable("corrupt: vector counts do not match the chunk table")
    if len(unit_vectors) != len(unit_of_row):
        raise IndexUnusable("corrupt: vector counts do not match the unit table")
    if len(asked_vectors) != len(asked_unit) or len(asked_written) != len(units) or (
            len(asked_unit) and asked_unit.max() >= len(units)):
        raise IndexUnusable("corrupt: the asked questions do not match the unit table")
    return Index(
        manifest, documents, chunks, chunk_index, sentence_vectors, offsets, ngrams, concepts, doc_order, chunk_doc,
        units, unit_vectors, unit_of_row, row_language, unit_ngrams, unit_chunks(units, chunks),
        unit_table["seek_care"], asked_vectors.reshape(-1, unit_vectors.shape[1]), asked_unit, asked_written,
    )


def unit_chunks(units: list[Unit], chunks: list[Chunk]) -> np.ndarray:
    """For each unit, the chunk row holding its first sentence (the passage a citation shows)."""
    where: dict[tuple[str, str], int] = {}
    for row, chunk in enumerate(chunks):
        for sentence in chunk.sentences:
            where.setdefault((chunk.doc_id, sentence), row)
    first_of_doc = {}
    for row, chunk in enumerate(chunks):
        first_of_doc.setdefault(chunk.doc_id, row)
    return np.array([where.get((u.doc_id, u.parts[0].text), first_of_doc[u.doc_id]) for u in units], dtype=np.int64)


def ensure_index(settings: Settings, embedder: Embedder | None = None) -> Index:
    """Load the index, rebuilding it first when it is missing, stale or corrupt (saying why on stderr)."""
    status = index_status(settings)
    if not status.ok:
        print(f"painbot: index {status.reason}; building {settings.index_dir}", file=sys.stderr)
        build_index(settings, embedder, progress=True)
    try:
        return load_index(settings)
    except IndexUnusable as exc:
        print(f"painbot: index {exc}; rebuilding {settings.index_dir}", file=sys.stderr)
        build_index(settings, embedder, progress=True)
        return load_index(settings)
