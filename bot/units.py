"""Quote units: what a reply can quote, cut from an article's segments (``bot.corpus.segments``).

A unit must read on its own, so it is one of: a sentence; a list together with its lead-in ("Kontakt lægen,
hvis du:" + the items); an exercise's steps (the first paragraph under an exercise heading); a sentence that
refers back ("Dette ...", "This ...") together with the sentence it refers to; a table row (its header is
already in the segment). Units keep their segments' ids, so a unit's translation is its segments'
translations joined the same way; segment text is never changed here, only formatted for display.

Cues (back-reference words, exercise headings) are per-language data in ``data/lang/<code>/roles.yaml``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot import yamlfile
from bot.config import DATA_DIR
from bot.corpus import SECTION_SEPARATOR, Document, Segment, segments
from bot.text import fold

UNIT_CUES = ("back_reference", "exercise_heading", "meta")  # the keys of lang/<code>/roles.yaml that cut units
MAX_JOINED = 3  # sentences in one back-reference chain; a longer run starts a new unit
_REFERENCE_MARK = re.compile(r"\s*\((?:\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\)")
_TABLE_CELL = re.compile(r"^[^·:]{1,80}: ")


@dataclass(frozen=True)
class Part:
    """One segment inside a unit, with what joins it to the previous part."""

    id: str
    sep: str
    prefix: str
    text: str


@dataclass(frozen=True)
class Unit:
    id: str  # f"{doc_id}:{first segment id}", stable while that segment's text stands
    doc_id: str
    language: str
    heading: str  # the ## heading
    subheading: str | None  # the ### heading in effect
    kind: str  # sentence | list | exercise | joined | table_row
    parts: tuple[Part, ...]

    @property
    def section(self) -> str:
        return self.heading + (SECTION_SEPARATOR + self.subheading if self.subheading else "")

    @property
    def segment_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parts)

    @property
    def text(self) -> str:
        """The unit as the article has it (reference marks and all)."""
        return join_parts(self.parts, [p.text for p in self.parts])

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(p.text for p in self.parts)


def join_parts(parts: Sequence[Part], texts: Sequence[str]) -> str:
    """Texts (the parts' own or their translations) joined with the parts' separators and list markers."""
    out = []
    for i, (part, text) in enumerate(zip(parts, texts, strict=True)):
        if i == 0:
            sep = ""
        elif part.prefix or part.sep == "\n":
            sep = "\n"  # list items and line-broken text stay on their own lines
        elif part.sep == "\n\n":
            sep = " "  # a sentence joined across a paragraph break reads on
        else:
            sep = part.sep
        out.append(sep + part.prefix + text)
    return "".join(out)


def display_text(text: str, kind: str) -> str:
    """What a reply shows: reference marks such as "(6,11,12)" dropped, a table row one cell per line."""
    text = _REFERENCE_MARK.sub("", text)
    if kind == "table_row":
        text = "\n".join(cell.strip() for cell in text.split(" · "))
    return text


@dataclass(frozen=True)
class UnitCues:
    back_reference: frozenset[str]  # first words that refer to the previous sentence
    exercise_heading: re.Pattern[str] | None  # a heading that introduces exercises
    meta: re.Pattern[str] | None  # a sentence about the article itself never joins the one before it

    @classmethod
    def load(cls, language: str, data_dir: Path = DATA_DIR) -> UnitCues:
        path = data_dir / "lang" / language / "roles.yaml"
        data = yamlfile.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
        data = data or {}
        exercise = [fold(c) for c in data.get("exercise_heading") or []]
        pattern = re.compile("|".join(re.escape(c) for c in exercise)) if exercise else None
        meta = [str(m) for m in data.get("meta") or []]
        meta_pattern = re.compile("|".join(f"(?:{m})" for m in meta)) if meta else None
        return cls(frozenset(str(w) for w in data.get("back_reference") or []), pattern, meta_pattern)


@cache
def unit_cues(language: str) -> UnitCues:
    return UnitCues.load(language)


def _first_word(text: str) -> str:
    match = re.match(r"[\"'“‘«(]*([^\s,.:;!?]+)", text)
    return match.group(1) if match else ""


def _is_table_row(seg: Segment) -> bool:
    cells = seg.text.split(" · ")
    return len(cells) > 1 and all(_TABLE_CELL.match(c) for c in cells)


def cut_units(doc: Document, cues: UnitCues | None = None) -> list[Unit]:
    """The document's quote units in reading order."""
    cues = cues or unit_cues(doc.language)
    segs = segments(doc)
    units: list[Unit] = []
    runs: list[list[Segment]] = []  # each unit's segments
    kinds: list[str] = []
    exercise_section: str | None = None  # a ## section whose (sub)sections' first paragraphs are steps
    scope: tuple[str, str | None] | None = None  # the (section, subheading) whose first paragraph is still due
    i = 0
    while i < len(segs):
        seg = segs[i]
        if seg.is_heading:
            cued = bool(cues.exercise_heading and cues.exercise_heading.search(fold(seg.text)))
            if seg.subheading is None:
                exercise_section = seg.section if cued else None
            scope = (seg.section, seg.subheading) if cued or exercise_section == seg.section else None
            i += 1
            continue
        if seg.prefix:  # a list: items and their continuation lines, with the sentence leading into it
            end = i + 1
            while end < len(segs) and not segs[end].is_heading and (segs[end].prefix or segs[end].sep != "\n\n"):
                end += 1
            lead = _lead_in(runs, kinds, segs, i)
            runs.append([*lead, *segs[i:end]])
            kinds.append("list")
            i = end
            continue
        if _is_table_row(seg):
            runs.append([seg])
            kinds.append("table_row")
            i += 1
            continue
        if scope == (seg.section, seg.subheading):
            end = i + 1
            while end < len(segs) and not segs[end].is_heading and not segs[end].prefix and segs[end].sep != "\n\n":
                end += 1
            runs.append(segs[i:end])
            kinds.append("exercise")
            scope = None
            i = end
            continue
        previous = runs[-1] if runs else None
        if (
            previous
            and _first_word(seg.text) in cues.back_reference
            and kinds[-1] in ("sentence", "joined")
            and len(previous) < MAX_JOINED
            and (previous[-1].section, previous[-1].subheading) == (seg.section, seg.subheading)
            and segs[i - 1] is previous[-1]
            and not (cues.meta and cues.meta.search(fold(seg.text)))
        ):
            previous.append(seg)
            kinds[-1] = "joined"
        else:
            runs.append([seg])
            kinds.append("sentence")
        i += 1
    for run, kind in zip(runs, kinds, strict=True):
        first = run[0]
        units.append(Unit(
            id=f"{doc.doc_id}:{first.id}", doc_id=doc.doc_id, language=doc.language, heading=first.section,
            subheading=run[-1].subheading, kind=kind,
            parts=tuple(Part(s.id, s.sep, s.prefix, s.text) for s in run),
        ))
    return units


def _lead_in(runs: list[list[Segment]], kinds: list[str], segs: list[Segment], i: int) -> list[Segment]:
    """The sentence just before a list, taken out of the units so far: a list reads as the answer to it."""
    if not runs or i == 0 or segs[i - 1].is_heading or kinds[-1] not in ("sentence", "joined"):
        return []
    previous = segs[i - 1]
    if runs[-1][-1] is not previous:
        return []
    run = runs[-1]
    if len(run) == 1:
        runs.pop()
        kinds.pop()
        return run
    run.pop()
    return [previous]
