"""Measure the red-flag layers on the dev files: the semantic net alone, the rules alone, and both together.

    .venv/bin/python benchmarks/redflag_net.py [--eval-dir DIR] [--cache FILE] [--show] [--latency]

Reports recall, false alarms and category accuracy per file and per language, which escalations only the net
catches, and the net's false alarms. Measurement only: nothing here feeds the net's data or thresholds."""

from __future__ import annotations

import argparse
import json
import os
import pickle
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bot.embed import load_embedder
from bot.redflags import Safety
from bot.redflags.semantic import SemanticNet
from bot.text import normalize_input

FILES = ("redflags", "redflags_hard", "redflag_probes", "narratives", "questions")
RULES_MEMORY = 3


def rows_of(eval_dir: Path) -> list[dict]:
    rows = []
    for name in FILES:
        path = eval_dir / f"{name}.jsonl"
        if path.exists():
            rows += [{**json.loads(line), "file": name} for line in path.open(encoding="utf-8") if line.strip()]
    return rows


class Encoder:
    """The embedder with an optional on-disk cache, so repeated measurements do not re-encode the same texts."""

    def __init__(self, embedder, cache: Path | None):
        self.embedder, self.cache = embedder, cache
        self.name, self.dim = embedder.name, embedder.dim
        self.known = pickle.loads(cache.read_bytes()) if cache and cache.exists() else {}

    def queries(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        new = [t for t in dict.fromkeys(texts) if t not in self.known]
        for start in range(0, len(new), 32):
            part = new[start : start + 32]
            self.known.update(zip(part, self.embedder.queries(part), strict=True))
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        if self.cache:
            self.cache.write_bytes(pickle.dumps(self.known))


def latency(eval_dir: Path) -> None:
    """Median CPU milliseconds (this thread) of encoding the message alone, and what the net adds: its extra
    inputs encoded in the same call, and the judging. CPU time, so other processes on the machine do not count."""
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as folder:
        net = SemanticNet.load(embedder, Path(folder))
    embedder.queries(["warm up"])
    for name in ("questions", "narratives"):
        path = eval_dir / f"{name}.jsonl"
        messages = [json.loads(line)["question"] for line in path.open(encoding="utf-8") if line.strip()]
        base, added = [], []
        for message in messages:
            started = time.thread_time()
            embedder.queries([message + " "])  # a fresh text: the encoder keeps no cache of it
            alone = time.thread_time() - started
            started = time.thread_time()
            vectors = embedder.queries([message + "  ", *net.inputs(message)])
            net.judge(vectors, message)
            base.append(alone * 1000)
            added.append((time.thread_time() - started - alone) * 1000)
        print(f"{name}: {len(messages)} messages, encoding the message p50 {np.median(base):.1f} ms, "
              f"the net adds p50 {np.median(added):.1f} ms (p95 {np.percentile(added, 95):.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path(os.environ.get("PAINBOT_EVAL_DIR", "../shared/eval/dev")))
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--show", action="store_true", help="list the misses and false alarms")
    parser.add_argument("--latency", action="store_true", help="CPU time the net adds per message, by file")
    args = parser.parse_args()
    if args.latency:
        return latency(args.eval_dir)
    encode = Encoder(load_embedder(), args.cache)
    with tempfile.TemporaryDirectory() as folder:
        net = SemanticNet.load(encode, Path(folder))
    safety = Safety.load()
    history: dict[str, list[str]] = defaultdict(list)
    results = []
    for row in rows_of(args.eval_dir):
        message = normalize_input(row["question"])
        earlier = history[row["conversation"]][:] if row.get("conversation") else []
        vectors = encode.queries([message, *net.inputs(message, earlier)])
        verdict = net.judge(vectors, message, earlier)
        rules = safety.check(message, earlier[-RULES_MEMORY:])
        both = safety.check(message, earlier[-RULES_MEMORY:], verdict)
        results.append((row, verdict.fired, rules.category if rules else None, both.category if both else None))
        if row.get("conversation"):
            history[row["conversation"]].append(message)
    encode.save()
    report(results, args.show)


def _rates(items, which: int) -> str:
    pos = [r for r in items if r[0].get("expect_redflag") is True]
    neg = [r for r in items if r[0].get("expect_redflag") is False]
    other = [r for r in items if r[0].get("expect_redflag") is None]
    caught = [r for r in pos if r[which]]
    right = [r for r in caught if r[which] == r[0].get("category")]
    parts = []
    if pos:
        parts.append(f"recall {len(caught) / len(pos):.3f} ({len(caught)}/{len(pos)}), "
                     f"category {len(right) / max(len(caught), 1):.2f}")
    if neg:
        alarms = sum(bool(r[which]) for r in neg)
        parts.append(f"false alarms {alarms / len(neg):.3f} ({alarms}/{len(neg)})")
    if other:
        parts.append(f"fired on in-scope/other {sum(bool(r[which]) for r in other)}/{len(other)}")
    return "; ".join(parts)


def report(results, show: bool) -> None:
    layers = {1: "net", 2: "rules", 3: "both"}
    by_file = defaultdict(list)
    by_lang = defaultdict(list)
    for r in results:
        by_file[r[0]["file"]].append(r)
        if r[0]["file"] != "questions":
            by_lang[r[0].get("lang")].append(r)
    target = [r for r in results if r[0]["file"] in ("redflags", "redflags_hard")
              or (r[0]["file"] == "narratives" and r[0].get("group") in ("redflag", "hard_negative"))]
    print("## per file")
    for name, items in [*by_file.items(), ("TARGET redflags+hard+narratives", target)]:
        for which, layer in layers.items():
            print(f"{name:32} {layer:5} {_rates(items, which)}")
    print("## per language (all red-flag files)")
    for lang, items in sorted(by_lang.items(), key=lambda kv: str(kv[0])):
        for which, layer in layers.items():
            print(f"{lang!s:8} {layer:5} {_rates(items, which)}")
    only_net = [r for r in results if r[0].get("expect_redflag") is True and r[1] and not r[2]]
    net_alarms = [r for r in results if r[0].get("expect_redflag") is not True and r[1]]
    print(f"## escalations only the net catches: {len(only_net)}")
    for r in only_net:
        print(f"  {r[0]['id']} ({r[0].get('category')} -> {r[1]})")
    print(f"## net false alarms (negatives and in-scope rows): {len(net_alarms)}")
    for r in net_alarms:
        print(f"  {r[0]['id']} -> {r[1]}" + (f": {r[0]['question'][:100]}" if show else ""))
    if show:
        print("## missed by both")
        for r in results:
            if r[0].get("expect_redflag") is True and not r[3]:
                print(f"  {r[0]['id']} ({r[0].get('category')}) {r[0]['question'][:140]}")


if __name__ == "__main__":
    main()
