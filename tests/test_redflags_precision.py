"""Red flags as people write them: denials, past history, idioms, severity, kept flags and their end,
emergencies in languages the bot does not answer in, text as typed, and the countries whose numbers show."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.redflags import Safety
from bot.text import normalize_input


@pytest.fixture(scope="module")
def safety() -> Safety:
    return Safety.load()


def check(safety, text, earlier=()):
    return safety.check(normalize_input(text), [normalize_input(t) for t in earlier])


NOT_A_FLAG = [
    # denials, also leading ones and ones pointing back
    ("da", "Nej, jeg har ingen følelsesløshed i skridtet og ingen problemer med blæren."),
    ("nb", "Nei, jeg har ingen følelsesløshet i skrittet."),
    ("sv", "Läkaren frågade om domningar i skrevet eller svårt att kissa, men det har jag inte."),
    ("en", "The doctor asked about numbness in my groin or trouble peeing, but I don't have any of those."),
    # past, resolved history
    ("en", "I had a fever last month, and now my heel hurts when I walk."),
    ("da", "Jeg havde en blodprop i benet for fem år siden. Nu har jeg ondt i hælen."),
    ("sv", "Jag hade hög feber för två månader sedan, nu har jag ont i hälsenan."),
    ("nb", "Jeg hadde feber i fjor, og nå har jeg vondt i leggen."),
    ("en", "My toes went numb and white in the cold sea but went back to normal straight away."),
    # idioms
    ("nb", "Hælsporen tar livet av meg, hva er den beste tøyingen?"),
    ("sv", "Hälsporren tar livet av mig, vad ska jag göra?"),
    ("en", "I'm dying to run again, how long until my shin heals?"),
    # general questions about warning signs
    ("en", "When should I worry about sciatica?"),
    ("sv", "Vilka är varningstecknen på en blodpropp i benet?"),
    # fever alone is not this chat's red flag
    ("en", "I've had a fever for three days."),
    # exertion, weather
    ("da", "Jeg bliver forpustet, når jeg løber op ad bakke, og bagefter gør mine skinneben ondt."),
    ("sv", "Båda fotlederna svullnar på varma dagar när jag har stått hela dagen."),
]


@pytest.mark.parametrize(("lang", "text"), NOT_A_FLAG)
def test_no_flag(safety, lang, text):
    assert check(safety, text) is None, safety.explain(text)


FLAGS = [
    ("en", "self_harm", "It would be easier to just go to sleep and never wake up."),
    ("sv", "self_harm", "Jag vet inte om jag vill finnas kvar längre."),
    ("da", "self_harm", "Jeg ved ikke, om jeg har lyst til at være her mere."),
    ("nb", "self_harm", "Jeg tenker på å ta livet mitt."),
    ("en", "blood_clot", "I had a clot five years ago and now my left calf is swollen and red."),
    ("en", "blood_clot", "Flew back yesterday after 12 hours on the plane and my calf is tight and warm."),
    ("sv", "cauda_equina", "När jag torkar mig känner jag inte papperet, och ryggen värker."),
    ("sv", "cauda_equina", "Det är bortdomnat i skrevet sedan i går."),
    ("en", "chest_breathing", "tightnes in my chest and hard to breath"),
    ("en", "blood_clot", "my calf is swollen and purplish-red and my leg aches"),
    ("sv", "neuro_deficit", "Tårna på vänster fot lyder inte längre."),
    ("sv", "systemic", "Jag har haft bröstcancer och nu har jag fått ont i ryggen."),
]


@pytest.mark.parametrize(("lang", "category", "text"), FLAGS)
def test_flag(safety, lang, category, text):
    flag = check(safety, text)
    assert flag and flag.category == category, safety.explain(text)


@pytest.mark.parametrize(
    "text",
    [
        "I fell and can't get up, my hip hurts",
        "Mormor föll i badrummet och kan inte resa sig upp",
        "There is bone sticking out of my shin after the fall",
        "Jeg skar mig og blødningen vil ikke stoppe",
        "I fell off the ladder and my ankle is pointing the wrong way",
    ],
)
def test_severe_trauma_is_an_emergency(safety, text):
    flag = check(safety, text)
    assert flag and flag.category == "trauma" and flag.level == "emergency", safety.explain(text)


def test_an_urgent_flag_is_kept_until_taken_back(safety):
    earlier = ["My calf is swollen, red and hot"]
    flag = check(safety, "Should I stretch it or massage it?", earlier)
    assert flag and flag.category == "blood_clot" and flag.level == "urgent"
    for withdrawal in ["Sorry, wrong chat", "Förlåt, jag skrev fel", "Undskyld, forkert chat"]:
        assert check(safety, withdrawal, earlier) is None
        assert check(safety, "Should I stretch it?", earlier + [withdrawal]) is None
    # a new conversation has no earlier turns
    assert check(safety, "Should I stretch it or massage it?") is None


def test_symptoms_spread_over_turns_combine(safety):
    flag = check(safety, "Now my lower back hurts a lot too", ["I've had a fever for three days."])
    assert flag and flag.category == "systemic"


@pytest.mark.parametrize("code", ["de", "fi", "pl", "ar", "so", "fa", "tr", "uk", "ti"])
def test_every_unsupported_language_has_an_emergency_line(safety, code):
    for country, number in [("SE", "112"), ("NO", "113")]:
        line = safety.emergency_line(code, country)
        assert number in line and line == line.strip() and "\n" not in line
    both = safety.emergency_line(code, "")
    assert "112" in both and "113" in both


def test_an_emergency_in_german_gets_the_english_reply_and_a_german_line(safety):
    flag = check(safety, "I can't breathe and my chest hurts")
    text, flag = safety.escalation(flag, "en", ("SE",), "de")
    assert text.startswith("Im Notfall rufen Sie sofort 112 an.")
    assert "Call 112 now." in text
    text, _ = safety.escalation(flag, "sv", ("SE",), "sv")
    assert "Notfall" not in text


def test_unsure_danish_or_norwegian_gives_both_countries(safety):
    assert safety.countries("da", confident=False) == ("DK", "NO")
    assert safety.countries("nb", confident=False) == ("NO", "DK")
    assert safety.countries("da", confident=True) == ("DK",)
    assert safety.countries("nb", confident=False, configured="se") == ("SE",)
    text, flag = safety.escalation(check(safety, "Jeg har ondt i brystet"), "da", ("DK", "NO"))
    assert {"112", "113"} <= {n.number for n in flag.numbers} and "Norge" in text


@pytest.mark.parametrize(
    "typed",
    [
        unicodedata.normalize("NFD", "Jag har ont i bröstet och svårt att andas"),
        "Jag har ont i brö\u00adstet och svårt att an\u00addas",
        "Jag har ont i bröst\u200bet och svårt att an\u200ddas",
        "I have chest pаin and cаn't breаthe",  # Cyrillic а
    ],
)
def test_text_as_typed_does_not_hide_a_symptom(safety, typed):
    flag = check(safety, typed)
    assert flag and flag.category == "chest_breathing"


def test_normalize_keeps_other_scripts_and_plain_text():
    assert normalize_input("Привет, мир") == "Привет, мир"
    assert normalize_input("bröstet") == "bröstet"
    assert normalize_input("a \u200b b") == "a \u200b b"  # between words it hides nothing


HARMLESS = ["I work in an office", "Vi har en hund", "Jeg liker å lese", "Tack för hjälpen", "We live in Malmö"]


@settings(max_examples=200, deadline=None)
@given(
    case=st.sampled_from([c for c in FLAGS]),
    clause=st.sampled_from(HARMLESS),
    separator=st.sampled_from([". ", "! ", "\n", " – "]),
    before=st.booleans(),
)
def test_an_unrelated_clause_never_removes_an_escalation(safety, case, clause, separator, before):
    _, category, text = case
    combined = clause + separator + text if before else text + separator + clause
    flag = check(safety, combined)
    assert flag and flag.category == category, safety.explain(combined)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Mein Fuß ist plötzlich eiskalt und blass", "limb_ischemia"),
        ("Ich habe starke Schmerzen in der Brust", "chest_breathing"),
        ("Od wczoraj nie mogę oddać moczu i bolą mnie plecy", "cauda_equina"),
        ("Minulla on rintakipua", "chest_breathing"),
        ("Göğsüm ağrıyor ve nefes alamıyorum", "chest_breathing"),
    ],
)
def test_rule_words_of_languages_the_bot_does_not_answer_in(safety, text, category):
    flag = check(safety, text)
    assert flag and flag.category == category, safety.explain(text)


def test_negation_in_a_language_the_bot_does_not_answer_in(safety):
    assert check(safety, "Ich habe keine Schmerzen in der Brust") is None


def test_explain_names_the_deciding_layer(safety):
    audit = safety.explain("Jag har ont i bröstet")
    assert "decision: chest_breathing (emergency), layer rules" in audit
    assert "decision: no red flag" in safety.explain("Jag har ont i hälen")


FUNCTION_WORDS = (
    "a the to of and in it is I you that was for on are with as be at have this or if so now then "
    "och att det som en på är av för med till den har de inte om ett han men var jag sig från ta får "
    "og i at er til af ikke der mig min vi os nu da hvis ogsa "
    "å ikkje eg meg seg no kva ho dei om ta så"
)


def test_function_words_of_any_language_are_no_red_flag_words(safety):
    """Folding (å→a, ö→o, aa→å) must not turn a small word of one language into a symptom of another."""
    for word in FUNCTION_WORDS.split():
        assert safety.rules.analyse(word).matches == [], safety.explain(word)
