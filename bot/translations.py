"""Stored translations of the articles, per segment: ``<corpus>/translations/<doc_id>.<lang>.yaml``.

A clinic commissions a translation once, a reviewer signs it, and replies quote it labelled with the language it
was translated from. Nothing is machine-translated at answer time. A translation is used only when it is valid:
its recorded ``source`` is still the article's sentence (else it is stale), it keeps every number, unit and
percent sign, and, in ``reviewed-only`` mode, a reviewer signed it. Otherwise the original is shown. Problems
are reported by :func:`check_corpus` (``painbot build``, ``painbot translations check``), never raised.

File format::

    doc_id: da-iskias          # the article
    language: en               # the translation's language
    source_language: da        # the article's language
    translator: ...
    date: 2026-12-07
    status: unreviewed         # default for entries: unreviewed | reviewed (then reviewer + reviewed are due)
    segments:
    - {id: 1654d63776f2, source: "<article sentence>", text: "<translation>"}
    - {id: ..., source: ..., omit: "<why it is left untranslated>"}
    - {id: ..., source: ..., text: ..., status: reviewed, reviewer: "<name>", reviewed: 2026-12-08}
    - {id: ..., source: ..., text: ..., note: "<a choice the reviewer should know about>"}
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from bot import yamlfile
from bot.config import DATA_DIR, LANGUAGES
from bot.corpus import Document, Segment, files_fingerprint, load_corpus, segments
from bot.units import Unit, join_parts

MODES = ("on", "reviewed-only", "off")
FOLDER = "translations"
HEADER_FIELDS = ("doc_id", "language", "source_language", "translator", "date", "status", "reviewer", "reviewed")
ENTRY_FIELDS = ("id", "source", "text", "omit", "status", "reviewer", "reviewed", "note")
STATUSES = ("unreviewed", "reviewed")

_DASHES = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-", "×": "x", "\u00a0": " ",
                         "\u202f": " ", "\u2009": " "})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown translations setting {mode!r}: use one of {', '.join(MODES)}")
    return mode


# ------------------------------------------------------------------------------------------------ files


@dataclass(frozen=True)
class Entry:
    id: str
    source: str
    text: str | None  # None: not translated yet, or omitted
    omit: str | None  # why the segment is left untranslated
    reviewed: bool
    reviewer: str | None
    reviewed_on: str | None
    note: str | None = None  # for the reviewer: a choice the translation makes, shown on the review page


@dataclass(frozen=True)
class TranslationFile:
    path: Path
    doc_id: str
    language: str
    source_language: str
    translator: str
    date: str
    entries: dict[str, Entry]  # by segment id, file order

    @property
    def name(self) -> str:
        return f"{self.doc_id}.{self.language}"


class TranslationFileError(ValueError):
    """A translation file that cannot be used at all; the message names the file and the field."""


def translation_paths(corpus_dir: Path) -> list[Path]:
    return sorted((Path(corpus_dir) / FOLDER).glob("*.yaml"))


def _date(value: object) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() if value not in (None, "") else None


def load_file(path: Path, problems: list[str] | None = None) -> TranslationFile:
    """One translation file; entry-level problems (unknown keys, duplicates, a reviewed entry without a
    reviewer) go to ``problems`` and the entry is read as well as it can be."""
    problems = problems if problems is not None else []
    try:
        data = yamlfile.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TranslationFileError(f"{path.name}: cannot read the file ({exc})") from exc
    if not isinstance(data, dict):
        raise TranslationFileError(f"{path.name}: must be a YAML mapping with a 'segments' list")
    unknown = [k for k in data if k not in (*HEADER_FIELDS, "segments")]
    if unknown:
        problems.append(f"unknown header field(s) {', '.join(map(str, unknown))}")
    header = {}
    for key in ("doc_id", "language", "source_language"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise TranslationFileError(f"{path.name}: header field {key!r} is missing or empty")
        header[key] = value.strip()
    if header["language"] not in LANGUAGES:
        raise TranslationFileError(f"{path.name}: language must be one of {', '.join(LANGUAGES)}")
    if path.name != f"{header['doc_id']}.{header['language']}.yaml":
        raise TranslationFileError(
            f"{path.name}: the file must be named {header['doc_id']}.{header['language']}.yaml"
        )
    status = data.get("status") or "unreviewed"
    if status not in STATUSES:
        problems.append(f"status {status!r} is not one of {', '.join(STATUSES)}; read as unreviewed")
        status = "unreviewed"
    items = data.get("segments")
    if not isinstance(items, list):
        raise TranslationFileError(f"{path.name}: 'segments' must be a list")
    entries: dict[str, Entry] = {}
    for number, item in enumerate(items, 1):
        entry = _entry(item, number, status, data, problems)
        if entry is None:
            continue
        if entry.id in entries:
            problems.append(f"segment {entry.id}: listed twice; the first is used")
            continue
        entries[entry.id] = entry
    return TranslationFile(
        path=Path(path), doc_id=header["doc_id"], language=header["language"],
        source_language=header["source_language"], translator=str(data.get("translator") or ""),
        date=_date(data.get("date")) or "", entries=entries,
    )


def _entry(item: object, number: int, default_status: str, header: dict, problems: list[str]) -> Entry | None:
    if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("source"), str):
        problems.append(f"entry {number}: needs 'id' and 'source'")
        return None
    seg = str(item["id"]).strip()
    unknown = [k for k in item if k not in ENTRY_FIELDS]
    if unknown:
        problems.append(f"segment {seg}: unknown field(s) {', '.join(map(str, unknown))}")
    text = item.get("text")
    text = text.strip() if isinstance(text, str) and text.strip() else None
    omit = item.get("omit")
    omit = str(omit).strip() if omit not in (None, "") else None
    if text and omit:
        problems.append(f"segment {seg}: has both 'text' and 'omit'; read as omitted")
        text = None
    status = item.get("status") or default_status
    reviewer = item.get("reviewer") or (header.get("reviewer") if status == default_status else None)
    reviewed_on = _date(item.get("reviewed") or (header.get("reviewed") if status == default_status else None))
    reviewed = status == "reviewed"
    if status not in STATUSES:
        problems.append(f"segment {seg}: status {status!r} is not one of {', '.join(STATUSES)}")
        reviewed = False
    if reviewed and not (reviewer and reviewed_on):
        problems.append(f"segment {seg}: marked reviewed without 'reviewer' and 'reviewed' date; read as unreviewed")
        reviewed = False
    note = str(item["note"]).strip() if item.get("note") else None
    return Entry(seg, item["source"], text, omit, reviewed, str(reviewer) if reviewer else None, reviewed_on, note)


# ----------------------------------------------------------------------------------------------- checks


@cache
def _checks() -> dict:
    return yamlfile.safe_load((DATA_DIR / "translation_checks.yaml").read_text(encoding="utf-8")) or {}


@cache
def checked_units() -> frozenset[str]:
    return frozenset(str(u).lower() for u in _checks().get("units") or [])


@cache
def _name_patterns(language: str) -> dict[str, re.Pattern[str]]:
    """Per drug, test or treatment: the pattern of its names in ``language`` (word starts)."""
    found = {}
    for name, by_language in (_checks().get("names") or {}).items():
        starts = by_language.get(language) or []
        if starts:
            found[name] = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(str(w)) for w in starts) + ")", re.IGNORECASE)
    return found


def names_dropped(source: str, source_language: str, text: str, language: str) -> list[str]:
    """The drug, test and treatment names the source sentence gives and the translation does not."""
    theirs, ours = _name_patterns(source_language), _name_patterns(language)
    return [n for n, p in theirs.items() if p.search(source) and n in ours and not ours[n].search(text)]


def figures(text: str) -> Counter:
    """What a translation must keep: every number (decimal comma = point), each number's unit if it has one
    from the list, and every percent sign."""
    text = text.translate(_DASHES)
    found: Counter = Counter()
    for match in _NUMBER.finditer(text):
        number = match.group().replace(",", ".")
        found[number] += 1
        after = re.match(r"\s?([^\W\d_]+|°)", text[match.end():])
        if after and after.group(1).lower() in checked_units():
            found[f"{number} {after.group(1).lower()}"] += 1
    if text.count("%"):
        found["%"] = text.count("%")
    return found


def figure_mismatch(source: str, text: str) -> str:
    """'' when the translation keeps the source's figures, else what differs ("-12 +21")."""
    want, got = figures(source), figures(text)
    if want == got:
        return ""
    lost = [f"-{k}" for k in sorted((want - got).elements())]
    added = [f"+{k}" for k in sorted((got - want).elements())]
    return " ".join(lost + added)


