"""Language detection: the reply language of chat messages in sv, da, nb/nn and en, written with or
without diacritics; the conversation's language for short messages; unsupported languages recognised."""

from __future__ import annotations

import shutil

import pytest

from bot.config import DATA_DIR, LANGUAGES
from bot.language import LanguageDetector
from bot.text import fold


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector.load()


CLEAR = [
    ("sv", "sv", "Jag har haft ont i vaden i två veckor, vad ska jag göra?"),
    ("sv", "sv", "Hur länge ska man vila när hälsenan är svullen?"),
    ("sv", "sv", "Det värker under foten varje morgon när jag kliver upp"),
    ("sv", "sv", "Kan jag fortsätta springa fast det gör ont i knät?"),
    ("da", "da", "Jeg har haft ondt i læggen i to uger, hvad skal jeg gøre?"),
    ("da", "da", "Hvor længe skal man hvile, når akillessenen er hævet?"),
    ("da", "da", "Det gør ondt under foden hver morgen, når jeg står op"),
    ("da", "da", "Kan jeg fortsætte med at løbe, selvom det gør ondt i knæet?"),
    ("nb", "nb", "Jeg har hatt vondt i leggen i to uker, hva bør jeg gjøre?"),
    ("nb", "nb", "Hvor lenge må man hvile når akillessenen er hoven?"),
    ("nb", "nb", "Det verker under foten hver morgen når jeg står opp"),
    ("nb", "nb", "Kan jeg fortsette å løpe selv om det gjør vondt i kneet?"),
    ("nb", "nn", "Eg har hatt vondt i leggen i to veker, kva bør eg gjere?"),
    ("nb", "nn", "Korleis kan eg trene når det gjer vondt i hælen?"),
    ("nb", "nn", "Kvifor får eg ikkje sove om natta når foten verkar?"),
    ("en", "en", "I've had pain in my calf for two weeks, what should I do?"),
    ("en", "en", "How long should I rest when my Achilles tendon is swollen?"),
    ("en", "en", "my heel hurts every morning when i get out of bed"),
]


@pytest.mark.parametrize(("language", "detected", "text"), CLEAR)
def test_clear_messages(detector, language, detected, text):
    guess = detector.detect(text)
    assert (guess.language, guess.detected, guess.supported) == (language, detected, True), guess.reason
    assert guess.confident


@pytest.mark.parametrize(("language", "detected", "text"), CLEAR)
def test_clear_messages_typed_without_diacritics(detector, language, detected, text):
    guess = detector.detect(fold(text))
    assert (guess.language, guess.detected) == (language, detected), guess.reason


# Danish and Norwegian differ in a handful of words; each pair is otherwise the same message.
MINIMAL_PAIRS = [
    ("Hvad skal jeg gøre med hælen?", "Hva skal jeg gjøre med hælen?"),
    ("Hvornår kan jeg begynde at træne igen?", "Når kan jeg begynne å trene igjen?"),
    ("Jeg har ondt i hælen", "Jeg har vondt i hælen"),
    ("Det gør ondt efter en lang gåtur", "Det gjør vondt etter en lang gåtur"),
    ("Hvad hjælper mod ondt i ryggen?", "Hva hjelper mot vondt i ryggen?"),
    ("Skal jeg gå til lægen med det?", "Skal jeg gå til legen med det?"),
]


@pytest.mark.parametrize(("danish", "norwegian"), MINIMAL_PAIRS)
@pytest.mark.parametrize("spelling", [str, fold], ids=["as-written", "without-diacritics"])
def test_danish_norwegian_minimal_pairs(detector, danish, norwegian, spelling):
    assert detector.detect(spelling(danish)).language == "da"
    assert detector.detect(spelling(norwegian)).language == "nb"


def test_word_frequencies_tell_spellings_apart_that_no_marker_list_holds(detector):
    # Neither word is a marker word: only their frequency in Danish and Norwegian text tells them apart.
    assert not any(word in detector._markers["raw"] for word in ("skridtet", "skrittet"))
    assert detector.detect("har ikke følelse i skridtet").language == "da"
    assert detector.detect("har ikke følelse i skrittet").language == "nb"


