"""The red-flag layer: every category in every language, negation, traps, questions about red flags,
conversations, precedence, escalation texts and numbers, audits, and the data files' own checks."""

from __future__ import annotations

import shutil

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import DATA_DIR, LANGUAGES
from bot.redflags import RedFlagError, RedFlagRules, Safety


@pytest.fixture(scope="module")
def safety() -> Safety:
    return Safety.load()


@pytest.fixture(scope="module")
def rules(safety) -> RedFlagRules:
    return safety.rules


# (language, category, message): people describing a red flag, as they write it.
POSITIVE = [
    ("sv", "cauda_equina", "Jag har tappat känseln mellan benen och kissar på mig"),
    ("sv", "cauda_equina", "Sedan i går kan jag inte kissa trots att jag är kissnödig, och ryggen värker"),
    ("sv", "cauda_equina", "Det känns bedövat runt ändtarmen och jag har ischias"),
    ("da", "cauda_equina", "Jeg har mistet følelsen omkring endetarmen"),
    ("da", "cauda_equina", "Jeg kan ikke holde på vandet længere og har ondt i lænden"),
    ("nb", "cauda_equina", "Eg har mista kjensla i skrittet og klarer ikkje å tisse"),
    ("nb", "cauda_equina", "Jeg har lekket avføring og har isjias"),
    ("en", "cauda_equina", "I've lost feeling around my back passage and my back is killing me"),
    ("en", "cauda_equina", "I can't pee since yesterday and my sciatica is bad"),
    ("sv", "blood_clot", "Vänster vad är varm, röd och svullen"),
    ("sv", "blood_clot", "Högra benet har svullnat upp plötsligt"),
    ("sv", "blood_clot", "Jag tror att jag har fått en propp i benet"),
    ("da", "blood_clot", "Læggen er hævet og rød og gør ondt"),
    ("da", "blood_clot", "det ene ben er pludselig blevet tykt"),
    ("nb", "blood_clot", "Leggen min er hoven, varm og rød"),
    ("nb", "blood_clot", "Eg trur eg har blodpropp i foten"),
    ("en", "blood_clot", "My right calf is swollen and hot to the touch"),
    ("en", "blood_clot", "I think I have a DVT"),
    ("sv", "chest_breathing", "Jag har ont i bröstet och benet är svullet"),
    ("sv", "chest_breathing", "jag får inte luft och vaden är svullen"),
    ("da", "chest_breathing", "Jeg har åndenød og ondt i læggen"),
    ("da", "chest_breathing", "Jeg er svimmel og har ondt i benet"),
    ("nb", "chest_breathing", "Eg får ikkje puste skikkeleg og leggen er vond"),
    ("nb", "chest_breathing", "Jeg besvimte i går og har vondt i beinet"),
    ("en", "chest_breathing", "I'm short of breath and my calf hurts"),
    ("en", "chest_breathing", "I'm coughing up blood and my leg is swollen"),
    ("sv", "trauma", "Jag ramlade av cykeln och kan inte stå på foten"),
    ("sv", "trauma", "Jag föll i trappan och foten ser sned ut"),
    ("sv", "trauma", "Jag hörde en smäll i hälsenan och kan inte stå på tå"),
    ("da", "trauma", "Jeg faldt på cyklen og anklen er hævet og gør voldsomt ondt"),
    ("da", "trauma", "Jeg væltede og benet ser skævt ud"),
    ("nb", "trauma", "Jeg falt på ski og klarer ikke å gå på foten"),
    ("nb", "trauma", "Eg skled på isen og no ser foten skeiv ut"),
    ("en", "trauma", "I fell off a ladder and can't put weight on my leg"),
    ("en", "trauma", "a heavy box fell on my foot and crushed it"),
    ("sv", "trauma", "Jag skar mig på en glasbit i foten och det slutar inte blöda"),
    ("da", "trauma", "Jeg faldt af stigen og skinnebenet er bøjet"),
    ("nb", "trauma", "Det er mye blod, jeg kuttet meg på leggen"),
    ("en", "trauma", "fell off my bike, my shin is bent and bleeding"),
    ("en", "trauma", "cut my calf on a fence and it won't stop bleeding"),
    ("sv", "systemic", "Jag har feber och ont i ryggen"),
    ("sv", "systemic", "jag har gått ner 8 kilo utan att försöka och har ont i benet på natten"),
    ("sv", "systemic", "Jag har haft bröstcancer och nu har jag fått ont i ryggen"),
    ("da", "systemic", "Jeg har tabt 6 kilo uden at prøve"),
    ("da", "systemic", "Jeg har haft kulderystelser og ondt i ryggen"),
    ("nb", "systemic", "Eg har nattesvette og vondt i ryggen"),
    ("nb", "systemic", "Jeg har hatt kreft og nå har jeg fått vondt i beinet"),
    ("en", "systemic", "I've been having night sweats and leg pain"),
    ("en", "systemic", "My weight dropped 8 kg for no reason and my back aches at night"),
    ("sv", "neuro_deficit", "Plötsligt kan jag inte lyfta foten"),
    ("sv", "neuro_deficit", "Benet blir svagare och svagare"),
    ("da", "neuro_deficit", "Jeg slæber foden efter mig"),
    ("da", "neuro_deficit", "Foden dasker ned i gulvet, når jeg går"),
    ("nb", "neuro_deficit", "Eg klarer ikkje å løfte foten"),
    ("nb", "neuro_deficit", "Foten min er blitt slapp og jeg drar den etter meg"),
    ("en", "neuro_deficit", "I can't lift my toes anymore"),
    ("en", "neuro_deficit", "my foot is dragging when I walk"),
    ("sv", "limb_ischemia", "Benet blev plötsligt kallt och vitt"),
    ("sv", "limb_ischemia", "Tårna är blåa och kalla och jag har jätteont"),
    ("da", "limb_ischemia", "Foden er kold og hvid"),
    ("da", "limb_ischemia", "Jeg kan ikke finde pulsen på foden"),
    ("nb", "limb_ischemia", "Foten er likblek og iskald"),
    ("nb", "limb_ischemia", "No er foten kald og kvit"),
    ("en", "limb_ischemia", "My foot is cold and pale"),
    ("en", "limb_ischemia", "there is no pulse in my foot"),
    ("sv", "self_harm", "Jag vill inte leva längre"),
    ("sv", "self_harm", "Det vore bättre om jag inte fanns"),
    ("da", "self_harm", "Jeg har selvmordstanker"),
    ("da", "self_harm", "jeg orker ikke at leve mere"),
    ("nb", "self_harm", "Eg vil ikkje leve lenger"),
    ("nb", "self_harm", "Jeg har tenkt på å ta livet av meg"),
    ("en", "self_harm", "I want to end my life"),
    ("en", "self_harm", "I don't want to live anymore with this pain"),
    ("sv", "self_harm", "Jag vill bara inte finnas längre"),
    ("da", "self_harm", "jeg vil ikke være her mere"),
    ("nb", "self_harm", "Jeg vil ikke våkne i morgen"),
    ("en", "self_harm", "i dont want to be here anymore"),
    ("en", "self_harm", "some days I don't want to wake up"),
]

