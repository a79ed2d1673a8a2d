"""The corpus files and their loader/chunker: faithful content, clear errors, chunks that quote well."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import DATA_DIR
from bot.corpus import (
    SECTION_SEPARATOR,
    CorpusError,
    chunk_corpus,
    chunk_document,
    corpus_fingerprint,
    load_corpus,
    load_document,
    split_sentences,
)

CORPUS = DATA_DIR / "corpus"
MIN, MAX = 200, 900
EXPECTED = {"da-iskias": "da", "da-ondt-i-benene": "da", "no-haelspore": "nb", "sv-benhinnor": "sv",
            "sv-halsena": "sv"}

GOOD = """---
id: {id}
title: Testartikel
language: sv
publisher: Testförlaget
source: https://example.org/artikel
updated: 2024-05-01
seek_care:
- När ska jag söka vård?
unindexed_sections:
- Referenser
---

## Om smärtan

{body}

## När ska jag söka vård?

Sök vård om smärtan inte går över efter några veckor eller om du får feber.
Sök vård akut vid kraftig svullnad.

## Referenser

1. Författare A. En studie om smärta. Tidskrift. 2020;1:1-2.
"""


@pytest.fixture(scope="module")
def docs():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def chunks(docs):
    return chunk_corpus(docs)


def write(tmp_path: Path, text: str, name: str = "test-doc") -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def good(body: str = "Smärtan sitter i hälen. Den är värst på morgonen.", doc_id: str = "test-doc") -> str:
    return GOOD.format(id=doc_id, body=body)


# ----------------------------------------------------------------------------------------- corpus files


def test_corpus_holds_the_five_articles_with_their_languages(docs):
    assert {d.doc_id: d.language for d in docs} == EXPECTED
    assert [d.doc_id for d in docs] == sorted(EXPECTED)


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_front_matter_round_trips(doc_id, tmp_path):
    path = CORPUS / f"{doc_id}.md"
    doc = load_document(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    if "updated" in raw:
        raw["updated"] = str(raw["updated"])
    assert doc.front_matter() == {"seek_care": [], "unindexed_sections": [], **raw}
    body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
    meta = yaml.safe_dump(doc.front_matter(), allow_unicode=True, sort_keys=False)
    dumped = "---\n" + meta + "---\n" + body
    again = load_document(write(tmp_path, dumped, doc_id))
    assert again.front_matter() == doc.front_matter()
    assert again.sections == doc.sections


def test_reference_list_and_contact_details_are_kept_but_not_indexed(docs, chunks):
    by_id = {d.doc_id: d for d in docs}
    refs = next(s for s in by_id["da-iskias"].sections if s.heading == "Referencer")
    assert not refs.indexed and "Pearce JMS" in refs.text
    contact = next(s for s in by_id["sv-halsena"].sections if s.heading == "För mer information")
    assert not contact.indexed and "0451-29 60 00" in contact.text
    for chunk in chunks:
        assert not chunk.section.startswith(("Referencer", "För mer information"))
        for furniture in ("Pearce JMS", "Brinjikji", "Spine J", "0451-29", "sjukhus.hassleholm@skane.se"):
            assert furniture not in chunk.text


# Numbers and key medical terms read in the seed articles; each must reach a chunk unchanged.
SEED_FACTS = {
    "sv-halsena": ["3 x 15 repetitioner med rakt knä", "3 x 15 repetitioner med böjt knä", "2-6 cm",
                   "2 gånger dagligen (totalt 180 repetitioner) i 12 veckor", "1-2 veckorna", "4-6 veckor",
                   "minst 3 månaders tid", "80 %", "hälbenet", "återgå", "excentrisk", "hälseneinflammation"],
    "da-iskias": ["3110 raske personer", "3.110", "L4-S1", "60%", "11%", "12 uger", "609 personer", "29%",
                  "38%", "67 raske", "20%", "36%", "21%", "1 ud af 5", "over 70 år", "1039 personer",
                  "under 1%", "383 personer", "3-6 måneder", "ridebukseområdet", "diskusprolaps",
                  "spinalstenose", "piriformissyndrom", "spondylolistese", "SAID-princippet", "20 minutter",
                  "10 minutter", "3 sæt", "5 år", "3 måneder", "1:1 sammenhæng"],
    "da-ondt-i-benene": ["20–30 sekunder", "5–10 sekunder", "ring 112", "dyb venetrombose (DVT)",
                         "claudicatio", "achillestendinopati", "skinnebensbetændelse (shin splints)",
                         "restless legs-syndrom", "kompressionsstrømper", "electrolytter"],
    "no-haelspore": ["hælspace", "Hælspre", "klinnikk", "røntgenundersøkelse", "trykkbølgebehandling",
                     "plantar fasciitt", "akilles tendinopati", "plantarfascitt", "tannpinesmerter"],
    "sv-benhinnor": ["medialt tibiasyndrom", "stressfraktur", "akut kompartmentsyndrom", "benskörhet",
                     "Kan man ha träningsvärk i benhinnorna?", "anti-inflammatoriska läkemedel"],
}


@pytest.mark.parametrize("doc_id", sorted(SEED_FACTS))
def test_seed_numbers_and_terms_survive_into_the_chunks(doc_id, chunks):
    text = "\n".join(c.text for c in chunks if c.doc_id == doc_id)
    missing = [fact for fact in SEED_FACTS[doc_id] if fact not in text]
    assert not missing


def test_every_number_of_the_indexed_text_reaches_a_chunk(docs, chunks):
    for doc in docs:
        text = "\n".join(c.text for c in chunks if c.doc_id == doc.doc_id)
        for section in doc.sections:
            if section.indexed:
                for number in re.findall(r"\d+(?:[.,:–-]\d+)*\s?%?", section.text):
                    assert number in text, (doc.doc_id, number)


def test_page_furniture_is_gone(docs):
    for doc in docs:
        body = "\n".join(s.text for s in doc.sections)
        assert "(Bild" not in body and "](#)" not in body and "FOT MED HÆLSPORE" not in body
        assert "Smertefribevægelse\n" not in body and " - Smertefribevægelse" not in body
        assert "\xa0" not in body and not re.search(r"\w-\n\w", body)


# ---------------------------------------------------------------------------------------- malformations


@pytest.mark.parametrize(("text", "field"), [
    ("## Om smärtan\n\nText.\n", "missing front matter"),
    ("---\nid: test-doc\n## Om smärtan\n", "not closed"),
    ("---\nid: [test-doc\n---\n## Om\n\nText.\n", "not valid YAML"),
    ("---\n- id\n---\n## Om\n\nText.\n", "YAML mapping"),
    (good().replace("title: Testartikel\n", ""), "'title'"),
    (good().replace("publisher: Testförlaget", "publisher: ''"), "'publisher'"),
    (good().replace("source: https://example.org/artikel", "source: 42"), "'source'"),
    (good().replace("id: test-doc", "id: other-doc"), "'id'"),
    (good().replace("updated: 2024-05-01", "updated: 1 maj 2024"), "'updated'"),
    (good().replace("language: sv", "langauge: sv"), "'langauge'"),
    (good().replace("- När ska jag söka vård?", "- Finns inte"), "'seek_care'"),
    (good().replace("unindexed_sections:\n- Referenser", "unindexed_sections: Referenser"),
     "'unindexed_sections'"),
    (good().replace("## Om smärtan", "# Om smärtan"), "line 14"),
    (good().replace("## Om smärtan", "Inledande text.\n\n## Om smärtan"), "line 14"),
    (good().replace("## När ska jag söka vård?", "## Om smärtan"), "duplicate section heading"),
    (good().replace("## ", ""), "no '## ' section heading"),
])
def test_malformed_file_names_file_and_field(tmp_path, text, field):
    path = write(tmp_path, text)
    with pytest.raises(CorpusError) as err:
        load_document(path)
    assert str(path) in str(err.value)
    assert field in str(err.value)


def test_bad_language_message(tmp_path):
    path = write(tmp_path, good().replace("language: sv", "language: de"))
    with pytest.raises(CorpusError, match=re.escape(f"{path}: front matter field 'language' must be one of "
                                                    "sv, da, nb, en")):
        load_document(path)


def test_load_corpus_reports_the_bad_file_among_good_ones(tmp_path):
    write(tmp_path, good(doc_id="a-good"), "a-good")
    bad = write(tmp_path, good(doc_id="b-bad").replace("title: Testartikel\n", ""), "b-bad")
    with pytest.raises(CorpusError, match=re.escape(str(bad))):
        load_corpus(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="no .md files"):
        load_corpus(empty)


def test_valid_synthetic_document_loads(tmp_path):
    doc = load_document(write(tmp_path, good()))
    assert (doc.doc_id, doc.language, doc.updated) == ("test-doc", "sv", "2024-05-01")
    assert [(s.heading, s.indexed) for s in doc.sections] == [
        ("Om smärtan", True), ("När ska jag söka vård?", True), ("Referenser", False)]


# ------------------------------------------------------------------------------------------------ chunks


def _whole_section(chunk, chunks):
    h2 = chunk.section.split(SECTION_SEPARATOR)[0]
    same = [c for c in chunks if c.doc_id == chunk.doc_id and c.section.split(SECTION_SEPARATOR)[0] == h2]
    return same == [chunk]


def test_chunk_sizes_within_bounds(chunks):
    for c in chunks:
        if len(c.text) > MAX:
            assert len(c.sentences) == 1, c.chunk_id
        if len(c.text) < MIN:
            assert _whole_section(c, chunks), c.chunk_id


def test_sentences_are_verbatim_and_in_order(chunks):
    for c in chunks:
        assert c.sentences
        pos = 0
        for sentence in c.sentences:
            found = c.text.find(sentence, pos)
            assert found >= 0, (c.chunk_id, sentence)
            pos = found + len(sentence)


def test_chunks_never_cross_a_section(docs, chunks):
    for doc in docs:
        headings = [s.heading for s in doc.sections]
        order = []
        for c in (c for c in chunks if c.doc_id == doc.doc_id):
            h2 = c.section.split(SECTION_SEPARATOR)[0]
            assert h2 in headings
            order.append(headings.index(h2))
            for other in doc.sections:
                if other.heading != h2 and len(other.text) > 60:
                    assert other.text[:60] not in c.text
        assert order == sorted(order)


def test_chunk_ids_are_unique_and_numbered(chunks):
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    for doc_id in EXPECTED:
        mine = [c.chunk_id for c in chunks if c.doc_id == doc_id]
        assert mine == [f"{doc_id}#{i}" for i in range(len(mine))]


def test_subheading_lines_are_kept(docs, chunks):
    lines = {line for c in chunks for line in c.text.split("\n")}
    first_lines = {c.text.split("\n")[0] for c in chunks}
    for doc in docs:
        for section in doc.sections:
            for heading in re.findall(r"^### (.+)$", section.text, flags=re.M):
                assert heading in lines or not section.indexed, heading
    assert {"1. Hold dig aktiv.", "Stående lægstræk", "Då bör du söka vård"} <= first_lines
    principle = next(c for c in chunks if c.text.startswith("1. Hold dig aktiv."))
    assert principle.section == "8 universelle principper til effektiv genoptræning › 1. Hold dig aktiv."


def test_chunk_text_is_plain(chunks):
    for c in chunks:
        assert not re.search(r"\]\(|\*\*|^#|^\||https?://|^- ", c.text, flags=re.M), c.chunk_id
    text = "\n".join(c.text for c in chunks)
    assert "individer med benskörhet. Det kan räcka" in text
    assert "• Har føleforstyrrelser i ridebukseområdet (inderlår og underliv)" in text
    assert "1. Man kan have en diskusprolaps uden at have smerter." in text
    assert ("Årsag: Nerve- og rygrelateret (iskias) · Typiske symptomer: Strålende smerte fra lænden ned "
            "i benet, prikken, følelsesløshed · Hvornår du skal søge hjælp: Hvis du får tiltagende") in text


def test_seek_care_flag(chunks):
    flagged = {c.section for c in chunks if c.seek_care}
    assert "Läkarens svar › Då bör du söka vård" in flagged
    assert "Kan operation hjælpe mod iskiassmerter? › Operation ved svære tilfælde af iskiassmerter" in (
        flagged)
    assert "Hvornår er smerter i benet et tegn på noget farligt?" in flagged
    assert not any(c.seek_care for c in chunks if c.doc_id in ("no-haelspore", "sv-halsena"))
    assert not any(c.seek_care for c in chunks if c.section == "Läkarens svar › Möjliga orsaker")
    seek = next(c for c in chunks if "Du bør kontakte lægen hvis du:" in c.text)
    assert seek.seek_care


def test_short_subsection_merges_with_its_neighbour_and_long_sentence_stands_alone(tmp_path):
    long_sentence = "Smärtan " + "blir värre och " * 80 + "går sedan över."
    body = ("Första stycket handlar om hälen och är tillräckligt långt för att stå som en egen del. " * 3
            + "\n\n### Kort del\n\nEn kort rad." + "\n\n### Lång del\n\n" + long_sentence
            + "\n\n### Sista delen\n\n" + "Den sista delen är också lång nog att stå på egna ben här. " * 4)
    doc = load_document(write(tmp_path, good(body)))
    chunks = chunk_document(doc)
    texts = [c.text for c in chunks if c.section.startswith("Om smärtan")]
    assert any("\n\nKort del\n\nEn kort rad." in t for t in texts)
    assert any(t.endswith(long_sentence) for t in texts)
    lone = next(c for c in chunks if long_sentence in c.text)
    assert lone.sentences == (long_sentence,) and len(lone.text) > MAX
    assert not any("Referenser" in c.section or "Författare" in c.text for c in chunks)
    assert [c.seek_care for c in chunks if c.section == "När ska jag söka vård?"] == [True]


def test_packing_respects_smaller_bounds(docs):
    for doc in docs:
        for c in chunk_document(doc, min_chars=80, max_chars=300):
            assert len(c.text) <= 300 or len(c.sentences) == 1


# --------------------------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("sv", "Det kan t.ex. bero på överbelastning. Sök vård vid feber.",
     ["Det kan t.ex. bero på överbelastning.", "Sök vård vid feber."]),
    ("sv", "Vila hjälper ca. 4-6 veckor m.fl. Dvs. Inte alltid.",
     ["Vila hjälper ca. 4-6 veckor m.fl. Dvs. Inte alltid."]),
    ("da", "Se f.eks. Lægehåndbogen. Den er gratis.", ["Se f.eks. Lægehåndbogen.", "Den er gratis."]),
    ("da", "Træning (fx. Gåture) hjælper bl.a. Mod smerter. Osv.",
     ["Træning (fx. Gåture) hjælper bl.a. Mod smerter.", "Osv."]),
    ("nb", "Har du f.eks. Flat bue? Da øker belastningen.",
     ["Har du f.eks. Flat bue?", "Da øker belastningen."]),
    ("en", "Rest helps, e.g. Ice packs. See a doctor.", ["Rest helps, e.g. Ice packs.", "See a doctor."]),
    ("en", "Se f.eks. Lægehåndbogen. Den er gratis.", ["Se f.eks.", "Lægehåndbogen.", "Den er gratis."]),
])
def test_abbreviations_are_per_language(language, text, expected):
    assert split_sentences(text, language) == expected


def test_lines_and_list_items_are_sentences_headings_are_not():
    text = ("### 4. Det må gerne gøre ondt\n\nDu kan spørge dig selv..\n"
            "“Hvad forhindrer smerterne mig i?”\n\n- Du har færre smerter\n1. Er jeg okay nu?\n"
            "   Kan du tolerere smerterne? Ja (8). Godt!")
    assert split_sentences(text, "da") == [
        "Du kan spørge dig selv..", "“Hvad forhindrer smerterne mig i?”", "Du har færre smerter",
        "Er jeg okay nu?", "Kan du tolerere smerterne?", "Ja (8).", "Godt!"]


def test_lowercase_after_period_does_not_end_a_sentence():
    assert split_sentences("Den 19. november kom svaret. Sedan gick det bra.", "sv") == [
        "Den 19. november kom svaret.", "Sedan gick det bra."]


def test_unknown_language_has_no_abbreviation_list():
    with pytest.raises(ValueError, match="xx"):
        split_sentences("Text.", "xx")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Hälen värker.", "Se t.ex. Kry", "bl.a.", "Ja!", "Nej?", "ont", "3 x 15.",
                                 "“Citat.”", "(8).", "Efter", "f.eks.", " ", "  "]), min_size=1, max_size=12))
def test_sentences_cover_the_text_verbatim(parts):
    text = " ".join(parts)
    for language in EXPECTED.values():
        sentences = split_sentences(text, language)
        assert "".join(sentences).replace(" ", "") == text.replace(" ", "")
        pos = 0
        for sentence in sentences:
            assert sentence == sentence.strip() and sentence
            pos = text.index(sentence, pos) + len(sentence)


# ------------------------------------------------------------------------------------------- fingerprint


def test_fingerprint_follows_file_bytes(tmp_path):
    write(tmp_path, good(doc_id="a-doc"), "a-doc")
    first = corpus_fingerprint(tmp_path)
    assert corpus_fingerprint(tmp_path) == first
    write(tmp_path, good(doc_id="a-doc", body="Annan text om hälen. Den är ny."), "a-doc")
    second = corpus_fingerprint(tmp_path)
    assert second != first
    write(tmp_path, good(doc_id="b-doc"), "b-doc")
    assert corpus_fingerprint(tmp_path) not in (first, second)
    assert corpus_fingerprint(CORPUS) == corpus_fingerprint(CORPUS)
