"""Reply composition: fixed frames per language (data/lang/<code>/templates.yaml) around sentences quoted
verbatim from the retrieved passages. Nothing here writes medical text of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.config import DATA_DIR
from bot.corpus import SECTION_SEPARATOR
from bot.index import Index
from bot.reply import Citation
from bot.retrieve import Hit, Query
from bot.text import fold

TOP_SENTENCES = 2  # quoted from the best passage
OTHER_SENTENCES = 1  # quoted from each further passage
KEYWORD_BONUS = 0.03  # per query term a sentence contains, on top of its cosine
MAX_BONUS = 0.09


def load_templates(data_dir: Path = DATA_DIR) -> dict[str, dict]:
    return {
        path.parent.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((data_dir / "lang").glob("*/templates.yaml"))
    }


@dataclass(frozen=True)
class Quote:
    n: int
    sentence: str


class Composer:
    def __init__(self, index: Index, templates: dict[str, dict]):
        self.index = index
        self.templates = templates
        # (doc, section) -> its subsections' headings, in article order: a cited section introduction
        # ("8 principles for rehabilitation") is followed by the list the question is usually after.
        self.subsections: dict[tuple[str, str], list[str]] = {}
        for chunk in index.chunks:
            parent, separator, child = chunk.section.partition(SECTION_SEPARATOR)
            if separator:
                items = self.subsections.setdefault((chunk.doc_id, parent), [])
                if child not in items:
                    items.append(child)

    def t(self, language: str) -> dict:
        return self.templates.get(language) or self.templates["en"]

    # -- sentence choice -------------------------------------------------------------------------
    def _keys(self, query: Query) -> list[str]:
        """Folded words and glossary terms of the question, cut to a stem-like prefix."""
        words = fold(f"{query.text} {' '.join(query.expansion)}").split()
        return list(dict.fromkeys(w[:6] for w in words if len(w) >= 4))

    def best_sentences(self, hit: Hit, query: Query, vector: np.ndarray, count: int) -> list[str]:
        """The ``count`` sentences of the passage closest to the question, in the passage's own order."""
        start, end = self.index.sentence_offsets[hit.row], self.index.sentence_offsets[hit.row + 1]
        sentences = hit.chunk.sentences
        if not sentences:
            return []
        scores = self.index.sentence_vectors[start:end] @ vector
        keys = self._keys(query)
        for i, sentence in enumerate(sentences):
            folded = fold(sentence)
            scores[i] += min(MAX_BONUS, KEYWORD_BONUS * sum(k in folded for k in keys))
            if sentence.rstrip().endswith("?"):
                scores[i] -= 1.0  # an article's own question (FAQ heading, reader's letter) answers nothing
        chosen = sorted(np.argsort(-scores)[:count])
        return [sentences[i] for i in chosen]

    # -- replies ---------------------------------------------------------------------------------
    def citation(self, n: int, hit: Hit) -> Citation:
        doc = self.index.documents[hit.chunk.doc_id]
        return Citation(
            n=n, doc_id=doc.doc_id, title=doc.title, publisher=doc.publisher, section=hit.chunk.section,
            source=doc.source, language=doc.language, score=round(hit.score, 4), text=hit.chunk.text,
        )

    def answer(
        self, query: Query, hits: Sequence[Hit], vectors: np.ndarray, language: str, note: str = ""
    ) -> tuple[str, list[Citation]]:
        """``vectors``: the whole message's query vector, then one per part; each passage's sentences are
        chosen by the query that found it."""
        t = self.t(language)
        citations = [self.citation(n, hit) for n, hit in enumerate(hits, 1)]
        quotes: dict[str, list[Quote]] = {}
        sections: dict[str, list[str]] = {}
        for n, hit in enumerate(hits, 1):
            count = TOP_SENTENCES if n == 1 else OTHER_SENTENCES
            quotes.setdefault(hit.chunk.doc_id, []).extend(
                Quote(n, s) for s in self.best_sentences(hit, query.part(hit.part), vectors[hit.part], count)
            )
            sections.setdefault(hit.chunk.doc_id, [])
            if hit.chunk.section not in sections[hit.chunk.doc_id]:
                sections[hit.chunk.doc_id].append(hit.chunk.section)
        lines = [note] if note else []
        lines += [t["answer_intro"], ""]
        for doc_id, doc_quotes in quotes.items():
            doc = self.index.documents[doc_id]
            header = f"**{doc.title}** ({doc.publisher}) · {'; '.join(sections[doc_id])}"
            if doc.language != language:
                header += " " + t["source_language_note"].format(language=t["language_names"][doc.language])
            lines.append(header)
            lines += [f"> {q.sentence} [{q.n}]" for q in doc_quotes]
            for section in sections[doc_id]:
                if items := self.subsections.get((doc_id, section)):
                    lines.append(t["section_outline"].format(items=" · ".join(items)))
            lines.append("")
        seek = self.seek_care(hits[0], query, vectors[0], len(citations) + 1) if hits else None
        if seek:
            citation, sentence = seek
            citations.append(citation)
            lines += [t["seek_care_heading"].format(title=citation.title), f"> {sentence} [{citation.n}]", ""]
        lines.append(f"_{t['disclaimer']}_")
        return "\n".join(lines), citations

    def seek_care(self, top: Hit, query: Query, vector: np.ndarray, n: int) -> tuple[Citation, str] | None:
        """The top source's own advice on when to seek care, if it has any and it was not already quoted."""
        rows = [
            i for i, c in enumerate(self.index.chunks)
            if c.doc_id == top.chunk.doc_id and c.seek_care and i != top.row
        ]
        if not rows:
            return None
        start = [self.index.sentence_offsets[i] for i in rows]
        best_row, best_score = max(
            ((row, float(np.max(self.index.sentence_vectors[s : self.index.sentence_offsets[row + 1]] @ vector,
                                 initial=-1.0)))
             for row, s in zip(rows, start, strict=True)),
            key=lambda x: x[1],
        )
        hit = Hit(self.index.chunks[best_row], best_row, best_score, best_score, 0.0)
        sentence = self.best_sentences(hit, query, vector, 1)
        return (self.citation(n, hit), sentence[0]) if sentence else None

    def out_of_scope(self, language: str, note: str = "") -> str:
        return "\n\n".join(x for x in (note, self.t(language)["out_of_scope"]) if x)

    def invalid(self, problem: str, language: str, **values: object) -> str:
        return self.t(language)["invalid"][problem].format(**values)

    def unsupported_note(self, language: str) -> str:
        return self.t(language)["unsupported_language"]
