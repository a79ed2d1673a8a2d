"""The Reply object: one shape for the UI, the JSON API and batch output."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Kind = Literal["answer", "redflag", "out_of_scope", "invalid", "clarify"]  # clarify: welcome, thanks, a question back
Level = Literal["emergency", "urgent"]
Layer = Literal["rules", "semantic"]


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    publisher: str
    section: str
    source: str
    language: str
    score: float
    text: str


@dataclass(frozen=True)
class Quote:
    """One quoted unit as the reply shows it, in display order. ``original`` is the article's own text when
    ``text`` is a stored translation of it (``translated_from`` names the article's language)."""

    n: int  # the citation it belongs to
    text: str
    language: str
    role: str  # answer | seek_care | warning_signs | context
    doc_id: str
    unit_id: str
    original: str | None = None
    translated_from: str | None = None


@dataclass(frozen=True)
class PhoneNumber:
    number: str
    label: str


@dataclass(frozen=True)
class RedFlag:
    level: Level
    category: str
    matched: str
    numbers: tuple[PhoneNumber, ...] = ()
    layer: Layer = "rules"  # which safety layer raised it: the word rules or the semantic net


@dataclass
class Reply:
    language: str
    kind: Kind
    text: str
    red_flag: RedFlag | None = None
    citations: list[Citation] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    latency_ms: float = 0.0

    @property
    def abstained(self) -> bool:
        return self.kind in ("out_of_scope", "invalid")

    def to_dict(self) -> dict:
        """JSON-ready form, field order as documented."""
        return {
            "language": self.language,
            "kind": self.kind,
            "text": self.text,
            "red_flag": asdict(self.red_flag) if self.red_flag else None,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "quotes": [asdict(q) for q in self.quotes],
            "latency_ms": round(self.latency_ms, 2),
        }
