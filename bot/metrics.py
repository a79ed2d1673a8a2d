"""Quality metrics over batch answer rows, per row and aggregated, overall and per language.

Definitions agree with the evaluation script (../shared/eval/score.py) on the same rows, so a clinic's own
report and the project's scoreboard never disagree about a number; MRR is added. Expectations may come
from JSON (lists, booleans) or from CSV cells (a JSON list or alternatives separated by `|`; true/false,
yes/no, 1/0)."""

from __future__ import annotations

import contextlib
import json
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Metric:
    key: str
    description: str
    higher_is_better: bool = True
    aliases: tuple[str, ...] = ()
    rate: bool = True  # a share between 0 and 1 (else milliseconds)


METRICS: tuple[Metric, ...] = (
    Metric("hit@1", "an expected article is the first citation", aliases=("doc_hit@1",)),
    Metric("hit@3", "an expected article among the first 3 citations", aliases=("doc_hit@3",)),
    Metric("mrr", "mean reciprocal rank of the first expected article cited"),
    Metric("passage_hit@3", "an expected text in the reply or the first 3 cited passages"),
    Metric("answer_hit", "an expected text in what the reply quotes (what the user sees)"),
    Metric("answer_hit@1", "an expected text in the first quote the reply shows"),
    Metric("answered", "in-scope question answered (no abstention, no red flag)"),
    Metric("redflag_recall", "emergencies escalated"),
    Metric("redflag_false_alarm", "ordinary messages escalated", higher_is_better=False),
    Metric("category_acc", "emergencies escalated under the expected category", aliases=("redflag_category_acc",)),
    Metric("abstain_oos", "out-of-scope questions declined"),
    Metric("abstain_inscope", "in-scope messages wrongly declined", higher_is_better=False),
    Metric("language_acc", "reply language = the row's lang (nb/nn/no count as one)"),
    Metric("latency_p50_ms", "median reply time (ms)", higher_is_better=False, rate=False),
    Metric("latency_p95_ms", "95th percentile reply time (ms)", higher_is_better=False, rate=False),
)
BY_NAME: dict[str, Metric] = {name: m for m in METRICS for name in (m.key, *m.aliases)}
# Metrics that judge a single row (pass/fail); the others only exist in aggregate.
CHECKS = tuple(m.key for m in METRICS if m.rate and m.key != "mrr")
_NORWEGIAN = frozenset({"no", "nb", "nn"})
_CITATION_MARK = re.compile(r"\[\d+\]\s*$")


def as_list(value: Any) -> list[str]:
    """Expectation alternatives: a JSON list, or a CSV cell holding a JSON list or `a|b`."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        if isinstance(value, str):
            return [part.strip() for part in value.split("|") if part.strip()]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def as_bool(value: Any) -> bool | None:
    """True / False / None (no expectation), from JSON booleans or CSV cells."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text)


def language_ok(got: Any, want: str) -> bool:
    got = str(got or "").lower()
    want = want.lower()
    return got in _NORWEGIAN if want in _NORWEGIAN else got == want


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def shown_quotes(row: Row) -> list[str]:
    """What the reply quotes, in display order, folded: each quote's text with its original (a translated
    quote counts by either); for rows without ``quotes``, the reply's "> " lines up to each citation mark."""
    quotes = row.get("quotes")
    if isinstance(quotes, list) and quotes:
        shown = [q for q in quotes if isinstance(q, Mapping)]
        return [_norm(" ".join(str(q.get(k) or "") for k in ("text", "original"))) for q in shown]
    shown, current = [], []
    for line in str(row.get("answer") or "").splitlines():
        if line.startswith(">"):
            current.append(line.lstrip("> "))
            if _CITATION_MARK.search(line):
                shown.append(_norm(" ".join(current)))
                current = []
        elif current:
            shown.append(_norm(" ".join(current)))
            current = []
    if current:
        shown.append(_norm(" ".join(current)))
    return shown


