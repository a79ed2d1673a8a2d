"""The review page (`painbot translations review --html out.html`): per article and language, the original and
the translation side by side, quote unit by quote unit in reading order (headings on rows of their own), marked
with what a reviewer must know (unreviewed, reviewed by whom, stale, rejected for changed numbers, missing,
omitted and why), with the segment ids a signature names.

One self-contained HTML file (no scripts, no external resources); every text from the corpus is escaped."""

from __future__ import annotations

from html import escape

from bot.corpus import Document, segments
from bot.translations import CheckedFile, Translations
from bot.units import Part, cut_units, join_parts

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
.note{font-style:italic}
p.summary{color:#555}
"""


def _mark(kind: str, text: str) -> str:
    return f'<span class="mark {kind}">{escape(text)}</span>'


def _html(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _segment_mark(seg_id: str, checked: CheckedFile) -> tuple[str, str]:
    """(mark html, translation shown) for one segment of the article."""
    entry = checked.file.entries.get(seg_id)
    if entry is None or (entry.text is None and not entry.omit):
        return _mark("missing", "missing"), ""
    if seg_id in checked.report.stale:
        older = f"<br><s>{escape(entry.source)}</s>"
        return _mark("stale", "stale: translated from an older sentence") + older, entry.text or ""
    if entry.omit:
        return _mark("omitted", f"omitted: {entry.omit}"), ""
    if seg_id in checked.report.figures:
        return _mark("rejected", "rejected: numbers/units differ"), entry.text or ""
    if seg_id not in checked.valid:
        return _mark("rejected", "rejected: see painbot translations check -v"), entry.text or ""
    note = f"<br><span class=note>note: {escape(entry.note)}</span>" if entry.note else ""
    if entry.reviewed:
        return _mark("ok", f"reviewed by {entry.reviewer} on {entry.reviewed_on}") + note, entry.text or ""
    return _mark("unreviewed", "unreviewed") + note, entry.text or ""


def _runs(doc: Document) -> list[tuple[bool, list[Part]]]:
    """The article in reading order as the review shows it: each heading, then each quote unit."""
    units = {u.parts[0].id: u for u in cut_units(doc)}
    runs: list[tuple[bool, list[Part]]] = []
    segs = segments(doc)
    i = 0
    while i < len(segs):
        seg = segs[i]
        unit = None if seg.is_heading else units.get(seg.id)
        if unit is not None and [s.id for s in segs[i:i + len(unit.parts)]] == list(unit.segment_ids):
            runs.append((False, list(unit.parts)))
            i += len(unit.parts)
            continue
        runs.append((seg.is_heading, [Part(seg.id, seg.sep, seg.prefix, seg.text)]))
        i += 1
    return runs


def _rows(checked: CheckedFile, translations: Translations) -> list[str]:
    doc = translations.documents[checked.file.doc_id]
    rows = []
    for n, (is_heading, parts) in enumerate(_runs(doc), 1):
        marks, texts = zip(*(_segment_mark(p.id, checked) for p in parts), strict=True)
        shown = join_parts(parts, [t or "…" for t in texts]) if any(texts) else ""
        css = ' class="heading"' if is_heading else ""
        ids = " ".join(p.id for p in parts)
        original = join_parts(parts, [p.text for p in parts])
        rows.append(
            f"<tr{css}><td>{n}</td><td class=id>{escape(ids)}</td><td>{_html(original)}</td>"
            f"<td>{_html(shown)}</td><td>{'<br>'.join(dict.fromkeys(marks))}</td></tr>"
        )
    current = {s.id for s in translations.segments[checked.file.doc_id]}
    for entry in checked.file.entries.values():
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
        parts.append("<table><tr><th>#</th><th>segments</th><th>original</th><th>translation</th><th>status</th></tr>")
        parts += _rows(checked, translations)
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
