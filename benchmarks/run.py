"""Run painbot's benchmarks and print one Markdown table: each DESIGN.md target, the measured figure, and
whether it is met, plus the figures without a target. Results go to benchmarks/results/latest.json and
latest.md (a run with --only or --quick writes partial.json / partial.md instead).

    python -m benchmarks.run [--only NAME ...] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.common import RESULTS_DIR, OtherCpu, painbot, run_timed, settings

# In this order: the timing-sensitive ones first, while the process is small and nothing else of ours runs.
BENCHMARKS = {
    "latency": "benchmarks.latency",
    "throughput": "benchmarks.throughput",
    "load": "benchmarks.load",
    "scale": "benchmarks.scale",
    "quality": "benchmarks.quality",
    "langid": "benchmarks.language_id",
}
BUSY = 0.10  # share of the CPU used by other processes above which the header warns


@dataclass(frozen=True)
class Row:
    metric: str
    target: str  # as DESIGN.md states it; "" for figures without a target
    measured: str
    n: str
    met: bool | None = None


def at_most(bound: float) -> Callable[[float], bool]:
    return lambda value: value <= bound


def at_least(bound: float) -> Callable[[float], bool]:
    return lambda value: value >= bound


def target_row(metric: str, target: str, value: float, check: Callable[[float], bool], shown: str, n: str) -> Row:
    return Row(metric, target, shown, n, bool(check(value)))


# -- rows per benchmark -------------------------------------------------------------------------------------
def latency_rows(r: dict) -> list[Row]:
    warm, cold, build = r["warm"], r["cold_ask"], r["index_build"]
    n = f"{warm['passes']} passes x {warm['questions']} questions"
    rows = [
        target_row(
            "one reply, warm, in-process: p50",
            "<= 20 ms",
            warm["p50_ms"]["median"],
            at_most(20),
            f"{warm['p50_ms']['median']:.1f} ms",
            n,
        ),
        target_row(
            "one reply, warm, in-process: p95",
            "<= 40 ms",
            warm["p95_ms"]["median"],
            at_most(40),
            f"{warm['p95_ms']['median']:.1f} ms",
            n,
        ),
    ]
    rows += [
        Row(f"  stage: {stage}", "", f"p50 {v['p50']:.2f} ms, p95 {v['p95']:.2f} ms", n)
        for stage, v in warm["stages_ms"].items()
    ]
    long = r.get("warm_narratives")
    if long and long["questions"]:
        ln = f"{long['passes']} passes x {long['questions']} narratives"
        for q, bound in (("p50", 40), ("p95", 80)):
            value = long[f"{q}_ms"]["median"]
            rows.append(target_row(f"one reply to a long message (narratives), warm: {q}", f"<= {bound} ms", value,
                                   at_most(bound), f"{value:.1f} ms", ln))
        rows += [
            Row(f"  stage: {stage}", "", f"p50 {v['p50']:.2f} ms, p95 {v['p95']:.2f} ms", ln)
            for stage, v in long["stages_ms"].items()
        ]
    rows.append(
        target_row(
            "`painbot ask` from a cold process, built index",
            "<= 1.5 s",
            cold["seconds"]["median"],
            at_most(1.5),
            f"{cold['seconds']['median']:.2f} s (max {cold['seconds']['max']:.2f})",
            f"{cold['seconds']['n']} runs",
        )
    )
    if build:
        rows.append(
            Row(
                "index build (`painbot build --force`), empty cache folder",
                "",
                f"{build['cold_seconds']:.1f} s ({build['cold_encoded']:,} texts encoded: {build['chunks']} chunks, "
                f"{build['sentences']} sentences, {build['unit_versions']} unit versions, the net's descriptions)",
                "1 run",
            )
        )
        rows.append(
            Row(
                "index rebuild, vectors kept from the first build",
                "",
                f"{build['seconds']['median']:.1f} s ({build['encoded']} texts encoded)",
                f"{build['seconds']['n']} runs",
            )
        )
    return rows


def throughput_rows(r: dict) -> list[Row]:
    s, n = r["seconds"], f"{r['seconds']['n']} runs"
    return [
        target_row(
            f"{r['questions']}-question batch, whole process",
            "<= 5 s",
            s["median"],
            at_most(5),
            f"{s['median']:.2f} s ({r['questions_per_s']} questions/s"
            + (f"; {r['row_errors']} rows failed)" if r["row_errors"] else ")"),
            n,
        ),
        Row("peak resident memory of a batch run", "", f"{r['peak_rss_mb']['median']:.0f} MB", n),
    ]


def load_rows(r: dict) -> list[Row]:
    rows: list[Row] = []
    for run in r["runs"]:
        rows += _load_rows_of(run)
    return rows


def _load_rows_of(r: dict) -> list[Row]:
    workers = f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}"
    worst = r.get("worst_request")
    rows = []
    if worst:
        w, alone = worst["worst_body"], worst["message_alone"]
        rows += [
            target_row(
                f"worst request the limits allow ({w['body_bytes'] // 1024} KB: 2,000-char message + "
                f"{worst['history_turns']} turns), {workers}: slowest of {sum(w['statuses'].values())}",
                "<= 1 s",
                w["max_wall_ms"],
                at_most(1000),
                f"{w['max_wall_ms']:.0f} ms (statuses {w['statuses']})",
                f"{sum(w['statuses'].values())} requests",
            ),
            target_row(
                f"worst request, {workers}: server CPU beyond the same message alone",
                "<= ~100 ms",
                worst["extra_cpu_ms"],
                at_most(100),
                f"{worst['extra_cpu_ms']:.0f} ms (median {w['median_cpu_ms']:.0f} vs {alone['median_cpu_ms']:.0f} ms)",
                f"{sum(w['statuses'].values())} requests each",
            ),
        ]
    closed = r["back_to_back"]
    n = f"{closed['requests']} requests in {closed['seconds']:.0f} s"
    what = f"HTTP API, {workers}, {r['clients']} clients back to back, {r['duration_s']:.0f} s"
    rows += [
        target_row(f"{what}: p95", "<= 250 ms", closed["p95_ms"], at_most(250), f"{closed['p95_ms']:.0f} ms", n),
        target_row(f"{what}: errors", "0", closed["errors"], at_most(0), str(closed["errors"]), n),
        Row(
            f"{what}: p50 / max, throughput",
            "",
            f"{closed['p50_ms']:.0f} ms / {closed['max_ms']:.0f} ms, {closed['requests_per_s']} requests/s",
            n,
        ),
    ]
    paced = r.get("paced")
    if paced:
        rows.append(
            Row(
                f"HTTP API, {workers}, {r['clients']} clients pausing ~{paced['think_time_s']:g} s between "
                "messages: p50 / p95 / max, errors",
                "",
                f"{paced['p50_ms']:.0f} / {paced['p95_ms']:.0f} / {paced['max_ms']:.0f} ms, "
                f"{paced['requests_per_s']} requests/s, {paced['errors']} errors",
                f"{paced['requests']} requests in {paced['seconds']:.0f} s",
            )
        )
    rows.append(
        target_row(
            f"resident memory while serving, {workers}: per worker (peak, under that load)",
            "<= 400 MB",
            r["server_rss_per_worker_mb"],
            at_most(400),
            f"{r['server_rss_per_worker_mb']} MB per worker; all processes {round(r['server_rss_peak_mb'])} MB "
            f"(idle {r['server_rss_idle_mb']} MB)",
            "sampled every 0.1 s + VmHWM",
        )
    )
    return rows


def scale_rows(r: dict) -> list[Row]:
    rows = []
    n = f"{r['queries']} queries x {r['passes']} passes"
    for row in r["rows"]:
        d, size = row["dense"], f"{row['chunks']:,} chunks"
        rows.append(
            Row(
                f"dense search p50 (k={r['k']}), {size}: flat / HNSW / IVF",
                "",
                f"{d['flat']['p50_ms']:.2f} / {d['hnsw']['p50_ms']:.2f} / {d['ivf']['p50_ms']:.2f} ms "
                f"(recall@10 HNSW {d['hnsw']['recall@10']:.3f}, IVF {d['ivf']['recall@10']:.3f}; build "
                f"{d['flat']['build_s']:.2f} / {d['hnsw']['build_s']:.1f} / {d['ivf']['build_s']:.1f} s; "
                f"{d['flat']['memory_mb']:.0f} / {d['hnsw']['memory_mb']:.0f} / "
                f"{d['ivf']['memory_mb']:.0f} MB)",
                n,
            )
        )
        b = row["bm25"]
        built = "" if b["build_measured"] else " extrapolated"
        rows.append(
            Row(
                f"BM25 query p50 / build, {size}; index in memory",
                "",
                f"{b['p50_ms']:.2f} ms / {b['build_s']:.1f} s{built}; {row['index_memory_mb']:,} MB "
                f"(flat; sentence vectors "
                f"{row['sentence_vectors']['memory_mb']:.0f} MB, BM25 {b['memory_mb']:.0f} MB)",
                n,
            )
        )
    rows.append(Row("index kind recommended", "", r["recommendation"]["text"], ""))
    return rows


def quality_rows(r: dict) -> list[Row]:
    o, n = r["overall"], r["n"]

    def count(key: str) -> str:
        return f"{round(o[key] * n[key])}/{n[key]}"

    spec = [
        ("doc hit@1 on the dev set", "hit@1", ">= 0.92", at_least(0.92)),
        ("passage hit@3 on the dev set", "passage_hit@3", ">= 0.90", at_least(0.90)),
        ("red-flag recall", "redflag_recall", "1.00", at_least(1.0)),
        ("red-flag false alarms", "redflag_false_alarm", "<= 0.05", at_most(0.05)),
        ("out-of-scope abstention", "abstain_oos", ">= 0.90", at_least(0.90)),
        ("in-scope wrongly abstained", "abstain_inscope", "<= 0.05", at_most(0.05)),
        ("language accuracy on the dev questions", "language_acc", ">= 0.98", at_least(0.98)),
    ]
    rows = [
        target_row(label, target, o[key], check, f"{o[key]:.3f}", count(key))
        for label, key, target, check in spec
        if key in o
    ]
    worst = r["min_language"]
    per_lang = ", ".join(
        f"{lang} {v['hit@1']:.2f}/{v['passage_hit@3']:.2f}"
        for lang, v in r["by_language"].items()
        if "hit@1" in v and "passage_hit@3" in v
    )
    rows.insert(
        2,
        target_row(
            "every language: doc hit@1 / passage hit@3",
            ">= 0.85",
            min(worst.values()),
            at_least(0.85),
            per_lang,
            f"{len(r['by_language'])} languages",
        ),
    )
    base, lead = r["baselines"], r["painbot_lead"]
    for name, s in base.items():
        ratio = "" if name == "painbot" else (f" (painbot x{lead[name]['hit@1']} / x{lead[name]['passage_hit@3']})")
        rows.append(
            Row(
                f"same {s['n']} questions, {name}: doc hit@1 / passage hit@3",
                "",
                f"{s['hit@1']:.3f} / {s['passage_hit@3']:.3f}{ratio}",
                f"{s['n']} questions",
            )
        )
    return rows


def langid_rows(r: dict) -> list[Row]:
    rows = []
    for name, m in r["methods"].items():
        rows.append(
            Row(
                f"language ID on short messages, {name}",
                "",
                f"{m['overall']:.3f} (da/nb confusions {m['da_nb_confusions']}, {m['per_call_ms']:.3f} ms/call)",
                f"{r['rows']} messages x {r['repeat']} passes",
            )
        )
    return rows


ROWS = {
    "latency": latency_rows,
    "throughput": throughput_rows,
    "load": load_rows,
    "scale": scale_rows,
    "quality": quality_rows,
    "langid": langid_rows,
}


# -- output -------------------------------------------------------------------------------------------------
def machine() -> dict:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        cpuinfo = ""
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    model = names[0] if names else "unknown CPU"
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def machine_line(m: dict) -> str:
    load = ", ".join(str(x) for x in m["load_average_at_start"])
    return f"{m['date']}; {m['cores']} cores, {m['cpu']}; Python {m['python']}; load average at start {load}"


def markdown_table(rows: list[Row]) -> str:
    lines = ["| metric | target (DESIGN.md) | measured | n | met? |", "|---|---|---|---|---|"]
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        cells = [row.metric, row.target or "-", row.measured, row.n, met]
        lines.append("| " + " | ".join(" ".join(c.split()).replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def details(results: dict) -> str:
    """The fuller tables behind the summary, for latest.md."""
    parts = []
    if "quality" in results and "error" not in results["quality"]:
        parts += [
            "## Dev-set report (`painbot batch --report`)",
            "",
            "```",
            results["quality"]["report_text"].rstrip(),
            "```",
        ]
    if "langid" in results and "error" not in results["langid"]:
        from benchmarks.langid import table

        parts += ["", "## Language identification", "", table(results["langid"])]
    return "\n".join(parts)


def ensure_index() -> str:
    """Build the index when it is not up to date; returns its build time, which changes if anything
    rebuilds it during the run (the corpus or glossary edited meanwhile): timings then include a build."""
    from bot.index import index_status

    status = index_status(settings())
    if not status.ok:
        print(f"benchmarks: index {status.reason}; building it first", file=sys.stderr)
        run_timed(painbot("build"), timeout=900)
    return index_built_at()


def index_built_at() -> str:
    from bot.index import read_manifest

    return str((read_manifest(settings()) or {}).get("built_at"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only these ({', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller sizes, for a quick look")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    info = machine()
    built_at = ensure_index()
    rebuilt: list[str] = []

    results: dict[str, dict] = {}
    durations: dict[str, float] = {}
    others: dict[str, float] = {}
    rows: list[Row] = []
    failed = False
    for name in names:
        print(f"benchmarks: {name} ...", file=sys.stderr, flush=True)
        started, cpu = time.perf_counter(), OtherCpu().start()
        try:
            results[name] = importlib.import_module(BENCHMARKS[name]).run(quick=args.quick)
            rows += ROWS[name](results[name])
        except Exception as exc:  # one broken benchmark must not cost the others' figures
            failed = True
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
            rows.append(Row(f"{name}: could not run", "", f"{type(exc).__name__}: {exc}"[:200], "", False))
            print(results[name]["traceback"], file=sys.stderr)
        durations[name] = round(time.perf_counter() - started, 1)
        others[name] = round(cpu.share(), 2)
        if index_built_at() != built_at:
            rebuilt.append(name)
            built_at = index_built_at()
        print(f"benchmarks: {name} done in {durations[name]:.0f} s", file=sys.stderr, flush=True)

    mode = "full" if not args.only and not args.quick else "partial"
    command = (
        "python -m benchmarks.run"
        + (f" --only {' '.join(args.only)}" if args.only else "")
        + (" --quick" if args.quick else "")
    )
    table = markdown_table(rows)
    header = (
        f"Machine: {machine_line(info)}\nCommand: `{command}` ({sum(durations.values()):.0f} s)\n"
        f"CPU used by other processes meanwhile: {', '.join(f'{k} {v:.0%}' for k, v in others.items())}"
    )
    if max(others.values(), default=0) > BUSY:
        header += " (a busy machine: timings are inflated)"
    if rebuilt:
        header += f"\nThe index was rebuilt during: {', '.join(rebuilt)} (the corpus or glossary changed meanwhile)"
    print(f"\n{header}\n\n{table}")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = "latest" if mode == "full" else "partial"
    payload = {
        "machine": info,
        "command": command,
        "mode": mode,
        "durations_s": durations,
        "cpu_share_of_other_processes": others,
        "index_rebuilt_during": rebuilt,
        "table": [asdict(r) for r in rows],
        "results": results,
    }
    (RESULTS_DIR / f"{stem}.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    md = f"# painbot benchmarks\n\n{header}\n\n{table}\n\n{details(results)}\n"
    (RESULTS_DIR / f"{stem}.md").write_text(md, encoding="utf-8")
    print(f"\nresults: {RESULTS_DIR / stem}.json, {RESULTS_DIR / stem}.md", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