def row_values(row: Row) -> dict[str, float]:
    """The value each applicable metric takes on this row (1.0 = the event happened); latency excluded."""
    citations = [c for c in row.get("citations") or [] if isinstance(c, Mapping)]
    cited = [c.get("doc_id") for c in citations]
    red_flag = row.get("red_flag") or None
    abstained = bool(row.get("abstained"))
    values: dict[str, float] = {}
    docs = as_list(row.get("expect_docs"))
    if docs:
        values["hit@1"] = float(bool(cited) and cited[0] in docs)
        values["hit@3"] = float(any(d in docs for d in cited[:3]))
        values["mrr"] = next((1 / rank for rank, d in enumerate(cited, 1) if d in docs), 0.0)
        texts = as_list(row.get("expect_text"))
        if texts:
            blob = _norm(" ".join([str(row.get("answer") or "")] + [str(c.get("text") or "") for c in citations[:3]]))
            values["passage_hit@3"] = float(any(_norm(t) in blob for t in texts))
            quotes = shown_quotes(row)
            values["answer_hit"] = float(any(_norm(t) in q for t in texts for q in quotes))
            values["answer_hit@1"] = float(any(_norm(t) in q for t in texts for q in quotes[:1]))
        values["answered"] = float(not abstained and not red_flag)
    expect_redflag = as_bool(row.get("expect_redflag"))
    if expect_redflag:
        category = row.get("category")
        values["redflag_recall"] = float(bool(red_flag))
        values["category_acc"] = float(bool(red_flag and category) and red_flag.get("category") == category)
    elif expect_redflag is False:
        values["redflag_false_alarm"] = float(bool(red_flag))
    if as_bool(row.get("expect_abstain")):
        values["abstain_oos"] = float(abstained and not red_flag)
    if docs or expect_redflag is False:
        values["abstain_inscope"] = float(abstained)
    if row.get("lang"):
        values["language_acc"] = float(language_ok(row.get("language"), str(row["lang"])))
    return values


def failed_checks(row: Row) -> list[str]:
    """The checks this row fails; a row that could not be read or answered fails as `error`."""
    failed = ["error"] if row.get("error") else []
    for key, value in row_values(row).items():
        if key in CHECKS and value != float(BY_NAME[key].higher_is_better):
            failed.append(key)
    return failed


@dataclass(frozen=True)
class Stat:
    value: float
    n: int  # rows the metric was measured on

    @property
    def hits(self) -> int:
        return round(self.value * self.n)


def summarize(rows: Sequence[Row]) -> dict[str, Stat]:
    """Every metric that at least one row measures, in METRICS order."""
    per_metric: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row_values(row).items():
            per_metric.setdefault(key, []).append(value)
    latencies = sorted(float(r["latency_ms"]) for r in rows if _is_number(r.get("latency_ms")))
    if latencies:
        per_metric["latency_p50_ms"] = [statistics.median(latencies)]
        per_metric["latency_p95_ms"] = [latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]]
    stats = {}
    for m in METRICS:
        values = per_metric.get(m.key)
        if values:
            n = len(values) if m.rate else len(latencies)
            stats[m.key] = Stat(sum(values) / len(values), n)
    return stats


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Report:
    rows: int
    errors: int
    overall: dict[str, Stat]
    by_language: dict[str, dict[str, Stat]]
    misses: dict[str, list[Any]] = field(default_factory=dict)  # check -> ids of the rows that failed it

    @property
    def measured(self) -> bool:
        """Whether any row carried an expectation (latency alone is not a quality measure)."""
        return any(BY_NAME[k].rate for k in self.overall)


def build_report(rows: Sequence[Row]) -> Report:
    languages: dict[str, list[Row]] = {}
    for row in rows:
        if row.get("lang"):
            languages.setdefault(str(row["lang"]), []).append(row)
    misses: dict[str, list[Any]] = {}
    for row in rows:
        for check in failed_checks(row):
            misses.setdefault(check, []).append(row.get("id"))
    order = ["error", *CHECKS]
    return Report(
        rows=len(rows),
        errors=sum(bool(r.get("error")) for r in rows),
        overall=summarize(rows),
        by_language={lang: summarize(group) for lang, group in languages.items()},
        misses={k: misses[k] for k in order if k in misses},
    )


