"""Reply composition: fixed frames per language (data/lang/<code>/templates.yaml) around quote units.

The units shown are the ones that answer what was asked: retrieval scores them, the question's intent adds
its preferences (data/answer_intents.yaml: a duration question wants a unit with a time span, a danger
question the warning signs), and a relevance floor keeps filler out. Units whose role is never quoted
(contents lists, teasers, link text, the article's own question, study methods) are never shown. When no
unit has what the intent asks for, the reply says the sources do not say it. The condition's own care advice
closes the reply, cited. Nothing here writes medical text of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot import yamlfile
from bot.config import DATA_DIR
from bot.index import Index
from bot.reply import Citation, Quote
from bot.retrieve import Hit, Query
from bot.roles import RoleBook
from bot.text import fold
from bot.translations import Translations, label
from bot.units import display_text

MAX_QUOTES = 4
MIN_QUOTES = 2
# A unit this far below the best one is filler, not an answer. (The scores hold the closest stored question's
# cosine, which spreads the best unit from the rest: a narrower floor left a two-part question one quote.)
FLOOR = 0.10
SECOND_FLOOR = 0.16  # ... but the second quote may come from this far, when there is no closer one
CONTEXT_PENALTY = 0.05  # a context unit says little on its own
CARE_ROLES = ("seek_care", "warning_signs")
MAX_CARE = 2  # care-advice units among a reply's quotes: they leave room for the answer
# Order: how closely the unit itself says what was asked counts this much more than the standing of the passage
# around it (retrieval's score already holds both): the article is chosen by its passages, the lines by their own.
UNIT_WEIGHT = 4.0
ASKED_WEIGHT = 4.0  # ... and how closely it matches a question the unit is known to answer (bot/asked.py)
LEAD_FLOOR = 0.05  # a unit with what the intent asks for leads when its retrieval score is this close to the best


def load_templates(data_dir: Path = DATA_DIR) -> dict[str, dict]:
    return {
        path.parent.name: yamlfile.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((data_dir / "lang").glob("*/templates.yaml"))
    }


@dataclass(frozen=True)
class IntentPreference:
    roles: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, float] = field(default_factory=dict)
    features: dict[str, float] = field(default_factory=dict)
    requires: str | None = None
    leads: str | None = None  # a feature or kind (exercise) whose best relevant unit leads the reply
    care: str | None = None  # "first" or "next": where the care advice stands among the answers


def load_intents(path: Path = DATA_DIR / "answer_intents.yaml") -> dict[str, IntentPreference]:
    data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: IntentPreference(**(spec or {})) for name, spec in data.items()}


@dataclass(frozen=True)
class Composed:
    text: str
    citations: list[Citation]
    quotes: list[Quote]


@dataclass(frozen=True)
class _Pick:
    unit_index: int
    score: float
    hit: Hit | None


class Composer:
    def __init__(self, index: Index, templates: dict[str, dict], roles: RoleBook,
                 intents: dict[str, IntentPreference], translations: Translations | None = None):
        self.index = index
        self.templates = templates
        self.rolebook = roles
        self.intents = intents
        self.translations = translations
        self.roles = [roles.role(u) for u in index.units]
        self.features = [roles.features(u) for u in index.units]
        self._keys: dict[tuple[int, str], str] = {}
        self.units_of_doc: dict[str, list[int]] = {}
        for i, unit in enumerate(index.units):
            self.units_of_doc.setdefault(unit.doc_id, []).append(i)

    def t(self, language: str) -> dict:
        return self.templates.get(language) or self.templates["en"]

    # -- choice ----------------------------------------------------------------------------------
    def bonus(self, i: int, prefs: IntentPreference) -> float:
        unit = self.index.units[i]
        value = prefs.roles.get(self.roles[i], 0.0) + prefs.kinds.get(unit.kind, 0.0)
        value += sum(prefs.features.get(f, 0.0) for f in self.features[i])
        return value - (CONTEXT_PENALTY if self.roles[i] == "context" else 0.0)

    def has(self, i: int, name: str) -> bool:
        """Whether the unit has a feature (data/lang/<code>/roles.yaml) or is of a kind (bot/units.py) by that name."""
        return name in self.features[i] or self.index.units[i].kind == name

    def key(self, i: int, language: str) -> str:
        """How a unit is recognised in an earlier reply in ``language``: the start of its first line as shown."""
        if (i, language) not in self._keys:
            unit = self.index.units[i]
            text = unit.parts[0].text
            if self.translations is not None:
                text = self.translations.render_unit(unit, language).text.split("\n")[0]
            self._keys[i, language] = fold(display_text(text, unit.kind))[:60]
        return self._keys[i, language]

    def shown_before(self, i: int, earlier_replies: Sequence[str], language: str) -> bool:
        """``earlier_replies`` folded (bot.text.fold)."""
        return any(self.key(i, language) in reply or self.key(i, self.index.units[i].language) in reply
                   for reply in earlier_replies)

    def care_units(self, doc_id: str) -> list[int]:
        """The article's own care advice, else the fallback article's."""
        own = [i for i in self.units_of_doc.get(doc_id, []) if self.roles[i] in CARE_ROLES]
        if own:
            return own
        fallback = self.rolebook.care_fallback_doc
        return [i for i in self.units_of_doc.get(fallback, []) if self.roles[i] in CARE_ROLES]

    def choose(self, hits: Sequence[Hit], vector: np.ndarray, intent: str, language: str,
               earlier_replies: Sequence[str] = ()) -> tuple[list[_Pick], _Pick | None]:
        """The quotes in display order, and the care advice to close with (None when a quote is care advice)."""
        prefs = self.intents.get(intent) or IntentPreference()
        picks: dict[int, _Pick] = {}
        for hit in hits:
            i = hit.unit_index
            if i in picks or not self.rolebook.quotable(self.roles[i]):
                continue
            if self.shown_before(i, earlier_replies, language):
                continue
            own = UNIT_WEIGHT * hit.unit_dense + ASKED_WEIGHT * hit.unit_asked
            picks[i] = _Pick(i, hit.score + own + self.bonus(i, prefs), hit)
        ranked = sorted(picks.values(), key=lambda p: -p.score)
        # The best unit that has what the question asks for (a time span, sets and reps, an exercise's steps)
        # leads, when it is relevant enough to be quoted at all (the floor below).
        wanted = prefs.leads or prefs.requires
        top = max((p.hit.score for p in ranked if p.hit), default=0.0)
        lead = next((p for p in ranked if wanted and self.has(p.unit_index, wanted)
                     and p.hit and p.hit.score >= top - LEAD_FLOOR), None)
        if lead:
            ranked = [lead, *(p for p in ranked if p is not lead)]
        if prefs.care and ranked:
            care = self.best_care(ranked[0], vector, earlier_replies, language)
            if care and care.unit_index not in picks:
                lift = self.bonus(care.unit_index, prefs) if prefs.care == "first" else 0.0
                care = _Pick(care.unit_index, ranked[0].score + lift, None)
                ranked = sorted([*ranked, care], key=lambda p: -p.score)
        chosen: list[_Pick] = []
        best = max((p.hit.score for p in ranked if p.hit), default=0.0)
        seen: set[str] = set()
        for pick in ranked:
            if len(chosen) == MAX_QUOTES:
                break
            limit = FLOOR if len(chosen) >= MIN_QUOTES else SECOND_FLOOR
            if pick.hit and best and pick.hit.score < best - limit:
                continue  # the floor is on relevance, before the intent's preferences
            key = fold(display_text(self.index.units[pick.unit_index].text, "sentence"))
            if key in seen:
                continue
            if self.roles[pick.unit_index] in CARE_ROLES and sum(
                    self.roles[p.unit_index] in CARE_ROLES for p in chosen) >= MAX_CARE:
                continue  # care advice leaves room for the answer
            seen.add(key)
            chosen.append(pick)
        if not prefs.care:  # care advice the question did not ask for closes the reply, after the answer
            chosen.sort(key=lambda p: self.roles[p.unit_index] in CARE_ROLES)
        if any(self.roles[p.unit_index] in CARE_ROLES for p in chosen) or not chosen:
            return chosen, None
        return chosen, self.best_care(chosen[0], vector, earlier_replies, language)

    def best_care(self, top: _Pick, vector: np.ndarray, earlier_replies: Sequence[str],
                  language: str) -> _Pick | None:
        doc_id = self.index.units[top.unit_index].doc_id
        candidates = [i for i in self.care_units(doc_id)
                      if not self.shown_before(i, earlier_replies, language)]
        if not candidates:
            return None
        rows = np.isin(self.index.unit_of_row, candidates)
        sims = np.full(len(self.index.units), -1.0)
        np.maximum.at(sims, self.index.unit_of_row[rows], self.index.unit_vectors[rows] @ vector)
        best = max(candidates, key=lambda i: sims[i])
        return _Pick(best, float(sims[best]), None)

    def answered(self, chosen: Sequence[_Pick], intent: str) -> bool:
        """Whether a chosen unit has what the intent asks for (always, for intents that ask for nothing)."""
        wanted = (self.intents.get(intent) or IntentPreference()).requires
        return not wanted or any(wanted in self.features[p.unit_index] for p in chosen)

    # -- reply -----------------------------------------------------------------------------------
    def answer(self, query: Query, hits: Sequence[Hit], vector: np.ndarray, language: str,
               intent: str = "general", note: str = "", earlier_replies: Sequence[str] = ()) -> Composed:
        """``vector``: the question's vector (the first row when several are given)."""
        vector = np.atleast_2d(vector)[0]
        t = self.t(language)
        chosen, care = self.choose(hits, vector, intent, language, [fold(r) for r in earlier_replies])
        citations: list[Citation] = []
        numbers: dict[int, int] = {}  # chunk row -> citation number
        shown = [*((p, False) for p in chosen), *([(care, True)] if care else [])]
        # Sources are numbered by how well they answer: the article retrieval found is [1] even when the care
        # advice quoted first comes from the leg-pain article.
        for pick, _ in sorted(shown, key=lambda x: (x[0].hit is None, -(x[0].hit.score if x[0].hit else 0.0))):
            self.cite(pick, citations, numbers)
        quotes = [self.quote(pick, language, numbers, is_care) for pick, is_care in shown]
        lines = [note] if note else []
        answered = not chosen or self.answered(chosen, intent)
        lines += [t["answer_intro"] if answered else t["not_in_sources"][intent], ""]
        for quote in quotes:
            if quote is quotes[-1] and care:
                title = self.index.documents[quote.doc_id].title
                lines.append(t["seek_care_heading"].format(title=title))
            lines += self.quote_lines(quote, language)
            lines.append("")
        lines.append(t["sources_heading"])
        for c in citations:
            line = f"[{c.n}] **{c.title}** ({c.publisher}) · {c.section}"
            if c.language != language:
                line += " " + t["source_language_note"].format(language=t["language_names"][c.language])
            lines.append(line)
        lines += ["", f"_{t['disclaimer']}_"]
        return Composed("\n".join(lines), citations, quotes)

    def cite(self, pick: _Pick, citations: list[Citation], numbers: dict[int, int]) -> None:
        row = int(self.index.unit_chunk[pick.unit_index])
        if row not in numbers:
            numbers[row] = len(citations) + 1
            citations.append(self.citation(numbers[row], row, pick.score))

    def quote(self, pick: _Pick, language: str, numbers: dict[int, int], is_care: bool) -> Quote:
        i = pick.unit_index
        unit = self.index.units[i]
        role = self.roles[i]
        if is_care and role not in CARE_ROLES:
            role = "seek_care"
        text, original, source = unit.text, None, None
        if self.translations is not None:
            rendered = self.translations.render_unit(unit, language)
            text, original, source = rendered.text, rendered.original, rendered.translated_from
        shown_language = language if source else unit.language
        return Quote(
            n=numbers[int(self.index.unit_chunk[i])], text=display_text(text, unit.kind), language=shown_language,
            role=role, doc_id=unit.doc_id, unit_id=unit.id,
            original=display_text(original, unit.kind) if original else None, translated_from=source,
        )

    def quote_lines(self, quote: Quote, language: str) -> list[str]:
        lines = quote.text.split("\n")
        lines[-1] += f" [{quote.n}]"
        out = [f"> {line}" for line in lines]
        if quote.translated_from:
            out.append(f"_{label(language, quote.translated_from)}_")
        return out

    def citation(self, n: int, row: int, score: float) -> Citation:
        chunk = self.index.chunks[row]
        doc = self.index.documents[chunk.doc_id]
        return Citation(
            n=n, doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, section=chunk.section,
            source=doc.source, language=doc.language, score=round(score, 4), text=chunk.text,
        )

    def out_of_scope(self, language: str, note: str = "") -> str:
        return "\n\n".join(x for x in (note, self.t(language)["out_of_scope"]) if x)

    def invalid(self, problem: str, language: str, **values: object) -> str:
        return self.t(language)["invalid"][problem].format(**values)

    def unsupported_note(self, language: str) -> str:
        return self.t(language)["unsupported_language"]