# Ordinary messages of a leg-pain chat: they must reach retrieval.
ORDINARY = [
    ("sv", "Jag har ont i hälen när jag går upp på morgonen"),
    ("sv", "Hur länge ska jag vila efter en stressfraktur?"),
    ("sv", "Jag har ont i smalbenet efter löpning"),
    ("sv", "Jag har gått ner i vikt och hälsporren har blivit bättre"),
    ("da", "Hvad kan jeg selv gøre ved iskias?"),
    ("da", "Hvorfor gør mine ben ondt om natten?"),
    ("da", "Hælen er øm og lidt hævet"),
    ("da", "Jeg har iskias i venstre ben og har svært ved at sidde"),
    ("nb", "Jeg får vondt under foten når jeg står opp"),
    ("nb", "Hvordan trener jeg eksentrisk for akillessenen?"),
    ("nb", "Jeg har hevelse rundt hælen"),
    ("en", "What exercises help plantar fasciitis?"),
    ("en", "I have pins and needles in my foot"),
    ("en", "My ankles swell in hot weather"),
    ("en", "I can't sleep because of the pain in my heel"),
    # Both legs swell with exertion, one a little more: not a clot's one-sided swelling.
    ("da", "Begge underben bliver hævede og ømme når jeg løber stærkt, mest det venstre"),
    ("en", "Both my shins swell after hard runs, the left one slightly more than the right"),
]

