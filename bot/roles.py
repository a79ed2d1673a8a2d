"""Roles of quote units: which units answer, which are care advice, and which are never quoted (contents
lists, teasers, link text, the article's own question, study methods, references).

Rules come first from what a reviewer wrote next to the article (``corpus/<doc_id>.roles.yaml``: a unit named
by the start of its text, or a whole section), then from per-language cues (``data/lang/<code>/roles.yaml``)
and the article's own seek-care sections (front matter ``seek_care``). ``data/roles.yaml`` lists the roles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot import yamlfile
from bot.config import DATA_DIR
from bot.text import fold
from bot.units import Unit, display_text


def _patterns(items: list[str] | None) -> re.Pattern[str] | None:
    items = [str(i) for i in items or []]
    return re.compile("|".join(f"(?:{i})" for i in items)) if items else None


@dataclass(frozen=True)
class LanguageCues:
    meta: re.Pattern[str] | None
    study_method: re.Pattern[str] | None
    finding: re.Pattern[str] | None  # a study's result: a unit that reports one answers, whatever else it says
    reader_question: re.Pattern[str] | None
    seek_care: re.Pattern[str] | None
    warning_heading: re.Pattern[str] | None
    context: re.Pattern[str] | None
    features: dict[str, re.Pattern[str]]

    @classmethod
    def load(cls, path: Path) -> LanguageCues:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
        data = data or {}
        features = {name: re.compile(p) for name, p in (data.get("features") or {}).items()}
        return cls(*(_patterns(data.get(k)) for k in (
            "meta", "study_method", "finding", "reader_question", "seek_care", "warning_heading", "context")), features)


@dataclass(frozen=True)
class Overrides:
    """A reviewer's roles for one article."""

    sections: dict[str, str] = field(default_factory=dict)  # ## or ### heading -> role
    units: tuple[tuple[str, str], ...] = ()  # (start of the unit's text, role)

    @classmethod
    def load(cls, path: Path, known: set[str]) -> Overrides:
        if not path.is_file():
            return cls()
        data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
        sections = {str(k): str(v) for k, v in (data.get("sections") or {}).items()}
        units = tuple((str(u["starts"]), str(u["role"])) for u in data.get("units") or [])
        for role in [*sections.values(), *(r for _, r in units)]:
            if role not in known:
                raise ValueError(f"{path}: unknown role {role!r} (known: {', '.join(sorted(known))})")
        return cls(sections, units)


class RoleBook:
    def __init__(self, roles: dict[str, str], never_quoted: frozenset[str], short_words: int, care_fallback_doc: str,
                 cues: dict[str, LanguageCues], overrides: dict[str, Overrides], seek_care: dict[str, set[str]]):
        self.roles = roles
        self.never_quoted = never_quoted
        self.short_words = short_words
        self.care_fallback_doc = care_fallback_doc
        self.cues = cues
        self.overrides = overrides
        self.seek_care = seek_care  # doc_id -> the article's seek-care headings

    @classmethod
    def load(cls, corpus_dir: Path, seek_care: dict[str, set[str]], data_dir: Path = DATA_DIR) -> RoleBook:
        spec = yamlfile.safe_load((data_dir / "roles.yaml").read_text(encoding="utf-8"))
        known = set(spec["roles"])
        cues = {p.parent.name: LanguageCues.load(p) for p in sorted((data_dir / "lang").glob("*/roles.yaml"))}
        overrides = {d: Overrides.load(Path(corpus_dir) / f"{d}.roles.yaml", known) for d in seek_care}
        return cls(spec["roles"], frozenset(spec["never_quoted"]), int(spec["short_words"]),
                   str(spec["care_fallback_doc"]), cues, overrides, seek_care)

    def quotable(self, role: str) -> bool:
        return role not in self.never_quoted

    def features(self, unit: Unit, language: str | None = None) -> frozenset[str]:
        """Named features of the unit's text (a time span, sets and reps, footwear...), from language cues."""
        cues = self.cues.get(language or unit.language)
        if not cues:
            return frozenset()
        folded = fold(unit.text)
        return frozenset(name for name, pattern in cues.features.items() if pattern.search(folded))

    def role(self, unit: Unit) -> str:
        own = self.overrides.get(unit.doc_id, Overrides())
        for start, role in own.units:
            if unit.text.startswith(start):
                return role
        for heading in (unit.subheading, unit.heading):
            if heading in own.sections:
                return own.sections[heading]
        cues = self.cues.get(unit.language)
        if cues is None:
            return "answer"
        folded = fold(unit.text)
        first = fold(unit.parts[0].text)

        def hit(pattern: re.Pattern[str] | None, text: str = folded) -> bool:
            return bool(pattern and pattern.search(text))

        if hit(cues.meta):
            return "meta"
        if hit(cues.reader_question) or (unit.kind != "list" and unit.parts[0].text.rstrip().endswith("?")):
            return "reader_question"
        if hit(cues.study_method) and not hit(cues.finding):
            return "study_method"
        care_headings = self.seek_care.get(unit.doc_id, set())
        in_care = unit.heading in care_headings or unit.subheading in care_headings
        warning = any(hit(cues.warning_heading, fold(h)) for h in (unit.heading, unit.subheading) if h)
        if unit.kind == "list" and (hit(cues.seek_care, first) or (in_care and warning)):
            return "warning_signs"
        if len(display_text(unit.text, unit.kind).split()) <= self.short_words or hit(cues.context):
            return "context"
        if in_care and warning and unit.kind != "table_row":
            return "warning_signs"
        if hit(cues.seek_care) or (in_care and unit.kind == "table_row"):
            return "seek_care"
        return "answer"
