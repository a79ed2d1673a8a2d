"""Retrieval mechanisms on the real index and model: query expansion, fusion weights, topic carry-over,
section-level lexical evidence, seek-care intent, and hits on quote units that fold
every language version of a unit into the one unit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bot.glossary import Glossary
from bot.lexical import char_ngrams
from bot.query import Query, QueryBuilder
from bot.retrieve import FusionWeights, HybridRetriever


@pytest.fixture(scope="module")
def builder():
    return QueryBuilder(Glossary.load())


@pytest.fixture(scope="module")
def retriever(index):
    return HybridRetriever(index)


def vectors_of(embedder, query):
    return embedder.queries([query.dense_text, *(p.dense_text for p in query.parts)])


@pytest.mark.parametrize(
    ("message", "language", "expected"),
    [
        ("Hjälper det att operera ett diskbråck?", "sv", {"diskusprolaps", "prolaps"}),
        ("Hvad hjælper mod skinnebensbetændelse?", "da", {"benhinneinflammation", "beinhinnebetennelse"}),
        ("Hva hjelper mot kalkspore i hælen?", "nb", {"hälsporre", "hælspore"}),
        ("Does a herniated disc need surgery?", "en", {"diskusprolaps", "diskbråck"}),
    ],
)
def test_a_term_is_expanded_into_the_corpus_languages(builder, message, language, expected):
    query = builder.from_text(message, language)
    assert expected <= {term.lower() for term in query.expansion}


def test_english_lexical_query_holds_only_glossary_terms(builder, retriever):
    english = builder.from_text("Does a herniated disc need surgery?", "en")
    assert "surgery" not in english.lexical_text.split() and "diskusprolaps" in english.lexical_text
    assert retriever.lexical_weight(english) == FusionWeights().glossary_only
    nothing = builder.from_text("What does it cost?", "en")
    assert not nothing.expansion and retriever.lexical_weight(nothing) == 0.0
    swedish = builder.from_text("Vad kostar det?", "sv")
    assert retriever.lexical_weight(swedish) == FusionWeights().own_words


def test_topic_is_borrowed_by_a_follow_up_and_replaced_by_a_new_one(builder):
    earlier = ["Jag har ont i hälsenan när jag springer"]
    follow = builder.from_text("Hur länge ska jag träna?", "sv", earlier)
    assert follow.borrowed == earlier[0] and "achilles_tendon" in follow.topic
    new = builder.from_text("Och vad är ischias?", "sv", earlier)
    assert not new.borrowed and new.topic == ("sciatica",)


def test_fusion_adds_weighted_lexical_and_topical_evidence(builder, retriever, embedder):
    query = builder.from_text("Hjälper excentrisk träning mot ont i hälsenan?", "sv")
    vector = vectors_of(embedder, query)[0]
    fused, dense, lexical = retriever.passages(query, vector)
    top = int(np.argmax(fused))
    topical = retriever.topical(query)[retriever.index.chunk_doc[top]]
    w = retriever.weights
    assert retriever.index.chunks[top].doc_id == "sv-halsena"
    assert fused[top] == pytest.approx(dense[top] + w.own_words * lexical[top] + w.topical * topical, abs=1e-5)


def test_a_unit_hit_adds_its_own_evidence_to_its_passage(builder, retriever, embedder):
    query = builder.from_text("Hur många repetitioner ska man göra med rakt knä?", "sv")
    vector = vectors_of(embedder, query)[0]
    hits = retriever.search(query, vector, k=5)
    fused, _, _ = retriever.passages(query, vector)
    dense, lexical, asked = retriever.unit_evidence(query, vector)
    w = retriever.weights
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        assert h.unit is retriever.index.units[h.unit_index] and h.row == retriever.index.unit_chunk[h.unit_index]
        u = h.unit_index
        expected = w.unit_dense * dense[u] + w.unit_lexical * lexical[u] + w.unit_asked * asked[u] + fused[h.row]
        assert h.score == pytest.approx(expected, abs=1e-5)
    assert "3 x 15 repetitioner" in hits[0].unit.text


def test_every_language_version_of_a_unit_folds_into_the_unit(retriever, embedder):
    index = retriever.index
    versions = np.bincount(index.unit_of_row, minlength=len(index.units))
    unit = int(np.argmax(versions))
    assert versions[unit] > 1  # the unit is indexed in its article's language and in stored translations
    rows = np.flatnonzero(index.unit_of_row == unit)
    vector = index.unit_vectors[rows[-1]]  # a question that is exactly the last language version
    query = Query("x", "en", (), (), "", ())
    dense, _, _ = retriever.unit_evidence(query, vector)
    assert dense[unit] == pytest.approx(float(np.max(index.unit_vectors[rows] @ vector)), abs=1e-5)


def test_dense_score_blends_passage_and_best_sentence(retriever, embedder):
    index = retriever.index
    vector = embedder.queries(["Hur länge ska man träna excentriskt?"])[0]
    row = next(i for i, c in enumerate(index.chunks) if len(c.sentences) > 3)
    passage = float(index.chunk_index.reconstruct(row) @ vector)
    start, end = index.sentence_offsets[row], index.sentence_offsets[row + 1]
    best = max(passage, float(np.max(index.sentence_vectors[start:end] @ vector)))
    w = retriever.weights.sentence
    got = retriever.dense_scores(np.array([row]), vector)[0]
    assert got == pytest.approx((1 - w) * passage + w * best, abs=1e-5)


def test_a_long_section_shares_its_lexical_evidence_with_its_later_chunks(retriever):
    chunks = retriever.index.chunks
    first = next(i for i in range(len(chunks) - 1) if chunks[i].section == chunks[i + 1].section)
    raw = retriever.index.ngrams.normalised(char_ngrams(chunks[first].text))
    shared = retriever.section_lexical(raw)
    assert raw[first] > raw[first + 1]
    assert shared[first + 1] == pytest.approx(max(raw[first + 1], retriever.weights.section * raw[first]))
    assert np.all(shared >= raw)
    sizes = {}
    for c in chunks:
        sizes[c.doc_id, c.section] = sizes.get((c.doc_id, c.section), 0) + 1
    alone = [i for i, c in enumerate(chunks) if sizes[c.doc_id, c.section] == 1]
    np.testing.assert_array_equal(shared[alone], raw[alone])  # a one-chunk section keeps its own score


def test_a_question_about_seeing_a_doctor_leans_towards_seek_care_sections(builder, retriever, embedder):
    query = builder.from_text("When should I see a doctor about pain in my legs?", "en")
    assert query.asks == ("seek_care",)
    plain = dataclasses.replace(query, asks=())
    vector = vectors_of(embedder, query)[0]
    asked, _, _ = retriever.passages(query, vector)
    unasked, _, _ = retriever.passages(plain, vector)
    kind = np.array([c.seek_care for c in retriever.index.chunks], dtype=float)
    found = np.isfinite(asked)
    np.testing.assert_allclose(asked[found], unasked[found] + retriever.weights.asked_section * kind[found], atol=1e-5)
    assert retriever.search(query, vector, k=1)[0].chunk.seek_care
