"""The batch report as one self-contained HTML page a clinician can open offline: metric table, a bar chart
per language, then every question with its reply, citations, red flag and pass/fail, misses first.

Every piece of text (questions, replies, article passages, ids) goes through `html.escape`, and the page's
Content-Security-Policy forbids scripts and external requests: a hostile question can neither run nor call
out."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.metrics import (
    BY_NAME,
    CHECKS,
    METRICS,
    Report,
    Stat,
    Threshold,
    as_bool,
    as_list,
    failed_checks,
    format_value,
    row_values,
)

_BAR_W, _LABEL_W, _ROW_H = 220, 150, 20
_CSP = "default-src 'none'; style-src 'unsafe-inline'"

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1a202c}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #cbd5e0}
table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #e2e8f0;text-align:right}
td:first-child,th:first-child,td.d{text-align:left}td.d{color:#4a5568}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.charts figure{margin:0}figcaption{font-weight:600}
article{border:1px solid #cbd5e0;border-left:6px solid #a0aec0;border-radius:4px;
padding:.6rem 1rem;margin:1rem 0}
article.fail{border-left-color:#c53030}article.pass{border-left-color:#2f855a}
.badge{font-weight:700;padding:0 .4rem;border-radius:3px;color:#fff;background:#718096}
.fail .badge{background:#c53030}.pass .badge{background:#2f855a}
.meta{color:#4a5568;font-size:.9rem}.question{font-weight:600;font-size:1.05rem}
.answer{white-space:pre-wrap;background:#f7fafc;padding:.5rem;border-radius:4px}
.redflag{background:#fff5f5;border:1px solid #feb2b2;padding:.3rem .5rem;border-radius:4px}
.error{color:#c53030;font-weight:600}blockquote{margin:.3rem 0 .3rem 1rem;color:#2d3748}
dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;font-size:.9rem}dt{color:#4a5568}dd{margin:0}
"""


def render(report: Report, rows: Sequence[Mapping[str, Any]], title: str, thresholds: Sequence[Threshold] = ()) -> str:
    failures = [failed_checks(row) for row in rows]
    order = sorted(range(len(rows)), key=lambda i: not failures[i])  # stable: misses first, then file order
    failed = sum(bool(f) for f in failures)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>painbot batch report: {_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>painbot batch report: {_e(title)}</h1>",
        f'<p class="meta">{stamp} · {report.rows} questions · {failed} with a miss · '
        f"{report.errors} could not be read or answered</p>",
        "<h2>Metrics</h2>",
        _metric_table(report),
        "<h2>By language</h2>",
        _charts(report, thresholds),
        "<h2>Misses</h2>",
        _misses(report, rows),
        "<h2>Questions (misses first)</h2>",
        *(_row(i, rows[i], failures[i]) for i in order),
        "</body></html>",
    ]
    return "\n".join(parts)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _metric_table(report: Report) -> str:
    if not report.overall:
        return "<p>No row carries expectations or timings.</p>"
    langs = list(report.by_language)
    head = "".join(f"<th>{_e(lang)}</th>" for lang in langs)
    lines = [f"<table><tr><th>metric</th><th>all</th><th>n</th>{head}<th></th></tr>"]
    for m in METRICS:
        stat = report.overall.get(m.key)
        if stat is None:
            continue
        count = f"{stat.hits}/{stat.n}" if m.rate and m.key != "mrr" else str(stat.n)
        cells = "".join(f"<td>{format_value(m, report.by_language[lang].get(m.key))}</td>" for lang in langs)
        note = "" if m.higher_is_better else " (lower is better)"
        lines.append(
            f"<tr><td>{_e(m.key)}</td><td><b>{format_value(m, stat)}</b></td><td>{count}</td>{cells}"
            f'<td class="d">{_e(m.description + note)}</td></tr>'
        )
    return "\n".join(lines) + "</table>"


def _charts(report: Report, thresholds: Sequence[Threshold]) -> str:
    groups = {"all": report.overall, **report.by_language}
    figures = [_chart(name, stats, thresholds) for name, stats in groups.items()]
    figures = [f for f in figures if f]
    return f'<div class="charts">{"".join(figures)}</div>' if figures else "<p>Nothing to chart.</p>"


def _chart(name: str, stats: Mapping[str, Stat], thresholds: Sequence[Threshold]) -> str:
    """Horizontal bars, one per share metric; a threshold from the command line shows as a tick."""
    bars = [(m, stats[m.key]) for m in METRICS if m.rate and m.key in stats]
    if not bars:
        return ""
    limits = {t.metric.key: t for t in thresholds}
    width, height = _LABEL_W + _BAR_W + 50, _ROW_H * len(bars) + 4
    shapes = []
    for k, (m, stat) in enumerate(bars):
        y = k * _ROW_H + 2
        colour = "#2b6cb0" if m.higher_is_better else "#b7791f"
        shapes += [
            f'<text x="{_LABEL_W - 6}" y="{y + 14}" text-anchor="end">{_e(m.key)}</text>',
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{_BAR_W}" height="{_ROW_H - 6}" fill="#edf2f7"/>',
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{stat.value * _BAR_W:.1f}" height="{_ROW_H - 6}" '
            f'fill="{colour}"/>',
            f'<text x="{_LABEL_W + _BAR_W + 6}" y="{y + 14}">{format_value(m, stat)}</text>',
        ]
        if t := limits.get(m.key):
            x = _LABEL_W + t.bound * _BAR_W
            tick = "#2f855a" if t.met(stat) else "#c53030"
            shapes.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + _ROW_H}" stroke="{tick}" '
                f'stroke-width="2"><title>{_e(t)}</title></line>'
            )
    label = f"{name}: share of rows, blue higher is better, amber lower is better"
    return (
        f"<figure><figcaption>{_e(name)}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_e(label)}" font-size="12" font-family="system-ui,sans-serif">{"".join(shapes)}</svg>'
        "</figure>"
    )