# Denied symptoms: a negation with its scope in each language.
NEGATED = [
    ("sv", "Jag har ingen feber men ont i hälsenan"),
    ("sv", "Benet är inte svullet eller rött"),
    ("sv", "Jag har inte tappat känseln i skrevet"),
    ("sv", "Feber har jag inte."),
    ("da", "Jeg har ikke feber og benet er ikke hævet"),
    ("da", "Jeg har ikke mistet kontrollen over blæren"),
    ("da", "Ingen hævelse, rødme eller varme i læggen"),
    ("nb", "Eg har ikkje feber, men det er vondt i hælen"),
    ("nb", "Jeg har ikke hevelse i leggen"),
    ("nb", "Foten er verken kald eller blek"),
    ("en", "no swelling, redness or warmth in my calf"),
    ("en", "My calf is not swollen and I have no fever"),
    ("en", "I have no loss of feeling in my groin"),
    ("en", "I have no trouble breathing and no chest pain"),
]

# Words that look like a symptom and are not.
TRAPS = [
    ("sv", "Det domnar i rumpan när jag suttit länge"),
    ("sv", "Jag blir andfådd när jag springer uppför backar"),
    ("sv", "Hur ska jag andas rätt när jag springer?"),
    ("sv", "Ska jag använda värme eller kyla på vaden när den är svullen?"),
    ("da", "Jeg faldt i søvn på sofaen og vågnede med ondt i ryggen"),
    ("da", "Jeg har prikken i skridtet når jeg har siddet længe på cyklen"),
    ("da", "Skal jeg hæve benet, når det er hævet?"),
    ("nb", "Jeg falt i søvn med beina i kryss og nå prikker det i foten"),
    ("nb", "Mine føtter er alltid kalde og bleke om vinteren"),
    ("en", "I fell asleep on the couch and my back hurts"),
    ("en", "I fell in love with running again"),
    ("en", "How do I breathe properly when running?"),
    ("en", "I warm up before running, but my calf is still swollen and sore"),
    ("en", "Is it a stress fracture if my shin hurts after a fall in training? It is not swollen."),
]

# Questions about red flags describe no symptom.
ABOUT = [
    ("sv", "När ska man söka vård vid blodpropp?"),
    ("sv", "Hur vet man om man har en blodpropp?"),
    ("da", "Hvornår skal jeg kontakte læge ved ondt i benene?"),
    ("da", "Er kramper i benene farlige?"),
    ("da", "Kan iskias give problemer med at tisse?"),
    ("nb", "Når er isjias farlig?"),
    ("nb", "Hvordan kan jeg forebygge blodpropp når jeg flyr?"),
    ("en", "When is sciatica dangerous?"),
    ("en", "What are the warning signs of a blood clot?"),
    ("en", "Can sciatica cause bladder problems?"),
]


@pytest.mark.parametrize(("lang", "category", "text"), POSITIVE)
def test_red_flags_fire_with_their_category(rules, lang, category, text):
    flag = rules.check(text)
    assert flag is not None, rules.explain(text)
    assert flag.category == category, rules.explain(text)
    assert flag.matched and flag.numbers == ()


def test_every_category_has_positive_cases_in_every_language():
    covered = {(lang, category) for lang, category, _ in POSITIVE}
    categories = yaml.safe_load((DATA_DIR / "redflag_categories.yaml").read_text())["categories"]
    assert covered == {(lang, c) for lang in LANGUAGES for c in categories}


