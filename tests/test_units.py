"""Quote units and their roles: cutting lists, exercises, back-references and table rows; roles on each article."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DATA_DIR
from bot.corpus import load_corpus, load_document, segments
from bot.roles import RoleBook
from bot.units import cut_units, display_text

CORPUS = DATA_DIR / "corpus"

ARTICLE = """---
id: xx-test
title: Test
language: da
publisher: Test
source: Test
seek_care: ["Hvornår skal du søge læge?"]
---

## Om smerten

Smerten sidder i hælen. Dette skyldes overbelastning. Det kan tage tid.

Du bør kontakte lægen hvis du:

- Har feber.
- Mister kraften i benet.

Efter listen kommer en ny sætning.

## Hvilke øvelser hjælper?

### Lægstræk

Stå ved en væg. Før det ene ben bagud. Hold i 30 sekunder.

Gentag dagligen.

| Årsag | Hvornår |
|---|---|
| Overbelastning | Ved stærke smerter |

## Hvornår skal du søge læge?

Søg læge ved feber og hævelse i benet (3,4). Har du ondt?

Denne artikel vil give dig overblik.
"""


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "xx-test.md"
    path.write_text(ARTICLE, encoding="utf-8")
    return load_document(path)


@pytest.fixture(scope="module")
def units(doc):
    return cut_units(doc)


def by_start(units, start):
    return next(u for u in units if u.text.startswith(start))


def test_back_reference_joins_the_sentence_it_refers_to(units):
    unit = by_start(units, "Smerten sidder")
    assert unit.kind == "joined"
    assert unit.text == "Smerten sidder i hælen. Dette skyldes overbelastning. Det kan tage tid."


def test_a_list_keeps_its_lead_in_and_ends_with_the_block(units):
    unit = by_start(units, "Du bør kontakte")
    assert unit.kind == "list"
    assert unit.text == "Du bør kontakte lægen hvis du:\n• Har feber.\n• Mister kraften i benet."
    assert by_start(units, "Efter listen").kind == "sentence"


def test_an_exercise_is_its_first_paragraph_of_steps(units):
    unit = by_start(units, "Stå ved en væg")
    assert unit.kind == "exercise"
    assert unit.sentences == ("Stå ved en væg.", "Før det ene ben bagud.", "Hold i 30 sekunder.")
    assert by_start(units, "Gentag dagligen").kind == "sentence"


def test_a_table_row_is_one_unit_shown_a_cell_per_line(units):
    unit = by_start(units, "Årsag: Overbelastning")
    assert unit.kind == "table_row"
    assert display_text(unit.text, unit.kind) == "Årsag: Overbelastning\nHvornår: Ved stærke smerter"


def test_units_keep_their_segments_and_stable_ids(doc, units):
    ids = {s.id for s in segments(doc)}
    assert all(set(u.segment_ids) <= ids for u in units)
    assert all(u.id == f"{doc.doc_id}:{u.segment_ids[0]}" for u in units)
    assert [u.id for u in cut_units(doc)] == [u.id for u in units]
    headings = {s.text for s in segments(doc) if s.is_heading}
    assert not any(u.text in headings for u in units)


def test_reference_marks_are_dropped_from_what_is_shown():
    assert display_text("Søg læge ved feber (3,4).", "sentence") == "Søg læge ved feber."
    assert display_text("bedring indenfor 12 uger (6,11,12) og (15-17).", "sentence") == (
        "bedring indenfor 12 uger og."
    )
    assert display_text("rygsøjlen (L4-S1) og (DVT)", "sentence") == "rygsøjlen (L4-S1) og (DVT)"


def test_roles_from_rules(doc, units):
    book = RoleBook.load(Path(doc.path).parent, {doc.doc_id: set(doc.seek_care)})
    def role(start):
        return book.role(by_start(units, start))

    assert role("Du bør kontakte lægen") == "warning_signs"
    assert role("Søg læge ved feber") == "seek_care"
    assert role("Har du ondt?") == "reader_question"
    assert role("Denne artikel vil") == "meta"
    assert role("Smerten sidder i hælen") == "answer"


# ------------------------------------------------------------------------------ the shipped articles


@pytest.fixture(scope="module")
def shipped():
    docs = load_corpus(CORPUS)
    book = RoleBook.load(CORPUS, {d.doc_id: set(d.seek_care) for d in docs})
    return {d.doc_id: [(u, book.role(u)) for u in cut_units(d)] for d in docs}


def role_of(shipped, doc_id, start):
    return next(r for u, r in shipped[doc_id] if u.text.startswith(start))


def test_iskias_roles(shipped):
    assert role_of(shipped, "da-iskias", "Når du har læst denne artikel") == "meta"  # table of contents
    assert role_of(shipped, "da-iskias", "Se 8 universelle") == "meta"  # link text
    assert role_of(shipped, "da-iskias", "Du bør kontakte lægen hvis du:") == "warning_signs"
    assert role_of(shipped, "da-iskias", "I et studie blev 67 raske") == "study_method"
    assert role_of(shipped, "da-iskias", "Er en scanning så altid") == "reader_question"
    assert role_of(shipped, "da-iskias", "Fremtidsudsigterne for personer") == "answer"
    assert role_of(shipped, "da-iskias", "Flere forskellige tilstande kan give") == "answer"


def test_ondt_i_benene_roles(shipped):
    assert role_of(shipped, "da-ondt-i-benene", "Har du ondt i benene?") == "reader_question"
    assert role_of(shipped, "da-ondt-i-benene", "Hvis du oplever pludselig, ensidig hævelse") == "warning_signs"
    assert role_of(shipped, "da-ondt-i-benene", "Kontakt lægevagten") == "warning_signs"
    assert role_of(shipped, "da-ondt-i-benene", "På FysFinder kan du finde") == "meta"  # advertising
    assert role_of(shipped, "da-ondt-i-benene", "Stå tæt på en væg") == "answer"


def test_benhinnor_roles(shipped):
    assert role_of(shipped, "sv-benhinnor", "Fråga: Jag får ont") == "reader_question"
    assert role_of(shipped, "sv-benhinnor", "Sök vård akut") == "warning_signs"
    assert role_of(shipped, "sv-benhinnor", "Du kan vända dig till oss på Kry") == "meta"
    assert role_of(shipped, "sv-benhinnor", "Vid benhinneinflammation") == "answer"


def test_halsena_and_haelspore_roles(shipped):
    steps = next(u for u, _ in shipped["sv-halsena"] if u.kind == "exercise")
    assert steps.text.startswith("Träningsprogrammet utförs i en trappa")
    assert role_of(shipped, "sv-halsena", "Programmet består av 3 x 15") == "answer"
    assert role_of(shipped, "no-haelspore", "Kalken som fester seg") == "answer"


def test_every_article_has_quotable_units_and_no_unit_is_a_heading(shipped):
    for doc_id, pairs in shipped.items():
        assert sum(r == "answer" for _, r in pairs) >= 5, doc_id