def _misses(report: Report, rows: Sequence[Mapping[str, Any]]) -> str:
    if not report.misses:
        return "<p>None.</p>"
    anchor = {}
    for i, row in enumerate(rows):
        anchor.setdefault(str(row.get("id")), i)
    items = []
    for check, ids in report.misses.items():
        links = ", ".join(f'<a href="#r{anchor[str(i)]}">{_e(i)}</a>' for i in ids)
        description = BY_NAME[check].description if check in BY_NAME else "the row could not be read or answered"
        items.append(f"<li><b>{_e(check)}</b> ({len(ids)}, {_e(description)}): {links}</li>")
    return f"<ul>{''.join(items)}</ul>"


def _row(i: int, row: Mapping[str, Any], failed: list[str]) -> str:
    checked = bool(failed) or any(key in CHECKS for key in row_values(row))
    status, badge = ("fail", "MISS") if failed else ("pass", "PASS") if checked else ("", "no expectations")
    meta = [f"id {_e(row.get('id'))}"]
    if row.get("conversation") not in (None, ""):
        meta.append(f"conversation {_e(row['conversation'])}")
    if row.get("lang"):
        meta.append(f"expected language {_e(row['lang'])}")
    for key, label in (("language", "replied in"), ("kind", "kind")):
        if row.get(key):
            meta.append(f"{label} {_e(row[key])}")
    if isinstance(row.get("latency_ms"), int | float):
        meta.append(f"{row['latency_ms']:.0f} ms")
    parts = [
        f'<article class="{status}" id="r{i}">',
        f'<div class="meta"><span class="badge">{badge}</span> {" · ".join(meta)}</div>',
    ]
    if failed:
        parts.append(f'<p class="error">missed: {_e(", ".join(failed))}</p>')
    parts.append(f'<p class="question">{_e(row.get("question", ""))}</p>')
    if row.get("error"):
        parts.append(f'<p class="error">{_e(row["error"])}</p>')
    if flag := row.get("red_flag"):
        level, category, matched = (_e(flag.get(k, "")) for k in ("level", "category", "matched"))
        parts.append(f'<p class="redflag">Red flag: <b>{level}</b> · {category} · matched “{matched}”</p>')
    if row.get("answer"):
        parts.append(f'<div class="answer">{_e(row["answer"])}</div>')
    parts.append(_citations(row.get("citations") or []))
    parts.append(_expectations(row))
    parts.append("</article>")
    return "\n".join(p for p in parts if p)


def _citations(citations: Sequence[Any]) -> str:
    items = []
    for c in citations:
        if not isinstance(c, Mapping):
            continue
        source = str(c.get("source") or "")
        link = (
            f'<a href="{_e(source)}" rel="noopener noreferrer">{_e(source)}</a>'
            if source.startswith(("https://", "http://"))
            else _e(source)
        )
        score = f" · score {c['score']:.2f}" if isinstance(c.get("score"), int | float) else ""
        n, title, section, doc_id, text, publisher = (
            _e(c.get(k, "")) for k in ("n", "title", "section", "doc_id", "text", "publisher")
        )
        summary = f'{title} · {section} <span class="meta">({doc_id}{score})</span>'
        body = f'<blockquote>{text}</blockquote><p class="meta">{publisher} · {link}</p>'
        items.append(f'<li value="{n}"><details><summary>{summary}</summary>{body}</details></li>')
    return f"<ol>{''.join(items)}</ol>" if items else ""


def _expected_category(row: Mapping[str, Any]) -> str:
    if not as_bool(row.get("expect_redflag")):
        return ""
    # As in the evaluation script, an emergency row without a category counts as a category miss.
    return str(row.get("category") or "none given (counts as a category miss)")


def _expectations(row: Mapping[str, Any]) -> str:
    shown = [
        ("expected articles", ", ".join(as_list(row.get("expect_docs")))),
        ("expected text", " | ".join(as_list(row.get("expect_text")))),
        ("expected red flag", {True: "yes", False: "no", None: ""}[as_bool(row.get("expect_redflag"))]),
        ("expected category", _expected_category(row)),
        ("expected to decline", "yes" if as_bool(row.get("expect_abstain")) else ""),
    ]
    items = "".join(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in shown if value)
    return f"<dl>{items}</dl>" if items else ""
