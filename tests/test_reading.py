"""Reading a message: intent cues per language, question sentences, the main complaint, the encoder bound."""

from __future__ import annotations

import pytest

from bot.intent import GENERAL, IntentCues, detect_intent


@pytest.mark.parametrize(
    ("text", "language", "intent"),
    [
        ("Hur lång tid tar det innan det går över?", "sv", "duration"),
        ("Hvor lenge varer det vanligvis?", "nb", "duration"),
        ("Hvor mange gange om dagen skal jeg lave øvelsen?", "da", "dose"),
        ("How many sets should I do?", "en", "dose"),
        ("Vilka övningar kan jag göra?", "sv", "exercises"),
        ("Hjelper det med innleggssåler?", "nb", "footwear"),
        ("Kan jeg blive ved med at løbe, eller skal jeg holde pause?", "da", "keep_training"),
        ("Should I get an MRI?", "en", "see_doctor"),
        ("Ska jag ta en kortisonspruta?", "sv", "treatment"),
        ("Er det farligt?", "da", "danger"),
        ("Why does it wake me up at night?", "en", "night_pain"),
        ("Varför får man det?", "sv", "cause"),
        ("Hva kan jeg gjøre selv?", "nb", "self_care"),
        ("Finns det något jag kan göra?", "sv", "self_care"),
        ("Er der noget jeg kan gøre?", "da", "self_care"),
        ("What is plantar fasciitis?", "en", "what_is"),
    ],
)
def test_intent_cues_per_language(text, language, intent):
    assert detect_intent(text, language) == intent


def test_the_more_specific_intent_wins_inside_a_sentence():
    cues = IntentCues.load()
    assert cues.found("Is it dangerous to keep running?", "en")[:2] == ["danger", "keep_training"]
    assert detect_intent("Is it dangerous to keep running?", "en") == "danger"


def test_the_first_cued_sentence_decides():
    assert detect_intent("How long will it take? And should I buy insoles?", "en") == "duration"


def test_typed_without_nordic_keys_and_uncued_text():
    assert detect_intent("Hvor laenge varer det?", "da") == "duration"
    assert detect_intent("Hej hej", "sv") == GENERAL
    assert detect_intent("What is it?", "xx") == GENERAL


# -- reading a message ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reader():
    from bot.glossary import Glossary
    from bot.reading import Reader

    return Reader.load(Glossary.load())


@pytest.mark.parametrize(
    ("message", "language", "questions"),
    [
        ("Jag är 40 och springer mycket. Sedan en månad har jag ont i hälen. Vad kan jag göra?", "sv",
         ("Vad kan jag göra?",)),
        ("Jeg har haft ondt i læggen længe. Hvor lang tid tager det at hele. Skal jeg stoppe med at løbe",
         "da", ("Hvor lang tid tager det at hele.", "Skal jeg stoppe med at løbe")),
        ("Har hatt vondt i hælen i tre uker. Jeg lurer på om innleggssåler hjelper.", "nb",
         ("Jeg lurer på om innleggssåler hjelper.",)),
        ("I have run for years, e.g. trails. My shin hurts. Tell me what helps.", "en", ("Tell me what helps.",)),
    ],
)
def test_the_sentences_that_ask_are_found_in_each_language(reader, message, language, questions):
    assert reader.read(message, language).questions == questions


def test_a_statement_with_the_subject_left_out_is_not_a_question(reader):
    reading = reader.read("Har haft ont i vaden i två veckor. Kan jag springa?", "sv")
    assert reading.questions == ("Kan jag springa?",)


def test_the_main_complaint_is_the_painful_site_not_a_mentioned_one(reader):
    reading = reader.read("I run in the park on my legs every day. My knee hurts on the stairs. Is it my shoes?", "en")
    assert reading.complaint.concept_id == "knee" and reading.complaint.scope == "out"
    assert reading.covered is None


def test_a_named_condition_outside_the_domain_takes_its_site_with_it(reader):
    reading = reader.read("Stortån är röd och svullen sedan i natt. Kan det vara gikt?", "sv")
    assert reading.complaint.concept_id == "gout" and reading.covered is None and reading.uncovered == ()


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("Jeg har en hård plet under foden, der gør ondt. Er dette en vorte?", "nb"),
        ("Min storetå er rød og hævet. Kan det være urinsyregigt?", "da"),
        ("I rolled my ankle again last week and it is swollen. Should I wear a brace?", "en"),
    ],
)
def test_a_foot_complaint_the_articles_do_not_treat_is_not_covered(reader, message, language):
    reading = reader.read(message, language)
    assert reading.complaint.scope == "out" and reading.covered is None


def test_negated_complaints_do_not_count(reader):
    reading = reader.read("No numbness and it is not my knee: my heel hurts every morning. What helps?", "en")
    assert {"numbness", "knee"} <= set(reading.negated)
    assert reading.complaint.concept_id == "heel" and not reading.others


