import numpy as np

from bot.lexical import CharNgramBM25, char_ngrams

DOCS = [
    "Hälsenan förbinder vadmuskulaturen med hälbenet.",
    "Iskias eller diskusprolaps kan give strålende smerter ned i benet.",
    "Hælspore er en benet utvekst på hælen.",
]


def test_ngrams_are_folded_and_word_bounded():
    grams = char_ngrams("Hälsa", 3, 3)
    assert " ha" in grams and "sa " in grams and "häl" not in grams
    assert all(" " not in g.strip() for g in char_ngrams("två ord", 3, 5))


def test_inflected_and_compound_forms_find_their_document():
    bm25 = CharNgramBM25(DOCS)
    assert int(np.argmax(bm25.scores("hälseneprogrammet"))) == 0
    assert int(np.argmax(bm25.scores("prolapsen"))) == 1
    assert int(np.argmax(bm25.scores("halsporre"))) == 2  # written without diacritics


def test_unknown_query_scores_zero_and_self_score_bounds_scores():
    bm25 = CharNgramBM25(DOCS)
    assert not bm25.scores("xyzzy qqq").any()
    assert bm25.self_score("xyzzy qqq") == 0.0
    query = "diskusprolaps smerter"
    assert bm25.scores(query).max() <= bm25.self_score(query) + 1e-5


def test_save_and_load_round_trip(tmp_path):
    bm25 = CharNgramBM25(DOCS)
    bm25.save(tmp_path)
    again = CharNgramBM25.load(tmp_path)
    for query in ("hälsena", "iskias smerter", "hælen"):
        np.testing.assert_allclose(bm25.scores(query), again.scores(query), rtol=1e-6)
