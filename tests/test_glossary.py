"""The domain glossary on its real data: cross-lingual expansion, matching of inflected, compound and
diacritic-free forms, no matches inside unrelated words, the domain verdicts the topic gate relies on, topic
concepts for follow-ups, and the consistency of the data files."""

from pathlib import Path

import pytest
import yaml

from bot.config import DATA_DIR, LANGUAGES
from bot.glossary import KINDS, Glossary
from bot.text import fold


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


def concepts(glossary: Glossary, text: str) -> set[str]:
    return {m.concept_id for m in glossary.find(text)}


# -- a term in one language expands to the equivalents in the other three -----------------------------

@pytest.mark.parametrize(
    ("text", "concept", "expected"),
    [
        ("Kan diskbråck ge ont i benet?", "disc_herniation",
         {"da": "diskusprolaps", "nb": "skiveprolaps", "en": "herniated disc"}),
        ("Jeg har beinhinnebetennelse", "shin_splints",
         {"sv": "benhinneinflammation", "da": "skinnebensbetændelse", "en": "shin splints"}),
        ("Det gör ont i hälsenan", "achilles_tendon",
         {"da": "akillessene", "nb": "akillessene", "en": "achilles tendon"}),
        ("Hvad er iskias?", "sciatica", {"sv": "ischias", "nb": "isjias", "en": "sciatica"}),
        ("What helps against a heel spur?", "heel_spur",
         {"sv": "hälsporre", "da": "hælspore", "nb": "hælspore"}),
        ("Is plantar fasciitis serious?", "plantar_fasciitis",
         {"sv": "plantarfasciit", "da": "plantar fasciitis", "nb": "plantar fascitt"}),
        ("Kan man få træthedsbrud af at løbe?", "stress_fracture",
         {"sv": "stressfraktur", "nb": "tretthetsbrudd", "en": "stress fracture"}),
        ("Hvor mange tåhev skal jeg gjøre?", "heel_raises",
         {"sv": "tåhävningar", "da": "tåhævninger", "en": "heel raises"}),
        ("How long should eccentric training take?", "eccentric_training",
         {"sv": "excentrisk träning", "da": "excentrisk træning", "nb": "eksentrisk trening"}),
        ("Jeg har slidgigt i ryggen", "osteoarthritis",
         {"sv": "artros", "nb": "slitasjegikt", "en": "osteoarthritis"}),
    ],
)
def test_a_term_expands_to_its_equivalents_in_the_other_languages(glossary, text, concept, expected):
    assert concept in concepts(glossary, text)
    for language, term in expected.items():
        assert fold(term) in {fold(t) for t in glossary.expansion([concept], [language])}, (language, term)


def test_expansion_takes_the_first_terms_per_language_without_repeats(glossary):
    wanted = ["achilles_tendon", "heel_spur", "no_such_concept"]
    terms = glossary.expansion(wanted, ["sv", "da"], per_language=2)
    assert terms == ["hälsena", "hälsenan", "akillessene", "akillessenen", "hälsporre", "hälsporrar",
                     "hælspore", "hælsporer"]
    # The same word in several languages (da and nb "akillessene") is given once.
    both = glossary.expansion(["achilles_tendon"], ["da", "nb"], per_language=1)
    assert both == ["akillessene"]
    # Question words name nothing the articles share across languages.
    assert glossary.expansion(["prognosis", "cause"], ["sv"]) == []


# -- inflected, compound and diacritic-free forms ------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hälseneprogrammet", {"achilles_tendon"}),
        ("ømme lægmuskler", {"calf"}),
        ("ont i underbenet", {"lower_leg"}),
        ("ont i smalbenen", {"shin"}),
        ("akillessenen er hævet", {"achilles_tendon", "swelling"}),
        ("halsenan gor ont", {"achilles_tendon"}),
        ("haelspore", {"heel_spur"}),
        ("halsporre", {"heel_spur"}),
        ("diskbrack", {"disc_herniation"}),
        ("skinnebensbetaendelse", {"shin_splints"}),
        ("beinhinnebetenelse", {"shin_splints"}),
        ("isjiasnerven", {"sciatic_nerve"}),
        ("ischiassmärtor", {"sciatica", "pain"}),
        ("vadkramp på natten", {"calf", "cramps", "night_pain"}),
        ("lægstræk", {"calf", "stretching"}),
        ("knæsmerter", {"knee", "pain"}),
        ("höftartros", {"hip", "osteoarthritis"}),
        ("taahaevninger", {"heel_raises"}),
        ("nye loebesko", {"shoes"}),
        ("shin-splints", {"shin_splints"}),
        ("shinsplints", {"shin_splints"}),
        ("runners knee", {"knee_conditions"}),
        ("Achilles tendonitis", {"achilles_tendinopathy"}),
        ("MR-scanning af ryggen", {"mri", "back"}),
        ("vondt i knehasen", {"knee", "pain"}),
        ("jeg har hold i lænden", {"lumbago"}),
        ("pain shooting down the back of my leg", {"pain", "radiating_pain", "leg"}),
        ("det strålar ner i benet", {"radiating_pain"}),
        ("vondt foran på leggen", {"pain", "shin"}),
        ("ondt på forsiden af underbenet", {"pain", "shin"}),
    ],
)
def test_inflected_compound_and_diacritic_free_forms_match(glossary, text, expected):
    assert expected <= concepts(glossary, text)