@pytest.mark.parametrize(("lang", "text"), ORDINARY + NEGATED + TRAPS + ABOUT)
def test_no_red_flag(rules, lang, text):
    assert rules.check(text) is None, rules.explain(text)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ena benet ar svullet rott och varmt", "blood_clot"),
        ("ENA BENET ÄR SVULLET, RÖTT OCH VARMT", "blood_clot"),
        ("har ikke folelse i skrittet", "cauda_equina"),
        ("jeg har andenod og ondt i laeggen", "chest_breathing"),
        ("jeg har aandenoed og ondt i laeggen", "chest_breathing"),
        ("benet er haevet og rodt", "blood_clot"),
        ("jag har tappat kanseln i underlivet", "cauda_equina"),
        ("fotterna ar iskalla och blaa", "limb_ischemia"),
        ("jeg kan ikke lofte foden", "neuro_deficit"),
    ],
)
def test_spellings_without_nordic_letters(rules, text, category):
    flag = rules.check(text)
    assert flag and flag.category == category, rules.explain(text)


def test_a_symptom_both_denied_and_asserted_escalates(rules):
    assert rules.check("Ingen hævelse i går, men i dag er læggen hævet og rød")
    assert rules.check("No fever yesterday but now I have a fever and my back aches")


def test_a_denial_does_not_reach_past_its_clause(rules):
    assert rules.check("Jag har ingen feber, men vaden är svullen, röd och varm").category == "blood_clot"
    assert rules.check("I can't walk far and my calf is swollen, red and hot").category == "blood_clot"
    assert rules.check("Ingen smerter i ryggen, men jeg kan ikke tisse").category == "cauda_equina"


def test_describing_a_symptom_and_then_asking_escalates(rules):
    assert rules.check("Vaden är svullen, röd och varm – kan det vara en blodpropp?").category == "blood_clot"
    assert rules.check("Er det farligt hvis læggen er hævet, rød og varm?").category == "blood_clot"
    assert rules.check("Is it serious that my foot has gone cold and white?").category == "limb_ischemia"


def test_self_harm_fires_in_any_context(rules):
    for text in (
        "Jag har inga självmordstankar men smärtan tar knäcken på mig",
        "Kan smerter give selvmordstanker?",
        "I fell asleep thinking I want to die",
    ):
        flag = rules.check(text)
        assert flag and flag.category == "self_harm", rules.explain(text)


@pytest.mark.parametrize(
    ("earlier", "message", "category"),
    [
        (["My calf hurts when I run"], "Now it is swollen and red", "blood_clot"),
        (["Jag har ont i vaden"], "Nu har den plötsligt svullnat", "blood_clot"),
        (["Leggen er vond"], "Nå er jeg svimmel", "chest_breathing"),
        (["I fell off my bike yesterday", "What should I do?"], "Now I can't put any weight on it", "trauma"),
        (["Jeg har haft ondt i ryggen i to uger"], "og nu har jeg fået rejsningsproblemer", "cauda_equina"),
    ],
)
def test_earlier_turns_supply_the_other_features(rules, earlier, message, category):
    assert rules.check(message) is None, rules.explain(message)
    flag = rules.check(message, earlier)
    assert flag and flag.category == category, rules.explain(message, earlier)


def test_a_new_symptom_after_harmless_turns_escalates(rules):
    flag = rules.check("I can't hold my urine", ["my back hurts"])
    assert flag and flag.category == "cauda_equina"
    flag = rules.check("now it is swollen, red and hot", ["my calf hurts when I run"])
    assert flag and flag.category == "blood_clot"


def test_the_message_must_supply_a_feature_and_only_three_earlier_turns_count(rules):
    assert rules.check("Hur länge ska jag vila?", ["Jag har feber"]) is None
    assert rules.check("Nå er jeg svimmel", ["Leggen er vond", "Ok", "Takk", "Hva så?"]) is None
    assert rules.check("Nå er jeg svimmel", ["Leggen er vond", "Ok", "Takk"])


def test_an_emergency_in_a_recent_turn_stays_in_force(rules):
    earlier = ["Jeg har mistet følelsen i skridtet", "Hvad betyder det?"]
    flag = rules.check("Hvad skal jeg gøre nu?", earlier)
    assert flag and flag.category == "cauda_equina" and flag.matched == "mistet følelsen, i skridtet"
    assert "still in force" in rules.explain("Hvad skal jeg gøre nu?", earlier)
    assert rules.check("Hvad skal jeg gøre nu?", earlier + ["Ok", "Tak", "Farvel"]) is None
    # An urgent flag is kept too: no exercise advice right after a swollen, red, hot calf.
    flag = rules.check("Hur länge ska jag vila?", ["Jag har feber och ont i benet"])
    assert flag and flag.category == "systemic" and flag.level == "urgent"