def test_without_word_lists_the_frequency_evidence_is_off(data):
    for path in (data / "lang").glob("*/language.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("wordfreq:", "# wordfreq:"), encoding="utf-8")
    detector = LanguageDetector.load(data)
    assert detector._far_more_common_in("skrittet") is None
    assert LanguageDetector.load()._far_more_common_in("skrittet") == "nb"


@pytest.mark.parametrize("previous", ["sv", "da", "nb", "en"])
@pytest.mark.parametrize("text", ["tack", "ok takk", "hvad så", "thanks!", "hælspore", "ja"])
def test_short_message_keeps_the_conversation_language(detector, text, previous):
    guess = detector.detect(text, previous)
    assert (guess.language, guess.supported, guess.confident) == (previous, True, False)


def test_nynorsk_as_previous_means_bokmal(detector):
    assert detector.detect("ja takk", "nn").language == "nb"


@pytest.mark.parametrize("previous", ["da", "nb"])
def test_message_shared_by_danish_and_norwegian_keeps_the_conversation_language(detector, previous):
    # Every word here is both Danish and Norwegian.
    assert detector.detect("smerter i hælen om morgenen", previous).language == previous


@pytest.mark.parametrize(
    ("previous", "text", "language"),
    [
        ("sv", "What exercises help with heel pain?", "en"),
        ("en", "Hvad kan jeg gøre ved ondt i knæet?", "da"),
        ("da", "Vad kan jag göra åt ont i knät?", "sv"),
        ("sv", "Hva kan jeg gjøre med vondt i kneet?", "nb"),
    ],
)
def test_a_clear_message_switches_language(detector, previous, text, language):
    assert detector.detect(text, previous).language == language


@pytest.mark.parametrize(
    ("text", "language"),
    [("hälsporre", "sv"), ("vondt i hælen", "nb"), ("ondt i foden", "da"), ("heel pain", "en")],
)
def test_short_message_without_conversation_gets_the_best_guess(detector, text, language):
    assert detector.detect(text).language == language


UNSUPPORTED = [
    ("de", "Ich habe seit drei Wochen Schmerzen in der Ferse"),
    ("de", "Was kann ich gegen die Schmerzen im Bein tun?"),
    ("fi", "Minulla on ollut kipua jalassa kolme viikkoa"),
    ("fi", "Kantapäähän sattuu aamulla kun nousen sängystä"),
    ("fr", "J'ai mal au genou quand je cours le matin"),
    ("fr", "Que faire contre une douleur au talon ?"),
    ("es", "Me duele la rodilla cuando corro por la mañana"),
    ("pl", "Boli mnie noga kiedy chodzę po schodach"),
    ("nl", "Mijn hiel doet pijn als ik 's ochtends opsta"),
]


@pytest.mark.parametrize(("code", "text"), UNSUPPORTED)
@pytest.mark.parametrize("previous", [None, "sv"])
def test_unsupported_language_is_answered_in_english(detector, code, text, previous):
    guess = detector.detect(text, previous)
    assert (guess.language, guess.detected, guess.supported) == ("en", code, False), guess.reason


def test_text_in_another_script_is_unsupported_even_when_short(detector):
    guess = detector.detect("Болит нога", "da")
    assert (guess.language, guess.supported) == ("en", False)


# Scandinavian text that a language guesser for 55 languages tends to call German, Dutch or Afrikaans.
NORDIC_KEYWORDS = [
    "stiv akillessene om morgenen efter lobetur",
    "halsena stel efter lopning pa morgonen",
    "hoven ankel etter overtrakk i helgen",
    "smerter under hælen ved første skridt",
    "vondt i hofta og leggen etter trening",
    "ont i ljumsken nar jag springer",
    "isjias med utstråling til foten",
    "diskusprolaps med udstråling ned i benet",
]


@pytest.mark.parametrize("text", NORDIC_KEYWORDS)
def test_scandinavian_keyword_messages_are_never_unsupported(detector, text):
    guess = detector.detect(text)
    assert guess.supported and guess.language in ("sv", "da", "nb"), guess.reason


@pytest.mark.parametrize("text", ["", "   ", "123", "42 ?!", "😀"])
def test_text_without_words_keeps_the_conversation_language(detector, text):
    guess = detector.detect(text, "da")
    assert (guess.language, guess.supported, guess.confident) == ("da", True, False)


@pytest.mark.parametrize("text", ["", "123"])
def test_text_without_words_and_without_conversation_gets_the_default(detector, text):
    guess = detector.detect(text)
    assert (guess.language, guess.detected, guess.supported) == (detector.tuning.default, "und", True)
    assert detector.tuning.default in LANGUAGES


def test_every_reply_language_has_marker_data(detector):
    assert set(detector.names) == set(LANGUAGES)
    assert {v.reply for v in detector.varieties} == set(LANGUAGES)


@pytest.fixture
def data(tmp_path):
    """A copy of the language data to edit."""
    shutil.copytree(DATA_DIR / "lang", tmp_path / "lang")
    shutil.copy(DATA_DIR / "language.yaml", tmp_path / "language.yaml")
    return tmp_path


def test_unquoted_yes_or_no_in_a_marker_list_is_an_error(data):
    path = data / "lang" / "en" / "language.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"no"', "no"), encoding="utf-8")
    with pytest.raises(ValueError, match="en/language.yaml"):
        LanguageDetector.load(data)


def test_a_language_is_added_with_a_data_file(data):
    (data / "lang" / "de").mkdir(exist_ok=True)  # German red-flag words may already be there
    (data / "lang" / "de" / "language.yaml").write_text(
        "name: Deutsch\n"
        "varieties:\n"
        "  - code: de\n"
        "    lingua: GERMAN\n"
        "    langdetect: [de]\n"
        "    strong: [ich, nicht, und, schmerzen, ferse]\n",
        encoding="utf-8",
    )
    guess = LanguageDetector.load(data).detect("Ich habe seit drei Wochen Schmerzen in der Ferse")
    assert (guess.language, guess.supported) == ("de", True)