@dataclass
class FileReport:
    """What ``painbot build`` says about one translation file."""

    name: str  # "<doc_id>.<lang>"
    segments: int = 0
    translated: int = 0  # valid translations
    omitted: int = 0
    missing: list[str] = field(default_factory=list)  # segment ids without a translation
    stale: list[str] = field(default_factory=list)  # entries whose source is no longer the article's
    figures: list[str] = field(default_factory=list)  # segment ids rejected for changed numbers/units
    names: list[str] = field(default_factory=list)  # segment ids rejected for a dropped drug or test name
    headings: list[str] = field(default_factory=list)  # heading segment ids not translated
    unreviewed: int = 0
    problems: list[str] = field(default_factory=list)  # anything else wrong with the file or an entry
    details: list[str] = field(default_factory=list)  # one line per rejected entry, with its segment id

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.figures or self.names or self.headings or self.problems)

    def line(self) -> str:
        counts = f"{self.translated} translated, {self.omitted} omitted of {self.segments} segments"
        issues = [
            f"{len(v)} {k}" for k, v in (
                ("missing", self.missing), ("stale (original shown)", self.stale),
                ("changed numbers (original shown)", self.figures),
                ("dropped drug or test names (original shown)", self.names), ("untranslated headings", self.headings),
                ("other problems", self.problems),
            ) if v
        ]
        review = f"; {self.unreviewed} unreviewed" if self.unreviewed else "; all reviewed"
        return f"translations {self.name}: {counts}" + (f"; {', '.join(issues)}" if issues else "") + review


