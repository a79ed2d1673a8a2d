"""Reply latency: warm in-process replies split into the pipeline's stages, a cold `painbot ask`, and the
time to build the index.

Stage times come from the Bot's own components, each wrapped in a stopwatch while `Bot.reply` runs as
usual, so the split always follows the real pipeline instead of a copy of it.

    python -m benchmarks.latency [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import child_env, dev_rows, median, painbot, percentile, run_timed, settings, spread

# (stage, Bot attribute, methods timed): the pipeline's steps in bot/chat.py order.
COMPONENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("language", "detector", ("detect",)),
    ("reading", "reader", ("read",)),
    ("red flags", "safety", ("check", "escalation")),
    ("red flags", "net", ("inputs", "judge")),
    ("embedding", "embedder", ("queries",)),
    ("retrieval", "queries", ("build",)),
    ("retrieval", "retriever", ("search",)),
    ("gate", "gate", ("judge",)),
    ("composition", "composer", ("answer", "out_of_scope", "invalid", "unsupported_note")),
)
STAGES = tuple(dict.fromkeys(stage for stage, _, _ in COMPONENTS))
OTHER = "other (validation, reply object)"
# One message per language, worded for this benchmark; each cold run asks the next one.
COLD_QUESTIONS = (
    "Varför gör det ont under hälen när jag kliver upp på morgonen?",
    "Hvad kan jeg selv gøre ved smerter i akillessenen?",
    "Hvor lang tid tar det før isjias går over av seg selv?",
    "What can I do about pain along the shin bone when running?",
)


class _Stopwatch:
    """Stands in for one component: every attribute is the component's own, chosen methods are timed."""

    def __init__(self, target: object, methods: tuple[str, ...], stage: str, clock: dict[str, float]):
        self._target, self._methods, self._stage, self._clock = target, methods, stage, clock

    def __getattr__(self, name: str):
        attr = getattr(self._target, name)
        if name not in self._methods:
            return attr

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._clock[self._stage] += time.perf_counter() - started

        return timed


@contextlib.contextmanager
def stage_clock(bot) -> Iterator[dict[str, float]]:
    """While open, the Bot's components add their time (seconds) to the returned dict, by stage."""
    clock: dict[str, float] = defaultdict(float)
    originals = {attr: getattr(bot, attr) for _, attr, _ in COMPONENTS}
    try:
        for stage, attr, methods in COMPONENTS:
            setattr(bot, attr, _Stopwatch(originals[attr], methods, stage, clock))
        yield clock
    finally:
        for attr, component in originals.items():
            setattr(bot, attr, component)


def _forget_messages() -> None:
    """Clear the per-message langdetect cache, so each pass sees every message for the first time."""
    from bot import language

    cached = getattr(language, "_wide_net", None)
    if hasattr(cached, "cache_clear"):
        cached.cache_clear()


@contextlib.contextmanager
def uncached(bot) -> Iterator[None]:
    """The encoder without its per-text cache: each timed pass encodes every message, as new messages are."""
    embedder = bot.embedder
    bot.embedder = getattr(embedder, "inner", embedder)
    try:
        yield
    finally:
        bot.embedder = embedder


def warm(bot, questions: list[str], runs: int) -> dict:
    """`runs` timed passes over the questions after one untimed pass; p50/p95 per pass, median of passes."""
    with uncached(bot):
        return _warm(bot, questions, runs)


def _warm(bot, questions: list[str], runs: int) -> dict:
    for q in questions:
        bot.reply(q)
    passes = []
    for _ in range(runs):
        _forget_messages()
        totals: list[float] = []
        stages: dict[str, list[float]] = defaultdict(list)
        for q in questions:
            with stage_clock(bot) as clock:
                reply = bot.reply(q)
            totals.append(reply.latency_ms)
            for stage in STAGES:
                stages[stage].append(clock.get(stage, 0.0) * 1000)
            stages[OTHER].append(reply.latency_ms - sum(clock.get(s, 0.0) for s in STAGES) * 1000)
        passes.append(
            {
                "p50": percentile(totals, 50),
                "p95": percentile(totals, 95),
                "max": max(totals),
                "stages": {
                    k: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for k, v in stages.items()
                },
            }
        )
    stage_names = list(passes[0]["stages"])
    return {
        "questions": len(questions),
        "passes": runs,
        "p50_ms": spread([p["p50"] for p in passes]),
        "p95_ms": spread([p["p95"] for p in passes]),
        "max_ms": spread([p["max"] for p in passes]),
        "stages_ms": {
            s: {q: round(median(p["stages"][s][q] for p in passes), 3) for q in ("p50", "p95")}
            for s in stage_names
        },
        "note": "langdetect's per-message cache is cleared before each pass, the query-vector cache is not used; "
        "one untimed pass first",
    }


def cold_ask(runs: int) -> dict:
    """Whole `painbot ask` processes with a built index; one untimed run first warms the disk cache."""
    run_timed(painbot("ask", COLD_QUESTIONS[0]), timeout=120)
    times = []
    for i in range(runs):
        times.append(run_timed(painbot("ask", COLD_QUESTIONS[i % len(COLD_QUESTIONS)]), timeout=120).seconds)
    return {"seconds": spread(times), "questions": list(COLD_QUESTIONS)}


def index_build(runs: int) -> dict | None:
    """`painbot build --force` into a fresh folder: loading, chunking, embedding and writing the corpus. The
    first build starts from an empty cache folder and encodes every text; the later ones are rebuilds that
    reuse the vectors it kept (bot/build_vectors.py), as after an edit to the corpus."""
    if runs < 1:
        return None
    times, manifest, encoded = [], {}, []
    with tempfile.TemporaryDirectory(prefix="painbot-bench-cache-") as cache:
        for _ in range(runs + 1):
            with tempfile.TemporaryDirectory(prefix="painbot-bench-index-") as tmp:
                index_dir = Path(tmp) / "index"
                env = child_env(PAINBOT_INDEX=str(index_dir), XDG_CACHE_HOME=cache)
                times.append(run_timed(painbot("build", "--force"), timeout=1800, env=env).seconds)
                manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
                encoded.append(manifest.get("texts_encoded"))
    keys = ("model", "faiss", "documents", "chunks", "sentences", "units", "unit_versions")
    return {"cold_seconds": times[0], "cold_encoded": encoded[0], "seconds": spread(times[1:], 2),
            "encoded": encoded[1], **{k: manifest.get(k) for k in keys}}


def run(
    quick: bool = False,
    warm_runs: int | None = None,
    cold_runs: int | None = None,
    build_runs: int | None = None,
    questions: int | None = None,
) -> dict:
    from bot.chat import Bot

    rows = dev_rows("questions")[:questions]
    narratives = dev_rows("narratives")[:questions]
    started = time.perf_counter()
    bot = Bot.load(settings())
    load_s = time.perf_counter() - started
    runs = warm_runs or (2 if quick else 5)
    return {
        "bot_load_s": round(load_s, 2),
        "warm": warm(bot, [r["question"] for r in rows], runs),
        # Long messages with backstory: the encoder reads a bounded focus, so they cost about a short question.
        "warm_narratives": warm(bot, [r["question"] for r in narratives], runs),
        "cold_ask": cold_ask(cold_runs or (3 if quick else 5)),
        "index_build": index_build(build_runs if build_runs is not None else (1 if quick else 2)),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2, ensure_ascii=False))
