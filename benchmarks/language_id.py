"""The language-ID benchmark (benchmarks.langid) as one entry of `benchmarks.run`: it runs in its own process,
as on the command line, and its JSON report is kept whole."""

from __future__ import annotations

import json
import sys

from benchmarks.common import eval_dir, run_timed


def run(quick: bool = False, repeat: int | None = None) -> dict:
    repeat = repeat or (1 if quick else 3)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.langid",
        str(eval_dir() / "language.jsonl"),
        "--repeat",
        str(repeat),
        "--json",
    ]
    report = json.loads(run_timed(cmd, timeout=600).stdout.strip().splitlines()[-1])
    return {"repeat": repeat, **report}