@dataclass
class CheckedFile:
    file: TranslationFile
    valid: dict[str, Entry]  # segment id -> entry whose text may be shown
    report: FileReport


def check_file(file: TranslationFile, doc: Document, doc_segments: Sequence[Segment]) -> CheckedFile:
    """Each entry against the article as it is now."""
    report = FileReport(file.name, segments=len({s.id for s in doc_segments}))
    if file.source_language != doc.language:
        report.problems.append(f"source_language {file.source_language} but the article is in {doc.language}")
    by_id = {s.id: s for s in doc_segments}
    valid: dict[str, Entry] = {}
    for entry in file.entries.values():
        seg = by_id.get(entry.id)
        if seg is None or seg.text != entry.source:
            report.stale.append(entry.id)
            why = "no longer in the article" if seg is None else "differs from the article's sentence"
            report.details.append(f"segment {entry.id}: stale, its recorded source {why}")
        elif entry.omit:
            report.omitted += 1
        elif entry.text is None:
            continue
        elif "\n" in entry.text:
            report.problems.append(f"segment {entry.id}: a translation is one line (the article's breaks are kept)")
        elif mismatch := figure_mismatch(entry.source, entry.text):
            report.figures.append(entry.id)
            report.details.append(f"segment {entry.id}: numbers/units differ from the source ({mismatch})")
        elif dropped := names_dropped(entry.source, doc.language, entry.text, file.language):
            report.names.append(entry.id)
            report.details.append(f"segment {entry.id}: drops the name of {', '.join(dropped)}")
        else:
            valid[entry.id] = entry
            report.unreviewed += not entry.reviewed
    report.translated = len(valid)
    answered = set(valid) | {e.id for e in file.entries.values() if e.omit and e.id in by_id}
    report.missing = [i for i in dict.fromkeys(s.id for s in doc_segments) if i not in answered]
    report.headings = [
        i for i in dict.fromkeys(s.id for s in doc_segments if s.is_heading) if i not in valid
    ]
    report.details += [f"segment {i}: not translated" for i in report.missing]
    report.details += [f"segment {i}: heading not translated" for i in report.headings]
    return CheckedFile(file, valid, report)


def expected_names(documents: Iterable[Document]) -> list[str]:
    """Every article in every other supported language: the translations a complete corpus ships."""
    return [f"{d.doc_id}.{lang}" for d in documents for lang in LANGUAGES if lang != d.language]


# ----------------------------------------------------------------------------------------------- lookup


@dataclass(frozen=True)
class Rendered:
    """A quote unit as shown to a user: ``text`` in ``language``; when it is a stored translation,
    ``original`` is the article's own text and ``translated_from`` the article's language."""

    text: str
    language: str
    original: str | None = None
    translated_from: str | None = None


@cache
def _labels(language: str) -> dict:
    path = DATA_DIR / "lang" / language / "translations.yaml"
    return yamlfile.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def label(language: str, source_language: str) -> str:
    """"translated from Danish", in the reader's language (falls back to English)."""
    data = _labels(language) or _labels("en")
    name = data["language_names"].get(source_language, source_language)
    return data["translated_from"].format(language=name)