def test_precedence_the_more_dangerous_category_wins(rules):
    text = "Vaden är svullen, röd och varm och jag har svårt att andas"
    assert rules.check(text).category == "chest_breathing"
    assert rules.check("Jeg faldt og nu kan jeg ikke tisse").category == "cauda_equina"
    assert rules.check("I fell and now I want to die").category == "self_harm"


def test_levels(rules):
    assert rules.check("Jag har ont i bröstet").level == "emergency"
    assert rules.check("Jag har feber och ont i benet").level == "urgent"


# ------------------------------------------------------------------------------------ escalation


def texts(lang: str) -> dict:
    return yaml.safe_load((DATA_DIR / "lang" / lang / "escalation.yaml").read_text(encoding="utf-8"))


def numbers(flag) -> list[str]:
    return [n.number for n in flag.numbers]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("country", ["SE", "DK", "NO", ""])
def test_every_category_escalates_in_every_language_and_country(safety, lang, country):
    for category in safety.rules.categories:
        probe = next(text for _, c, text in POSITIVE if c == category.name)
        text, flag = safety.escalation(safety.check(probe), lang, country)
        entry = texts(lang)["categories"][category.name]
        assert " ".join(entry["what"].split()) in text and texts(lang)["closing"] in text
        assert flag.category == category.name and flag.numbers
        assert all(n.number in text and n.label for n in flag.numbers)


def test_sweden_emergency_first_for_emergencies_and_advice_first_when_urgent(safety):
    text, flag = safety.escalation(safety.check("Jag har ont i bröstet"), "sv", "SE")
    assert numbers(flag) == ["112", "1177"] and "Ring 112 nu." in text
    text, flag = safety.escalation(safety.check("Jag har feber och ont i benet"), "sv", "SE")
    assert numbers(flag) == ["1177", "112"] and text.index("1177") < text.index("112")


def test_denmark_lists_1813_and_the_regional_doctor_on_call(safety):
    text, flag = safety.escalation(safety.check("Læggen er hævet og rød og gør ondt"), "da", "DK")
    assert numbers(flag)[0] == "1813" and "112" in numbers(flag) and len(numbers(flag)) > 3
    assert "1813" in text and "lægevagt" in text.lower()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_norway_uses_113_and_never_offers_112(safety, lang):
    for _, category, probe in POSITIVE:
        text, flag = safety.escalation(safety.check(probe), lang, "NO")
        assert "112" not in text and "112" not in numbers(flag), category
        assert "113" in numbers(flag)
    text, flag = safety.escalation(safety.check("Eg har vondt i brystet"), lang, "NO")
    assert numbers(flag)[0] == "113"
    _, flag = safety.escalation(safety.check("Leggen er hoven, rød og varm"), lang, "NO")
    assert numbers(flag) == ["116 117", "113"]


@pytest.mark.parametrize(("country", "line"), [("SE", "90101"), ("DK", "70 201 201"), ("NO", "116 123")])
def test_self_harm_carries_the_national_line(safety, country, line):
    for lang in LANGUAGES:
        text, flag = safety.escalation(safety.check("jag vill dö"), lang, country)
        assert line in numbers(flag) and line in text
        assert numbers(flag)[0] in ("112", "113")
    _, flag = safety.escalation(safety.check("Jag har ont i bröstet"), "sv", country)
    assert line not in numbers(flag)


def test_unknown_country_lists_every_country_and_ties_112_to_sweden_and_denmark(safety):
    text, flag = safety.escalation(safety.check("my chest hurts"), "en", "")
    assert {"112", "113", "1177", "1813", "116 117"} <= set(numbers(flag))
    assert "113 (Norway)" in text and "112 (Sweden, Denmark)" in text
    assert all("Norway" not in n.label for n in flag.numbers if n.number == "112")
    assert "Sweden:" in text and "Denmark:" in text and "Norway:" in text


# ------------------------------------------------------------------------------------------ audit


