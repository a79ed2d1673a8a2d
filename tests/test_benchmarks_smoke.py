"""Every benchmark runs end to end on minimal sizes and its figures fit the summary table. No timing is
asserted: only that the measurements exist, are consistent, and that nothing failed along the way."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

# benchmarks/ is not part of the installed package: import it from the project folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import language_id, latency, load, quality, run, scale, throughput  # noqa: E402
from benchmarks.common import percentile  # noqa: E402


@pytest.fixture(autouse=True)
def small_eval_set(monkeypatch):
    """The benchmarks read the dev set next to the checkout; here they run on a small set of the tests' own."""
    monkeypatch.setenv("PAINBOT_EVAL_DIR", str(Path(__file__).resolve().parent / "data" / "eval"))


def table_rows(name: str, result: dict) -> list[run.Row]:
    rows = run.ROWS[name](result)
    assert rows and all(r.metric and r.measured for r in rows)
    assert "nan" not in run.markdown_table(rows)
    return rows


def test_percentile_is_an_observed_value():
    assert percentile([5, 1, 4, 2, 3], 50) == 3
    assert percentile([1, 2, 3, 4], 95) == 4
    assert math.isnan(percentile([], 50))


def test_latency_splits_replies_into_the_pipeline_stages():
    result = latency.run(warm_runs=1, cold_runs=1, build_runs=0, questions=3)
    warm = result["warm"]
    assert warm["questions"] == 3 and warm["p50_ms"]["n"] == 1
    stages = warm["stages_ms"]
    assert set(latency.STAGES) <= set(stages)
    assert stages["retrieval"]["p50"] > 0 and stages["language"]["p50"] > 0 and stages["embedding"]["p50"] > 0
    assert result["warm_narratives"]["questions"] == 2
    assert result["cold_ask"]["seconds"]["n"] == 1 and result["index_build"] is None
    table_rows("latency", result)


def test_stage_clock_leaves_the_bot_as_it_was():
    from benchmarks.common import settings
    from bot.chat import Bot

    bot = Bot.load(settings())
    before = {attr: getattr(bot, attr) for _, attr, _ in latency.COMPONENTS}
    with latency.uncached(bot), latency.stage_clock(bot) as clock:
        bot.reply("Hvorfor gør det ondt i hælen om morgenen?")
    assert clock["retrieval"] > 0 and clock["embedding"] > 0
    assert {attr: getattr(bot, attr) for attr in before} == before


def test_throughput_answers_every_row_of_the_batch():
    result = throughput.run(runs=1, size=3)
    assert result["questions"] == 3 and result["seconds"]["n"] == 1
    assert result["peak_rss_mb"]["median"] > 0
    table_rows("throughput", result)


def test_load_stops_by_itself_and_measures_the_server():
    result = load.run(
        workers=(1,), clients=2, duration=1.0, max_requests=6, think_s=0.2, paced_duration=1.0, worst_repeats=1
    )
    closed, paced = result["back_to_back"], result["paced"]
    assert closed["errors"] == paced["errors"] == 0
    assert closed["requests"] == 6 and closed["stopped_by"] == "max_requests"
    assert 0 < paced["requests"] <= 6
    assert result["server_memory_mb"] > result["server_rss_idle_mb"] / 2 > 0
    assert sum(result["worst_request"]["worst_body"]["statuses"].values()) == 1
    table_rows("load", result)


def test_scale_compares_exact_and_approximate_search():
    result = scale.run(sizes=(300,), passes=1, questions=5)
    (row,) = result["rows"]
    assert row["chunks"] == 300
    assert row["dense"]["flat"]["recall@10"] == 1.0
    assert 0 < row["dense"]["hnsw"]["recall@10"] <= 1
    assert row["bm25"]["build_measured"]
    table_rows("scale", result)


def test_scale_recommends_the_narrowest_hnsw_search_that_keeps_recall():
    wider = [
        {"ef_search": 64, "p50_ms": 0.5, "recall@10": 0.80},
        {"ef_search": 256, "p50_ms": 2.0, "recall@10": 0.97},
    ]
    hnsw = {"p50_ms": 1.0, "recall@10": 0.90, "ef_search": {"as built": 512}, "wider": wider}
    row = {
        "chunks": 100_000,
        "dense": {"flat": {"p50_ms": 10.0}, "hnsw": hnsw},
        "bm25": {"p50_ms": 100.0, "memory_mb": 500.0, "build_s": 80.0},
    }
    advice = scale.recommend([row])
    assert advice["switch_chunks"] == 50_000  # 5 ms budget at 0.1 µs a chunk
    assert advice["hnsw_ef_search"] == 256
    hnsw["recall@10"] = 0.99  # the index as built is good enough: its efSearch is named as a number
    advice = scale.recommend([row])
    assert advice["hnsw_ef_search"] == 512 and "efSearch 512 " in advice["text"]


def test_synthetic_chunks_keep_the_sentences_of_the_chunk_they_repeat():
    from benchmarks.common import settings
    from bot.index import load_index

    real = load_index(settings())
    m = len(real.chunks)
    vectors, offsets = scale.synthetic_sentences(real, 2 * m + 5)
    assert len(offsets) == 2 * m + 6 and offsets[-1] == len(vectors)
    for i in (0, m - 1, m, 2 * m + 4):
        j = i % m
        want = real.sentence_vectors[real.sentence_offsets[j] : real.sentence_offsets[j + 1]]
        assert np.array_equal(vectors[offsets[i] : offsets[i + 1]], want)


def test_tiled_bm25_equals_building_the_repeated_texts():
    from bot.lexical import BM25, char_ngrams

    texts = [
        "ont i hälsenan efter löpning",
        "smerter i hælen om morgenen",
        "isjias og rygsmerter",
        "vondt i leggen",
    ]
    tiled = scale.tiled_bm25(BM25([char_ngrams(t) for t in texts]), 3)
    built = BM25([char_ngrams(t) for t in texts * 3])
    for query in ("hälsena löpning", "hæl morgen", "isjias"):
        tokens = char_ngrams(query)
        assert np.allclose(tiled.scores(tokens), built.scores(tokens), rtol=1e-5)
        assert np.allclose(tiled.normalised(tokens), built.normalised(tokens), rtol=1e-5)


def test_quality_scores_painbot_and_both_baselines_on_the_same_questions():
    result = quality.run(limit=2)
    assert result["rows"] == 8 and sum(result["files"].values()) == 8
    systems = result["baselines"]
    assert {s["n"] for s in systems.values()} == {2}
    assert all(0 <= s["hit@1"] <= 1 and 0 <= s["passage_hit@3"] <= 1 for s in systems.values())
    table_rows("quality", result)


def test_quickstart_chunks_are_fixed_size_and_skip_front_matter():
    from benchmarks.common import settings

    chunks = quality.quickstart_chunks(settings().corpus_dir)
    assert all(len(c["text"]) <= quality.QUICKSTART_CHUNK for c in chunks)
    assert not any(c["text"].startswith("---") for c in chunks)
    assert {c["doc_id"] for c in chunks} == {p.stem for p in settings().corpus_dir.glob("*.md")}


def test_language_id_report_is_kept_whole():
    result = language_id.run(repeat=1)
    assert "painbot" in result["methods"] and result["rows"] > 0
    table_rows("langid", result)
