"""Questions each quote unit answers, written next to the article (``<corpus>/asked/<doc_id>.yaml``).

A question and the line that answers it seldom share words or shape ("how long must I keep at it?" / "the
exercises are done twice a day for 12 weeks"), so a unit's own text is a weak guide to which unit answers. A
patient's question is much closer to other questions about the same point. The index keeps one vector per
stored question; retrieval scores a unit by its closest one (bot/retrieve.py). The questions are never shown.

File format: ``units:`` a list of ``{unit: <the unit's first segment id>, asked: {<language>: [questions]}}``;
``asked: {}`` marks a unit that answers nothing on its own. A unit whose text changed has a new id: its entry
is reported as unknown (``painbot build``) until it is rewritten. An article without a file (one just added)
is not held back: its units stand in with their own closeness to the question (bot/retrieve.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import yamlfile
from bot.config import LANGUAGES
from bot.corpus import files_fingerprint
from bot.units import Unit

FOLDER = "asked"


@dataclass(frozen=True)
class AskedQuestion:
    unit_index: int  # row in the index's units
    language: str
    text: str


def asked_paths(corpus_dir: Path) -> list[Path]:
    return sorted((Path(corpus_dir) / FOLDER).glob("*.yaml"))


def asked_documents(corpus_dir: Path) -> set[str]:
    """The articles whose units have their questions written (a file each)."""
    return {path.stem for path in asked_paths(corpus_dir)}


def load_asked(corpus_dir: Path, units: Sequence[Unit]) -> tuple[list[AskedQuestion], list[str]]:
    """Every stored question of the corpus's units, and a line per problem (an unknown unit, a bad entry)."""
    where = {unit.id: i for i, unit in enumerate(units)}
    questions: list[AskedQuestion] = []
    problems: list[str] = []
    for path in asked_paths(corpus_dir):
        doc_id = path.stem
        try:
            data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(f"{FOLDER}/{path.name}: unreadable ({type(exc).__name__})")
            continue
        entries = data.get("units") if isinstance(data, dict) else None
        for number, entry in enumerate(entries or [], 1):
            if not isinstance(entry, dict) or not isinstance(entry.get("asked", {}), dict):
                problems.append(f"{FOLDER}/{path.name}: entry {number} needs `unit` and an `asked` mapping")
                continue
            index = where.get(f"{doc_id}:{entry.get('unit')}")
            if index is None:
                problems.append(f"{FOLDER}/{path.name}: unit {entry.get('unit')} is not a unit of {doc_id}")
                continue
            for language, texts in (entry.get("asked") or {}).items():
                if language not in LANGUAGES or not isinstance(texts, list):
                    problems.append(f"{FOLDER}/{path.name}: unit {entry['unit']}: {language!r} is not a language")
                    continue
                questions += [AskedQuestion(index, language, str(t).strip()) for t in texts if str(t).strip()]
    return questions, problems


def asked_fingerprint(corpus_dir: Path) -> str:
    """Hash of every questions file: their vectors are in the index, so an edit makes it stale."""
    return files_fingerprint(asked_paths(corpus_dir))