def test_pain_radiating_from_the_hip_is_in_the_domain(reader):
    reading = reader.read("Det gör ont i höften och strålar ner i benet. Vad kan det vara?", "sv")
    assert reading.covered is not None and reading.covered.scope == "in"


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("It hurts from my knee to my ankle when I walk. What can it be?", "en"),
        ("Smerten går fra hoften og ned i læggen. Hvad kan det være?", "da"),
    ],
)
def test_pain_spreading_from_a_neighbouring_site_into_the_domain_is_covered(reader, message, language):
    reading = reader.read(message, language)
    assert reading.covered is not None and reading.covered.scope == "in" and not reading.uncovered


def test_two_sites_named_side_by_side_are_no_spread(reader):
    reading = reader.read("Jag har ont i knät och i foten. Vad kan det vara?", "sv")
    assert reading.complaint.concept_id == "knee" and reading.complaint.scope == "out"


def test_the_complaint_is_read_where_the_story_describes_it_in_the_domain_terms(reader):
    reading = reader.read("I fell on my buttock two years ago and it was sore for weeks. Now I have pain radiating "
                          "from my buttock down the back of my thigh. Could the fall be the cause?", "en")
    assert reading.complaint.concept_id == "buttock" and reading.complaint.sentence.startswith("Now")
    assert "radiating" in reading.focus


def test_the_complaint_sentence_comes_from_the_story_when_a_question_names_it_too(reader):
    reading = reader.read("Mina vader värker efter jobbet varje kväll. Hur får jag vaderna att sluta värka?", "sv")
    assert reading.complaint.concept_id == "calf"
    assert reading.complaint.sentence.startswith("Mina vader") and reading.focus.startswith("Mina vader")


def test_a_question_that_points_back_gets_the_story_sentence_in_its_focus(reader):
    reading = reader.read("I have done eccentric heel drops on a step every day for a month. Does that mean I can "
                          "stop now?", "en")
    assert reading.complaint is None and "eccentric" in reading.focus and "stop now" in reading.focus


def test_two_complaints_one_covered_one_not(reader):
    reading = reader.read("My knee hurts, and my heel too. What can I do?", "en")
    assert reading.complaint.concept_id == "knee"
    assert reading.covered.concept_id == "heel" and [c.concept_id for c in reading.uncovered] == ["knee"]
    assert "heel" in reading.focus


@pytest.mark.parametrize(
    ("message", "language", "kind"),
    [
        ("hej", "sv", "greeting"),
        ("Hei hei!", "nb", "greeting"),
        ("Good morning", "en", "greeting"),
        ("tack!", "sv", "thanks"),
        ("Mange tak for hjælpen", "da", "thanks"),
        ("I have pain", "en", "vague"),
        ("Det gør ondt", "da", "vague"),
        ("Jag har ont", "sv", "vague"),
        ("hej, jag har ont i hälen", "sv", "question"),
        ("What is the capital of France?", "en", "question"),
    ],
)
def test_greetings_thanks_and_vague_messages(reader, message, language, kind):
    assert reader.read(message, language).kind == kind


def test_a_vague_follow_up_is_read_as_a_question(reader):
    assert reader.read("It still hurts", "en", ["My Achilles tendon hurts when I run"]).kind == "question"


def test_a_follow_up_borrows_the_topic_into_its_focus(reader):
    reading = reader.read("How long does it take?", "en", ["My Achilles tendon hurts when I run"])
    assert reading.borrowed and "achilles_tendon" in reading.topic and reading.focus.startswith("achilles")


def test_the_focus_is_bounded_whatever_the_length_of_the_message(reader):
    story = "Jag har sprungit i många år och tränat inför lopp i skogen och på asfalt. " * 30
    reading = reader.read(story + "Jag har ont i hälen. Vad kan jag göra åt det?", "sv")
    from bot.reading import FOCUS_CHARS

    assert len(reading.focus) <= FOCUS_CHARS and "Vad kan jag göra" in reading.focus


def test_the_complaint_window_finds_a_term_spelled_with_letters_that_fold_wider(reader):
    # "hælen" is found as the Swedish "hälen" (æ folds to two letters, ä to one): the window is placed where the
    # writer named it, not guessed from the term's spelling.
    reading = reader.read("Hver eneste morgen, når jeg står op af sengen og tager de allerførste skridt hen over "
                          "gulvet, gør det ondt i hælen. Hvad kan jeg selv gøre?", "da")
    assert reading.complaint.concept_id == "heel" and "i hælen" in reading.focus


def test_the_intent_comes_from_the_question_not_the_story(reader):
    reading = reader.read("My doctor sent me for an X-ray last year. Which exercises help a heel spur?", "en")
    assert reading.intent == "exercises"


# -- the encoder input bound ---------------------------------------------------------------------------------
def test_a_long_query_is_encoded_within_the_token_bound():
    from bot.embed import MAX_QUERY_TOKENS, E5SmallQ4

    encoder = E5SmallQ4()
    message = ("Hej, jag har haft ont i hälsenan länge och undrar vad jag ska göra. " * 40)[:2000]
    assert encoder.tokens(message) > 4 * MAX_QUERY_TOKENS
    bounded = encoder.bounded(message)
    assert encoder.tokens(bounded) <= MAX_QUERY_TOKENS and message.startswith(bounded)
    vectors = encoder.queries([message, bounded])
    assert vectors.shape == (2, encoder.dim) and float(vectors[0] @ vectors[1]) > 0.999