def test_the_longest_term_wins_over_its_own_prefix(glossary):
    # hälsene (Achilles tendon) is a prefix of hälseneinflammation (the condition), iskias of iskiasnerven.
    assert concepts(glossary, "hälseneinflammation") == {"achilles_tendinopathy"}
    assert concepts(glossary, "iskiasnerven") == {"sciatic_nerve"}
    assert concepts(glossary, "plantarfascien") == {"plantar_fascia"}


def test_match_offsets_point_into_the_folded_text(glossary):
    text = "Får  man HÄLSPORRE av löpning?"
    folded = fold(text)
    spans = {m.concept_id: folded[m.start:m.end] for m in glossary.find(text)}
    assert spans == {"heel_spur": "halsporre", "running": "lopning"}


# -- short words do not match inside unrelated words ---------------------------------------------------

@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Vad tycker du om det?", "calf"),  # sv vad = what
        ("Jeg skal til lægen i morgen", "calf"),  # da læge = doctor
        ("i løbet af dagen", "running"),
        ("i løpet av uka", "running"),
        ("Han er dansk", "dancing"),
        ("en god hälsa", "heel"),
        ("en god hälsa", "achilles_tendon"),
        ("ont i halsen", "achilles_tendon"),
        ("a legend of old", "leg"),
        ("hon är benägen att glömma", "leg"),
        ("fotografi och fotboll", "foot"),
        ("for eksempel", "skin_conditions"),
        ("en lang diskussion", "disc"),
        ("discussing the plan", "disc"),
        ("she was insolent", "insoles"),
        ("gluten free bread", "buttock"),
        ("ett krampaktigt försök", "cramps"),
        ("innleggelse på sykehus", "insoles"),
        ("stating the obvious", "cholesterol"),
        ("det kommer senere", "tendon"),
        ("vi skal høste æbler", "cold_flu"),
        ("en vandret linje", "walking"),
        ("can you lend me a pen", "lower_back"),
        ("Hur byter jag vinterdäck på bilen?", "foot"),
    ],
)
def test_short_or_ambiguous_words_do_not_match_inside_unrelated_words(glossary, text, absent):
    assert absent not in concepts(glossary, text)


# -- domain verdicts for the topic gate ----------------------------------------------------------------

@pytest.mark.parametrize(
    "question",
    [
        "I think I tore my knee ligament playing football",
        "Axeln gör ont när jag lyfter armen",
        "Hvad hjælper mod migræne?",
        "Jeg har eksem på hendene",
        "Hur blir jag av med huvudvärk?",
        "Is it safe to get the flu vaccine while pregnant?",
        "Hva hjelper mot vondt i skulderen?",
        "I have tennis elbow",
        "My shoulder hurts when I go running",  # an activity does not make another body region ours
        "Does shockwave therapy help tennis elbow?",  # nor does a treatment the articles also name
        "I sprained my wrist, should I use ice?",
        "Overbelastning i skulderen efter svømning",
        "I sprained my ankle yesterday",  # a sprain is a foot complaint the articles do not treat
        "Jag har stukat foten och den är svullen",
    ],
)
def test_out_of_domain_questions_are_flagged_out_and_not_in(glossary, question):
    ids = [m.concept_id for m in glossary.find(question)]
    assert glossary.out_of_domain_ids(ids)
    assert not glossary.in_domain_ids(ids)


@pytest.mark.parametrize(
    "question",
    [
        "Varför får jag ont i smalbenen när jag springer?",
        "Hvorfor gør det ondt i hælen om morgenen?",
        "Hjelper innleggssåler mot hælspore?",
        "Does stretching help with sciatica?",
        "Can I keep running with the pain?",
        "Jeg har ondt i hånden og i læggen",  # a leg region named beside another: still ours
    ],
)
def test_in_domain_questions_are_flagged_in(glossary, question):
    ids = [m.concept_id for m in glossary.find(question)]
    assert glossary.in_domain_ids(ids)