def format_value(metric: Metric, stat: Stat | None) -> str:
    if stat is None:
        return "-"
    return f"{stat.value:.3f}" if metric.rate else f"{stat.value:.1f}"


def format_report(report: Report) -> str:
    """A plain-text table: metrics down, overall and each language across, then the misses by check."""
    langs = list(report.by_language)
    head = ["metric", "all", "n", *langs, ""]
    table = [head]
    for m in METRICS:
        stat = report.overall.get(m.key)
        if stat is None:
            continue
        count = f"{stat.hits}/{stat.n}" if m.rate and m.key != "mrr" else str(stat.n)
        cells = [format_value(m, report.by_language[lang].get(m.key)) for lang in langs]
        arrow = "" if m.higher_is_better else " (lower is better)"
        table.append([m.key, format_value(m, stat), count, *cells, m.description + arrow])
    widths = [max(len(r[i]) for r in table) for i in range(len(head) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in table]
    lines.insert(1, "-" * len(lines[0]))
    summary = f"{report.rows} rows"
    if report.errors:
        summary += f", {report.errors} could not be read or answered"
    lines.insert(0, summary)
    if not report.measured:
        lines.append("(no row carries expectations: expect_docs, expect_text, expect_redflag, expect_abstain, lang)")
    if report.misses:
        lines += ["", "misses:"]
        lines += [f"  {check} ({len(ids)}): {', '.join(map(str, ids))}" for check, ids in report.misses.items()]
    return "\n".join(line.rstrip() for line in lines)


@dataclass(frozen=True)
class Threshold:
    metric: Metric
    bound: float

    def met(self, stat: Stat | None) -> bool:
        if stat is None:
            return False
        return stat.value >= self.bound if self.metric.higher_is_better else stat.value <= self.bound

    def __str__(self) -> str:
        return f"{self.metric.key} {'>=' if self.metric.higher_is_better else '<='} {self.bound:g}"


def parse_threshold(spec: str, upper: bool) -> Threshold:
    """`METRIC=VALUE` for --fail-under (upper=False, higher-is-better metrics) or --fail-over (upper=True).

    The flag must match the metric's direction, so `--fail-under redflag_false_alarm=0.05` cannot be read
    the wrong way round."""
    name, sep, text = spec.partition("=")
    flag = "--fail-over" if upper else "--fail-under"
    if not sep:
        raise ValueError(f"{flag}: {spec!r} is not METRIC=VALUE")
    metric = BY_NAME.get(name.strip().lower())
    if metric is None:
        choices = ", ".join(m.key for m in METRICS if m.higher_is_better != upper)
        raise ValueError(f"{flag}: unknown metric {name!r} (choose from {choices})")
    if metric.higher_is_better == upper:
        other = "--fail-under" if upper else "--fail-over"
        better = "higher" if metric.higher_is_better else "lower"
        raise ValueError(f"{flag}: {metric.key} is better {better}; use {other} {metric.key}={text}")
    try:
        bound = float(text)
    except ValueError:
        raise ValueError(f"{flag}: {text!r} is not a number in {spec!r}") from None
    if metric.rate and not 0 <= bound <= 1:
        raise ValueError(f"{flag}: {metric.key} is a share between 0 and 1, not {text}")
    return Threshold(metric, bound)


def unmet(report: Report, thresholds: Iterable[Threshold]) -> list[str]:
    """One line per threshold the run does not meet; a metric no row measures does not meet it either."""
    problems = []
    for t in thresholds:
        stat = report.overall.get(t.metric.key)
        if stat is None:
            problems.append(f"{t}: not measured (no row carries the expectation it needs)")
        elif not t.met(stat):
            problems.append(f"{t}: got {format_value(t.metric, stat)}")
    return problems
