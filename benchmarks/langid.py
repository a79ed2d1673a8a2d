"""Language identification on labelled messages: langdetect alone, lingua restricted to the supported
varieties, and painbot's detector (markers + lingua + langdetect as the wide net).

    python -m benchmarks.langid [FILE.jsonl ...] [--repeat N] [--json]

Rows need ``question`` and ``lang``; each message is judged on its own (no conversation language).
nb and nn (and langdetect's "no") all count as Norwegian. Per-call time is the median over every call
of ``--repeat`` passes over the set; load time and memory come from a fresh interpreter that imports,
builds and answers one message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = Path("/work/shared/eval/dev/language.jsonl")
LANGS = ("sv", "da", "nb", "en")
NORWEGIAN = {"nb", "nn", "no"}
LINGUA_NAMES = ("SWEDISH", "DANISH", "BOKMAL", "NYNORSK", "ENGLISH")
LINGUA_CODES = {"SWEDISH": "sv", "DANISH": "da", "BOKMAL": "nb", "NYNORSK": "nn", "ENGLISH": "en"}

# Each method as source code, so that its load cost can be measured in a fresh interpreter too.
SETUP = {
    "langdetect": (
        "from langdetect import DetectorFactory, detect\n"
        "from langdetect.lang_detect_exception import LangDetectException\n"
        "DetectorFactory.seed = 0\n"
        "def guess(text):\n"
        "    try:\n"
        "        return detect(text)\n"
        "    except LangDetectException:\n"
        "        return 'und'\n"
    ),
    **{
        f"lingua ({mode} accuracy)": (
            "from lingua import Language, LanguageDetectorBuilder\n"
            f"_names = {LINGUA_NAMES!r}\n"
            "_b = LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in _names))\n"
            f"_d = (_b.with_low_accuracy_mode() if {mode == 'low'} else _b).build()\n"
            f"_codes = {LINGUA_CODES!r}\n"
            "def guess(text):\n"
            "    return _codes[_d.compute_language_confidence_values(text)[0].language.name]\n"
        )
        for mode in ("low", "high")
    },
    "painbot": (
        "from bot.language import LanguageDetector, _wide_net\n"
        "_d = LanguageDetector.load()\n"
        "def guess(text):\n"
        "    g = _d.detect(text)\n"
        "    return g.language if g.supported else g.detected\n"
        "def forget():  # time every call as a first sight of the message and its words\n"
        "    _wide_net.cache_clear()\n"
        "    _d._evidence.cache_clear()\n"
    ),
}

LOAD_PROBE = """
import json, re, time
def rss_kb():  # current resident memory; ru_maxrss would include the parent's, inherited across exec
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
before = rss_kb()
start = time.perf_counter()
{setup}
guess("jeg har ondt i hælen om morgenen")
seconds = time.perf_counter() - start
after = rss_kb()
print(json.dumps({{"load_s": seconds, "load_rss_mb": (after - before) / 1024}}))
"""


def norm(code: str) -> str:
    return "nb" if code in NORWEGIAN else code


def measure_load(setup: str) -> dict:
    probe = LOAD_PROBE.format(setup=setup)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_method(name: str, rows: list[dict], repeat: int) -> dict:
    scope: dict = {}
    exec(SETUP[name], scope)  # noqa: S102 - our own source above
    guess, forget = scope["guess"], scope.get("forget", lambda: None)
    guess("warm up")
    times, guesses = [], []
    for _ in range(repeat):
        forget()
        guesses = []
        for row in rows:
            start = time.perf_counter()
            guesses.append(guess(row["question"]))
            times.append(time.perf_counter() - start)
    total, right = Counter(), Counter()
    confusions = false_unsupported = 0
    misses = []
    for row, got in zip(rows, guesses, strict=True):
        want, got_n = norm(row["lang"]), norm(got)
        total[want] += 1
        right[want] += got_n == want
        confusions += {want, got_n} == {"da", "nb"}
        false_unsupported += got_n not in LANGS
        if got_n != want:
            misses.append(f'{row.get("id", "?")}:{got}')
    result = {
        "accuracy": {lang: right[lang] / total[lang] for lang in LANGS if total[lang]},
        "overall": sum(right.values()) / len(rows),
        "da_nb_confusions": confusions,
        "false_unsupported": false_unsupported,
        "per_call_ms": statistics.median(times) * 1000,
        "per_call_p95_ms": sorted(times)[int(0.95 * (len(times) - 1))] * 1000,
        "misses": misses,
    }
    return result | measure_load(SETUP[name])


def table(report: dict) -> str:
    head = ["method", *LANGS, "overall", "da/nb conf.", "false unsupp.", "ms/call p50", "p95", "load s",
            "load MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in report["methods"].items():
        cells = [name, *(f'{r["accuracy"].get(lang, 0):.3f}' for lang in LANGS), f'{r["overall"]:.3f}',
                 str(r["da_nb_confusions"]), str(r["false_unsupported"]), f'{r["per_call_ms"]:.3f}',
                 f'{r["per_call_p95_ms"]:.3f}',
                 f'{r["load_s"]:.2f}', f'{r["load_rss_mb"]:.0f}']
        lines.append("| " + " | ".join(cells) + " |")
    counts = ", ".join(f"{k} {v}" for k, v in report["rows_per_language"].items())
    misses = report["methods"]["painbot"]["misses"]
    lines.append(f"\n{report['rows']} rows ({counts}); painbot misses: {misses}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FILE])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for f in args.files for line in f.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    rows = [r for r in rows if r.get("lang") and r.get("question") is not None]
    report = {
        "rows": len(rows),
        "rows_per_language": dict(Counter(norm(r["lang"]) for r in rows)),
        "methods": {name: run_method(name, rows, args.repeat) for name in SETUP},
    }
    print(json.dumps(report, ensure_ascii=False) if args.json else table(report))
    return report


if __name__ == "__main__":
    main()