def test_neighbouring_sites_are_body_sites_not_tissues_of_any_region(glossary):
    assert glossary.neighbouring_site_ids(["muscle", "knee", "calf", "tendon", "groin", "no_such"]) == ["knee", "groin"]
    ids = [m.concept_id for m in glossary.find("Jeg har ondt i musklerne når jeg går")]
    assert "muscle" in ids and glossary.in_domain_ids(ids)  # a tissue never takes a walking complaint out


def test_neutral_words_say_nothing_about_scope(glossary):
    ids = [m.concept_id for m in glossary.find("Hvor lang tid skal jeg træne, og hjælper hvile mod smerten?")]
    assert ids and not glossary.in_domain_ids(ids) and not glossary.out_of_domain_ids(ids)


# -- topic concepts carried over to follow-ups ---------------------------------------------------------

def test_topic_is_the_in_domain_anatomy_and_conditions(glossary):
    topic = glossary.topic(glossary.find("Jag har hälsporre och ont i hälen när jag springer"))
    assert [m.concept_id for m in topic] == ["heel_spur", "heel"]
    assert glossary.topic(glossary.find("Hur länge ska jag träna?")) == []
    assert glossary.topic(glossary.find("Axeln gör ont")) == []


# -- data files ----------------------------------------------------------------------------------------

def _language_files() -> dict[str, dict]:
    return {
        path.parent.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((DATA_DIR / "lang").glob("*/glossary.yaml"))
    }


def test_every_language_has_a_glossary_and_every_concept_id_exists():
    defined = set(yaml.safe_load((DATA_DIR / "concepts.yaml").read_text(encoding="utf-8")))
    files = _language_files()
    assert set(LANGUAGES) <= set(files)
    for language, data in files.items():
        assert set(data) <= defined, (language, set(data) - defined)


def test_every_concept_has_terms_in_all_four_languages(glossary):
    for concept in glossary.concepts.values():
        missing = [lang for lang in LANGUAGES if not concept.terms.get(lang)]
        assert not missing, (concept.id, missing)


def test_kinds_domains_and_broad_in_domain_coverage(glossary):
    assert {c.kind for c in glossary.concepts.values()} == set(KINDS)
    inside = [c for c in glossary.concepts.values() if c.domain == "in"]
    assert 80 <= len(inside) <= 150
    assert {"anatomy", "condition", "symptom", "treatment", "exam", "activity"} <= {c.kind for c in inside}


def test_no_term_belongs_to_two_concepts(glossary):
    shared = {key: ids for key, ids in glossary.term_keys.items() if len(ids) > 1}
    assert not shared


# -- loading errors name the file and the concept ------------------------------------------------------

def _data_dir(tmp_path: Path, sv_terms: dict) -> Path:
    (tmp_path / "lang" / "sv").mkdir(parents=True)
    (tmp_path / "concepts.yaml").write_text("heel: {kind: anatomy, domain: in}\n", encoding="utf-8")
    (tmp_path / "lang" / "sv" / "glossary.yaml").write_text(yaml.safe_dump(sv_terms), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"hael": ["häl"]}, "'hael' is not in concepts.yaml"),
        ({"heel": ["häl"]}, "shorter than 5 letters"),
        ({"heel": ["hälen(|s)"]}, "need '='"),
        ({"heel": ["-häl ben"]}, "single word"),
        ({"heel": []}, "non-empty list"),
    ],
)
def test_bad_data_is_reported_with_file_and_concept(tmp_path, terms, message):
    with pytest.raises(ValueError, match="glossary.yaml") as error:
        Glossary.load(_data_dir(tmp_path, terms))
    assert message in str(error.value)


def test_a_language_is_added_by_adding_a_file(tmp_path):
    data = _data_dir(tmp_path, {"heel": ["=häl(|en)", "hälben"]})
    (data / "lang" / "fi").mkdir()
    (data / "lang" / "fi" / "glossary.yaml").write_text("heel: [kantapää]\n", encoding="utf-8")
    glossary = Glossary.load(data)
    assert glossary.languages == ("sv", "fi")
    assert {m.concept_id for m in glossary.find("kantapäässä on kipua")} == {"heel"}
    assert glossary.expansion(["heel"]) == ["häl", "hälben", "kantapää"]
