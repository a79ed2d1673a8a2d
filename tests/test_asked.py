"""Questions units answer (bot/asked.py): the stored files name real units, bad entries are reported, the index
keeps a query vector per question, retrieval scores a unit by its closest question, and the reply's order
follows that evidence."""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter

import numpy as np
import pytest

from bot.asked import load_asked
from bot.config import LANGUAGES, Settings
from bot.corpus import load_corpus
from bot.glossary import Glossary
from bot.index import ensure_index, index_status
from bot.query import QueryBuilder
from bot.retrieve import HybridRetriever
from bot.units import cut_units


@pytest.fixture(scope="module")
def stored(settings):
    units = [u for d in load_corpus(settings.corpus_dir) for u in cut_units(d)]
    questions, problems = load_asked(settings.corpus_dir, units)
    return units, questions, problems


def test_every_stored_question_names_a_unit_of_its_article(stored, bot):
    units, questions, problems = stored
    assert problems == []
    assert {q.language for q in questions} == set(LANGUAGES)
    roles = bot.composer.rolebook
    # Questions are written for units a reply may quote; a never-quoted unit would only attract questions.
    assert all(roles.quotable(roles.role(units[q.unit_index])) for q in questions)
    documents = {units[q.unit_index].doc_id for q in questions}
    assert documents == {d.doc_id for d in load_corpus(bot.settings.corpus_dir)}


def test_an_unknown_unit_a_bad_language_and_an_empty_entry_are_handled(tmp_path, stored):
    units = stored[0]
    unit = next(u for u in units if u.doc_id == "sv-halsena")
    folder = tmp_path / "asked"
    folder.mkdir()
    (folder / "sv-halsena.yaml").write_text(
        "units:\n"
        f"  - unit: {unit.id.split(':', 1)[1]}\n    asked:\n      sv: ['Vad gör hälsenan?']\n      xx: ['?']\n"
        "  - unit: '000000000000'\n    asked:\n      sv: ['Finns inte?']\n"
        f"  - unit: {unit.id.split(':', 1)[1]}\n    asked: {{}}\n"
        "  - just text\n",
        encoding="utf-8",
    )
    questions, problems = load_asked(tmp_path, units)
    assert [(q.text, q.language) for q in questions] == [("Vad gör hälsenan?", "sv")]
    assert questions[0].unit_index == units.index(unit)
    assert len(problems) == 3
    assert "'xx' is not a language" in problems[0]
    assert "unit 000000000000 is not a unit of sv-halsena" in problems[1]
    assert "entry 4 needs `unit`" in problems[2]


def test_the_index_keeps_a_query_vector_per_question(index, stored, embedder):
    _, questions, _ = stored
    assert len(index.asked_unit) == len(questions) == index.manifest["asked_questions"]
    assert [int(u) for u in index.asked_unit] == [q.unit_index for q in questions]
    sample = [0, len(questions) // 2, len(questions) - 1]
    expected = embedder.queries([questions[i].text for i in sample])
    assert np.allclose(index.asked_vectors[sample], expected, atol=1e-5)


def test_a_unit_is_scored_by_its_closest_question(index, stored, embedder):
    _, questions, _ = stored
    counts = Counter(q.text for q in questions)
    question = next(q for q in questions if counts[q.text] == 1 and q.language == "nb")
    retriever = HybridRetriever(index)
    query = QueryBuilder(Glossary.load()).from_text(question.text, question.language)
    vector = embedder.queries([question.text])[0]
    _, _, asked = retriever.unit_evidence(query, vector)
    assert asked[question.unit_index] == pytest.approx(1.0, abs=1e-4)
    assert int(np.argmax(asked)) == question.unit_index
    without = [u for u in range(len(index.units)) if u not in set(index.asked_unit.tolist())]
    assert without and np.all(asked[without] == 0.0)  # a unit without questions gets nothing from them


def test_the_reply_leads_with_the_unit_whose_question_matches(bot, embedder):
    composer = bot.composer
    query = bot.queries.from_text("Hur ska jag träna hälsenan?", "sv")
    vector = embedder.queries([query.dense_text])[0]
    hits = bot.retriever.search(query, vector)
    first, _ = composer.choose(hits, vector, "general", "sv")
    other = next(h for h in hits[1:] if h.unit_index != first[0].unit_index
                 and composer.rolebook.quotable(composer.roles[h.unit_index])
                 and composer.roles[h.unit_index] == "answer" and h.score >= hits[0].score - 0.05)
    best = max(h.unit_asked for h in hits)
    lifted = [dataclasses.replace(h, unit_asked=best + 0.05) if h is other else h for h in hits]
    chosen, _ = composer.choose(lifted, vector, "general", "sv")
    assert chosen[0].unit_index == other.unit_index != first[0].unit_index


def test_an_edited_questions_file_makes_the_index_stale(tmp_path, settings, index, embedder):
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(settings.index_dir, tmp_path / "index")
    own = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    assert index_status(own).ok
    path = own.corpus_dir / "asked" / "sv-halsena.yaml"
    stale = "  - unit: 'abcdefabcdef'\n    asked:\n      sv: ['En mening som ändrats?']\n"
    path.write_text(path.read_text(encoding="utf-8") + stale, encoding="utf-8")
    assert index_status(own).reason == "stale: the questions units answer changed since the index was built"
    rebuilt = ensure_index(own, embedder)
    assert len(rebuilt.asked_unit) == len(index.asked_unit) and index_status(own).ok
    problem = "asked/sv-halsena.yaml: unit abcdefabcdef is not a unit of sv-halsena"
    assert rebuilt.manifest["asked_problems"] == [problem]


def test_an_article_without_questions_is_not_held_back(tmp_path, settings, embedder):
    """A clinic's new article has no questions yet: its units stand in with their own cosine, so retrieval
    still finds it; an article that has its file keeps 0 for the units the file leaves out."""
    shutil.copytree(settings.corpus_dir, tmp_path / "corpus")
    (tmp_path / "corpus" / "asked" / "no-haelspore.yaml").unlink()
    own = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    index = ensure_index(own, embedder)
    heel = np.array([u.doc_id == "no-haelspore" for u in index.units])
    assert not index.asked_written[heel].any() and index.asked_written[~heel].all()
    retriever = HybridRetriever(index)
    question = "Hva er en hælspore?"
    query = QueryBuilder(Glossary.load()).from_text(question, "nb")
    vector = embedder.queries([query.dense_text])[0]
    dense, _, asked = retriever.unit_evidence(query, vector)
    assert np.allclose(asked[heel], dense[heel])
    assert retriever.search(query, vector)[0].unit.doc_id == "no-haelspore"
