import numpy as np

from bot.lexical import BM25, char_ngrams

DOCS = [
    "Hälsenan förbinder vadmuskulaturen med hälbenet.",
    "Iskias eller diskusprolaps kan give strålende smerter ned i benet.",
    "Hælspore er en benet utvekst på hælen.",
]


def grams_bm25() -> BM25:
    return BM25([char_ngrams(d) for d in DOCS])


def test_ngrams_are_folded_and_word_bounded():
    grams = char_ngrams("Hälsa", 3, 3)
    assert " ha" in grams and "sa " in grams and "häl" not in grams
    assert all(" " not in g.strip() for g in char_ngrams("två ord", 3, 5))


def test_inflected_and_compound_forms_find_their_document():
    bm25 = grams_bm25()
    assert int(np.argmax(bm25.scores(char_ngrams("hälseneprogrammet")))) == 0
    assert int(np.argmax(bm25.scores(char_ngrams("prolapsen")))) == 1
    assert int(np.argmax(bm25.scores(char_ngrams("halsporre")))) == 2  # written without diacritics


def test_unknown_query_scores_zero_and_normalised_scores_stay_within_one():
    bm25 = grams_bm25()
    assert not bm25.scores(char_ngrams("xyzzy qqq")).any()
    assert bm25.self_score(char_ngrams("xyzzy qqq")) == 0.0
    scores = bm25.normalised(char_ngrams("diskusprolaps smerter"))
    assert 0.5 < scores.max() <= 1.0 + 1e-6


def test_rarer_tokens_weigh_more():
    bm25 = BM25([["heel_spur", "heel"], ["heel"], ["sciatica"]])
    scores = bm25.scores(["heel_spur", "heel"])
    assert scores[0] > scores[1] > scores[2] == 0


def test_save_and_load_round_trip(tmp_path):
    bm25 = grams_bm25()
    bm25.save(tmp_path, "x")
    again = BM25.load(tmp_path, "x")
    for query in ("hälsena", "iskias smerter", "hælen"):
        np.testing.assert_allclose(bm25.scores(char_ngrams(query)), again.scores(char_ngrams(query)), rtol=1e-6)
