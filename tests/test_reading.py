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