def test_explain_a_fired_rule(rules):
    audit = rules.explain("Vänster vad är varm, röd och svullen")
    assert "result: blood_clot (urgent)" in audit
    assert "swelling='svullen'" in audit and "leg='Vänster vad'" in audit


def test_explain_a_negated_symptom(rules):
    audit = rules.explain("Jeg har ingen feber")
    assert "fever 'feber'" in audit and "negated by cue 'ingen'" in audit
    assert "result: no red flag" in audit


def test_explain_a_trapped_word(rules):
    audit = rules.explain("I fell asleep on the sofa")
    assert "injury 'fell'" in audit and "suppressed by trap 'fell asleep'" in audit
    assert "result: no red flag" in audit


def test_explain_a_question_about_red_flags_and_earlier_turns(rules):
    audit = rules.explain("Hur vet man om man har en blodpropp?")
    assert "in a general question" in audit and "result: no red flag" in audit
    audit = rules.explain("Nu har den plötsligt svullnat", ["Jag har ont i vaden"])
    assert audit.startswith("earlier turn: 'Jag har ont i vaden'") and "result: blood_clot" in audit


# ------------------------------------------------------------------------------------- properties

HARMLESS = [
    "Jag jobbar på kontor",
    "Vi bor i Göteborg",
    "Tack för hjälpen",
    "Jag gillar att läsa böcker",
    "Jeg arbejder som lærer",
    "Vi har en hund",
    "Tak for svaret",
    "Jeg kan godt lide at lave mad",
    "Jeg jobber i en butikk",
    "Eg bur på Voss",
    "Takk for hjelpa",
    "Jeg liker å lese",
    "I work in an office",
    "Thanks for your help",
    "We have two children",
    "I like reading books",
]


def test_harmless_sentences_have_no_red_flag_words(rules):
    for sentence in HARMLESS:
        assert rules.analyse(sentence).matches == [], rules.explain(sentence)


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from(POSITIVE),
    clause=st.sampled_from(HARMLESS),
    separator=st.sampled_from([". ", "! ", "? ", "\n", ", ", " – "]),
    before=st.booleans(),
)
def test_an_unrelated_clause_never_removes_an_escalation(rules, case, clause, separator, before):
    _, category, text = case
    combined = clause + separator + text if before else text + separator + clause
    flag = rules.check(combined)
    assert flag and flag.category == category, rules.explain(combined)


# ------------------------------------------------------------------------------------------- data


def test_every_language_gives_words_for_every_concept():
    declared = set(yaml.safe_load((DATA_DIR / "redflag_categories.yaml").read_text())["concepts"])
    for lang in LANGUAGES:
        data = yaml.safe_load((DATA_DIR / "lang" / lang / "redflags.yaml").read_text(encoding="utf-8"))
        assert set(data["concepts"]) == declared, lang


def broken_copy(tmp_path, rel: str, old: str, new: str):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return data


def test_an_undeclared_concept_names_the_file(tmp_path):
    data = broken_copy(tmp_path, "lang/sv/redflags.yaml", "  chest_pain:\n", "  chest_pains:\n")
    with pytest.raises(RedFlagError, match=r"sv/redflags.yaml: concepts.chest_pains"):
        RedFlagRules.load(data)


def test_a_pattern_that_starts_with_a_gap_names_file_and_entry(tmp_path):
    data = broken_copy(tmp_path, "lang/da/redflags.yaml", '    - "brystsmert*"', '    - ".. brystsmert*"')
    with pytest.raises(RedFlagError, match=r"da/redflags.yaml: concepts.chest_pain"):
        RedFlagRules.load(data)


def test_an_unquoted_country_code_is_refused(tmp_path):
    data = broken_copy(tmp_path, "countries.yaml", '  "NO":', "  NO:")
    with pytest.raises(RedFlagError, match="countries.yaml"):
        Safety.load(data)


def test_a_rule_with_an_unknown_concept_is_refused(tmp_path):
    data = broken_copy(tmp_path, "redflag_categories.yaml", "      - [chest_pain]", "      - [chest_ache]")
    with pytest.raises(RedFlagError, match="chest_ache"):
        RedFlagRules.load(data)
