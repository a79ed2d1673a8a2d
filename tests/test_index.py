"""Index build, manifest staleness and corruption, against a copy of the real corpus."""

import dataclasses
import json
import shutil
import uuid

import faiss
import pytest

from bot.config import Settings
from bot.index import HNSW_FROM_CHUNKS, ensure_index, faiss_index, index_status, load_index, resolve_faiss_kind


@pytest.fixture(scope="module")
def built(tmp_path_factory, settings, index):
    """A private copy of the corpus and of the session's built index, free to damage."""
    root = tmp_path_factory.mktemp("own")
    shutil.copytree(settings.corpus_dir, root / "corpus")
    shutil.copytree(settings.index_dir, root / "index")
    # The copied manifest refers to the same corpus bytes, so the copy starts out up to date.
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index")


def test_manifest_records_what_the_index_was_built_from(index):
    m = index.manifest
    assert m["model"] == "e5-small-q4" and m["dim"] == 384
    assert m["documents"] == 5 and m["chunks"] == len(index.chunks) == index.chunk_index.ntotal
    assert m["sentences"] == len(index.sentence_vectors) > m["chunks"]
    assert set(m["files"]) >= {"chunks.json", "chunks.faiss", "sentences.faiss", "ngrams.npz", "concepts.npz"}
    assert {d for d in index.documents} == {
        "sv-benhinnor", "da-ondt-i-benene", "sv-halsena", "no-haelspore", "da-iskias"
    }


def test_fresh_copy_is_up_to_date(built):
    assert index_status(built).ok


def test_model_change_makes_index_stale(built):
    status = index_status(Settings(corpus_dir=built.corpus_dir, index_dir=built.index_dir, model="st:other"))
    assert not status.ok and "model" in status.reason


def test_corrupt_vector_file_is_detected_and_rebuilt(built, embedder, capsys):
    path = built.index_dir / "chunks.faiss"
    path.write_bytes(path.read_bytes()[:100])
    status = index_status(built)
    assert not status.ok and status.reason == "corrupt: chunks.faiss does not match its checksum"
    index = ensure_index(built, embedder)
    assert "corrupt" in capsys.readouterr().err
    assert index_status(built).ok and index.chunk_index.ntotal == len(index.chunks)


def test_unreadable_manifest_is_reported_not_raised(built, embedder, capsys):
    (built.index_dir / "manifest.json").write_text("{not json", encoding="utf-8")
    assert index_status(built).reason.startswith("corrupt: manifest.json is unreadable")
    ensure_index(built, embedder)
    assert index_status(built).ok
    assert json.loads((built.index_dir / "manifest.json").read_text())["chunks"] > 0


def test_corpus_edit_makes_index_stale_and_rebuild_picks_it_up(built, embedder):
    path = built.corpus_dir / "sv-halsena.md"
    added = "## Resultat\n\nSenan läker långsamt men säkert.\n"
    text = path.read_text(encoding="utf-8").replace("## Resultat\n", added)
    path.write_text(text, encoding="utf-8")
    assert "corpus changed" in index_status(built).reason
    index = ensure_index(built, embedder)
    assert any("läker långsamt" in c.text for c in index.chunks)
    assert load_index(built).manifest["corpus_fingerprint"] == index.manifest["corpus_fingerprint"]


def test_a_rebuild_encodes_only_the_texts_it_has_not_seen(built, embedder):
    ensure_index(dataclasses.replace(built, index_dir=built.index_dir.parent / "again"), embedder)
    path = built.corpus_dir / "no-haelspore.md"
    text = path.read_text(encoding="utf-8")
    heading = next(line for line in text.splitlines() if line.startswith("## "))
    # A sentence no earlier run can have encoded (the kept vectors outlive a test session).
    sentence = f"Hælen kan bli bedre av hvile, sier {uuid.uuid4().hex}."
    path.write_text(text.replace(heading, f"{heading}\n\n{sentence}", 1), encoding="utf-8")
    index = ensure_index(built, embedder)
    assert any(sentence in c.text for c in index.chunks)
    assert 0 < index.manifest["texts_encoded"] < 10  # the new sentence in its chunk, sentence and unit


def test_auto_index_kind_switches_to_hnsw_for_large_corpora():
    assert resolve_faiss_kind("auto", 83) == "flat"
    assert resolve_faiss_kind("auto", HNSW_FROM_CHUNKS) == "hnsw"
    assert resolve_faiss_kind("flat", 10 * HNSW_FROM_CHUNKS) == "flat"
    with pytest.raises(ValueError, match="unknown FAISS index kind 'ivf'"):
        resolve_faiss_kind("ivf", 10)


def test_hnsw_index_finds_what_exact_search_finds_on_the_real_vectors(index):
    vectors = index.chunk_index.reconstruct_n(0, index.chunk_index.ntotal)
    hnsw = faiss_index(vectors, "hnsw")
    assert isinstance(hnsw, faiss.IndexHNSWFlat) and hnsw.hnsw.efSearch >= 512
    queries = index.sentence_vectors[::25]
    _, exact = faiss_index(vectors, "flat").search(queries, 10)
    _, approximate = hnsw.search(queries, 10)
    assert (exact == approximate).mean() > 0.95


def test_asking_for_another_index_kind_makes_the_index_stale(built):
    assert index_status(dataclasses.replace(built, faiss_kind="auto")).ok  # auto accepts what was built
    status = index_status(dataclasses.replace(built, faiss_kind="hnsw"))
    assert not status.ok and status.reason == "stale: built with FAISS flat, asked for hnsw"
