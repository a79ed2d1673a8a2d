"""Batch throughput: a 100-question file answered by one whole `painbot batch` process (start-up, model and
index load included), with the process's peak resident memory.

    python -m benchmarks.throughput [--quick]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from benchmarks.common import dev_rows, painbot, read_jsonl, run_timed, spread, write_jsonl


def batch_rows(size: int) -> list[dict]:
    """Dev questions, then red-flag rows, the first `size` of them (single turns, no conversations)."""
    return dev_rows("questions", "redflags")[:size]


def run(quick: bool = False, runs: int | None = None, size: int = 100) -> dict:
    runs = runs or (2 if quick else 5)
    rows = batch_rows(size)
    seconds, memory, errors = [], [], []
    with tempfile.TemporaryDirectory(prefix="painbot-bench-batch-") as tmp:
        src = write_jsonl(Path(tmp) / "questions.jsonl", rows)
        out = Path(tmp) / "answers.jsonl"
        for _ in range(runs):
            command = painbot("batch", str(src), "-o", str(out), "--overwrite")
            timed = run_timed(command, timeout=600, sample_memory=True)
            answers = read_jsonl(out)
            if len(answers) != len(rows):
                raise RuntimeError(f"batch wrote {len(answers)} of {len(rows)} rows")
            errors = [a["error"] for a in answers if a.get("error")]
            seconds.append(timed.seconds)
            memory.append(timed.peak_rss_mb)
    wall = spread(seconds, 2)
    return {
        "questions": len(rows),
        "seconds": wall,
        "questions_per_s": round(len(rows) / wall["median"], 1),
        "peak_rss_mb": spread(memory, 0),
        "row_errors": len(errors),  # rows the bot could not answer (last run)
        "row_error_examples": errors[:3],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print(json.dumps(run(parser.parse_args().quick), indent=2))