class Translations:
    """The corpus's valid translations under one setting (on | reviewed-only | off)."""

    def __init__(self, documents: Sequence[Document], checked: Sequence[CheckedFile], mode: str = "on",
                 load_errors: Sequence[str] = ()):
        self.mode = check_mode(mode)
        self.documents = {d.doc_id: d for d in documents}
        self.segments = {d.doc_id: segments(d) for d in documents}
        self.checked = list(checked)
        self.load_errors = list(load_errors)
        self._text: dict[tuple[str, str], dict[str, str]] = {}
        if mode != "off":
            for c in checked:
                self._text[(c.file.doc_id, c.file.language)] = {
                    i: e.text for i, e in c.valid.items() if e.text and (e.reviewed or mode == "on")
                }

    @classmethod
    def load(cls, corpus_dir: Path, mode: str = "on", documents: Sequence[Document] | None = None) -> Translations:
        """Read and check every translation file of the corpus; unusable files are reported, not raised."""
        check_mode(mode)
        documents = list(documents) if documents is not None else load_corpus(corpus_dir)
        docs = {d.doc_id: d for d in documents}
        checked, errors = [], []
        for path in translation_paths(corpus_dir):
            problems: list[str] = []
            try:
                file = load_file(path, problems)
            except TranslationFileError as exc:
                errors.append(str(exc))
                continue
            doc = docs.get(file.doc_id)
            if doc is None:
                errors.append(f"{path.name}: no article {file.doc_id!r} in the corpus")
                continue
            result = check_file(file, doc, segments(doc))
            result.report.problems[:0] = problems
            checked.append(result)
        return cls(documents, checked, mode, errors)

    # -- reports ---------------------------------------------------------------------------------
    def reports(self) -> list[FileReport]:
        return [c.report for c in self.checked]

    def summary(self) -> list[str]:
        """Short lines for ``painbot build``: one per file, unusable files, translations not shipped."""
        lines = [r.line() for r in self.reports()]
        lines += [f"translations unusable: {e}" for e in self.load_errors]
        have = {r.name for r in self.reports()}
        absent = [n for n in expected_names(self.documents.values()) if n not in have]
        if absent:
            lines.append(f"translations not written yet: {', '.join(absent)}")
        if self.mode != "on":
            lines.append(f"translations setting: {self.mode}")
        return lines

    # -- lookup ----------------------------------------------------------------------------------
    def segment_texts(self, doc_id: str, ids: Sequence[str], language: str) -> list[str] | None:
        """The segments in ``language`` (the article's own text in its own language), or None when any of
        them has no valid translation under the setting."""
        doc = self.documents.get(doc_id)
        if doc is None:
            return None
        if language == doc.language:
            by_id = {s.id: s.text for s in self.segments[doc_id]}
            return [by_id[i] for i in ids] if all(i in by_id for i in ids) else None
        table = self._text.get((doc_id, language))
        if not table or any(i not in table for i in ids):
            return None
        return [table[i] for i in ids]

    def render_unit(self, unit: Unit, language: str) -> Rendered:
        """What a reply in ``language`` shows for a quote unit: its stored translation with the original
        kept, or the original when the unit is in that language already or not (validly) translated."""
        original = join_parts(unit.parts, [p.text for p in unit.parts])
        if language != unit.language:
            texts = self.segment_texts(unit.doc_id, [p.id for p in unit.parts], language)
            if texts is not None:
                return Rendered(join_parts(unit.parts, texts), language, original, unit.language)
        return Rendered(original, unit.language)

    def unit_versions(self, unit: Unit) -> dict[str, str]:
        """Every language version of a unit valid under the setting, the article's own first: what retrieval
        indexes (a hit on any version is a hit on the unit)."""
        ids = [p.id for p in unit.parts]
        out = {unit.language: join_parts(unit.parts, [p.text for p in unit.parts])}
        for lang in LANGUAGES:
            if lang != unit.language and (texts := self.segment_texts(unit.doc_id, ids, lang)) is not None:
                out[lang] = join_parts(unit.parts, texts)
        return out


def check_corpus(corpus_dir: Path, mode: str = "on") -> list[str]:
    """Summary lines of every translation file of the corpus (``painbot build``); never raises on content."""
    return Translations.load(corpus_dir, mode).summary()


def translations_fingerprint(corpus_dir: Path, mode: str) -> str:
    """Hash of the setting and every translation file: indexed language versions depend on both, so an edited
    translation or another setting makes the index stale."""
    return files_fingerprint(translation_paths(corpus_dir), check_mode(mode))
