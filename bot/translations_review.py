"""The review page (`painbot translations review --html out.html`): per article and language, the original and
the translation side by side, segment by segment in reading order, each marked with what a reviewer must know
(unreviewed, reviewed by whom, stale, rejected for changed numbers, missing, omitted and why).

One self-contained HTML file (no scripts, no external resources); every text from the corpus is escaped."""

from __future__ import annotations

from html import escape

from bot.translations import CheckedFile, Translations

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:2em}
td,th{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f3f3f3}
tr.heading td{font-weight:600;background:#fafafa}
td.id{font:12px monospace;color:#666;white-space:nowrap}
.mark{font-size:12px;padding:.1em .4em;border-radius:3px;white-space:nowrap}
.ok{background:#dff3df}.unreviewed{background:#fff3c4}.stale,.rejected,.missing{background:#ffd6d6}
.omitted{background:#e6e6e6}
p.summary{color:#555}
"""


def _mark(kind: str, text: str) -> str:
    return f'<span class="mark {kind}">{escape(text)}</span>'


def _rows(checked: CheckedFile, translations: Translations) -> list[str]:
    report = checked.report
    entries = checked.file.entries
    stale, rejected = set(report.stale), set(report.figures)
    rows = []
    seen = set()
    for n, seg in enumerate(translations.segments[checked.file.doc_id], 1):
        entry = entries.get(seg.id)
        if seg.id in seen:
            continue
        seen.add(seg.id)
        if entry is None or (entry.text is None and not entry.omit):
            mark, shown = _mark("missing", "missing"), ""
        elif seg.id in stale:
            mark = _mark("stale", "stale: translated from an older sentence") + f"<br><s>{escape(entry.source)}</s>"
            shown = entry.text or ""
        elif entry.omit:
            mark, shown = _mark("omitted", f"omitted: {entry.omit}"), ""
        elif seg.id in rejected:
            mark, shown = _mark("rejected", "rejected: numbers/units differ"), entry.text or ""
        elif seg.id not in checked.valid:
            mark, shown = _mark("rejected", "rejected: see painbot translations check -v"), entry.text or ""
        elif entry.reviewed:
            mark, shown = _mark("ok", f"reviewed by {entry.reviewer} on {entry.reviewed_on}"), entry.text
        else:
            mark, shown = _mark("unreviewed", "unreviewed"), entry.text
        css = ' class="heading"' if seg.is_heading else ""
        rows.append(
            f"<tr{css}><td>{n}</td><td class=id>{escape(seg.id)}</td><td>{escape(seg.prefix + seg.text)}</td>"
            f"<td>{escape(seg.prefix + shown if shown else '')}</td><td>{mark}</td></tr>"
        )
    current = {s.id for s in translations.segments[checked.file.doc_id]}
    for entry in entries.values():
        if entry.id not in current:
            rows.append(
                f"<tr><td></td><td class=id>{escape(entry.id)}</td><td><s>{escape(entry.source)}</s></td>"
                f"<td>{escape(entry.text or '')}</td><td>{_mark('stale', 'stale: no longer in the article')}</td></tr>"
            )
    return rows


def review_html(translations: Translations, doc_id: str | None = None) -> str:
    """The whole page; ``doc_id`` limits it to one article."""
    parts = [
        "<!doctype html><html><head><meta charset=utf-8><title>painbot translations review</title>",
        f"<style>{_CSS}</style></head><body><h1>Translations review</h1>",
        "<p class=summary>Mark a reviewed segment in its file with <code>status: reviewed</code>, "
        "<code>reviewer</code> and <code>reviewed</code> (date), or run <code>painbot translations "
        "mark-reviewed FILE --reviewer NAME [--ids ...]</code>.</p>",
    ]
    parts += [f"<p class=summary>{escape(e)}</p>" for e in translations.load_errors]
    for checked in sorted(translations.checked, key=lambda c: c.file.name):
        if doc_id and checked.file.doc_id != doc_id:
            continue
        doc = translations.documents[checked.file.doc_id]
        f = checked.file
        parts.append(f'<h2 id="{escape(f.name)}">{escape(doc.title)} · {escape(doc.language)} → '
                     f"{escape(f.language)}</h2>")
        parts.append(f"<p class=summary>{escape(checked.report.line())} · translator {escape(f.translator)}, "
                     f"{escape(f.date)} · {escape(f.path.name)}</p>")
        parts.append("<table><tr><th>#</th><th>segment</th><th>original</th><th>translation</th><th>status</th></tr>")
        parts += _rows(checked, translations)
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
