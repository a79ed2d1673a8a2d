"""Red flags in phrasings written for these tests from clinical knowledge (lay words, family members,
typos, euphemisms, long messages, several turns) and look-alikes that must not fire: the mechanisms, not the
dev rows, are what is tested."""

from __future__ import annotations

import pytest

from bot.redflags import Safety
from bot.text import normalize_input


@pytest.fixture(scope="module")
def safety() -> Safety:
    return Safety.load()


def check(safety, text, earlier=()):
    return safety.check(normalize_input(text), [normalize_input(t) for t in earlier])


FLAGS = [
    (
        "en",
        "cauda_equina",
        "since this morning I can't really feel myself when I go to the loo and my back is agony",
        [],
    ),
    ("en", "cauda_equina", "my wife says my saddle area is numb and I've started leaking urine", []),
    ("en", "cauda_equina", "Numbness around my bottom and I can't pass water properly", []),
    ("en", "cauda_equina", "I wet myself last night without waking up and my sciatica is in both legs now", []),
    ("sv", "cauda_equina", "Jag har domningar runt könsorganen och kan inte kissa ordentligt", []),
    (
        "sv",
        "cauda_equina",
        "Det känns som att jag sitter på en tennisboll, helt bedövat där nere, och ryggen värker",
        [],
    ),
    ("da", "cauda_equina", "Jeg kan ikke mærke når jeg skal tisse og jeg er følelsesløs omkring endetarmen", []),
    ("nb", "cauda_equina", "Jeg har blitt nummen i skrittet og har lekket urin i dag", []),
    ("en", "blood_clot", "my calf on one side has gone hard, hot and swollen since yesterday", []),
    ("en", "blood_clot", "I'm on the pill and my left calf is swollen and sore to touch", []),
    ("sv", "blood_clot", "Efter operationen av knät är hela underbenet svullet och varmt", []),
    ("da", "blood_clot", "Mit højre ben er pludselig hævet og rødt fra knæet og ned", []),
    ("nb", "blood_clot", "Etter flyturen fra Thailand er venstre legg hoven og øm", []),
    ("en", "chest_breathing", "I get breathless just sitting here and my leg has been swollen for days", []),
    ("en", "chest_breathing", "sharp pain when I breathe in and I'm coughing blood", []),
    ("sv", "chest_breathing", "Jag har tryck över bröstet och svettas", []),
    ("da", "chest_breathing", "Jeg besvimede i morges og har haft ondt i læggen", []),
    ("nb", "chest_breathing", "Jeg klarer ikke å få nok luft og leggen er hoven", []),
    ("en", "limb_ischemia", "my foot has gone cold and blue and it's agony", []),
    ("en", "limb_ischemia", "the toes on my right foot are white and freezing and I can't feel them", []),
    ("sv", "limb_ischemia", "Foten är iskall, blåaktig och domnad sedan en timme", []),
    ("da", "limb_ischemia", "Mit ben er koldt og blegt og jeg kan ikke mærke det", []),
    ("nb", "limb_ischemia", "Foten min er kald og blå og jeg har fryktelig vondt", []),
    ("en", "self_harm", "honestly I'd be better off dead than live with this sciatica", []),
    ("en", "self_harm", "I've been stockpiling my painkillers to end it", []),
    ("en", "self_harm", "sometimes I think about not being here anymore", []),
    ("sv", "self_harm", "Jag har funderat på att ta mitt liv, smärtan går aldrig över", []),
    ("sv", "self_harm", "Ibland vill jag bara somna in och slippa allt", []),
    ("da", "self_harm", "Jeg tænker på at tage mit eget liv", []),
    ("nb", "self_harm", "Jeg orker ikke å leve med disse smertene lenger", []),
    ("en", "trauma", "I came off my motorbike and my shin is bent in the middle", []),
    ("en", "trauma", "Dad slipped on the ice, he's on the floor and can't get up", []),
    ("en", "trauma", "I jumped off a wall, heard a crack and now I can't put any weight on my ankle", []),
    ("sv", "trauma", "Jag halkade på isen och foten pekar åt fel håll", []),
    ("da", "trauma", "Jeg er faldet og kan ikke rejse mig, hoften gør vildt ondt", []),
    ("nb", "trauma", "Jeg falt ned fra stigen og beinet ser skjevt ut", []),
    ("en", "neuro_deficit", "my foot slaps the floor when I walk since last week", []),
    ("en", "neuro_deficit", "both legs are getting weaker and weaker", []),
    ("sv", "neuro_deficit", "Jag kan inte lyfta tårna på höger fot längre", []),
    ("da", "neuro_deficit", "Min fod hænger og jeg kan ikke løfte den", []),
    ("nb", "neuro_deficit", "Jeg har mistet kraften i foten og den slepes etter meg", []),
    ("en", "systemic", "I've got a high temperature and my back is really sore", []),
    ("en", "systemic", "I've lost a stone without trying and my back aches at night", []),
    ("sv", "systemic", "Jag har frossa och ont i ryggen", []),
    ("da", "systemic", "Jeg har feber og ondt i lænden", []),
    ("nb", "systemic", "Jeg har hatt kreft og nå har jeg fått vondt i ryggen om natta", []),
    (
        "en",
        "cauda_equina",
        "My husband can't feel the toilet paper when he wipes and his back has been bad for a week",
        [],
    ),
    (
        "en",
        "cauda_equina",
        "Hi, I've been doing physio for my sciatica for 3 weeks, the exercises are ok. Yesterday I noticed I "
        "couldn't tell whether I'd finished peeing and there's a weird numb patch between my legs. Also can I "
        "swim with sciatica?",
        [],
    ),
    ("sv", "cauda_equina", "min pappa har ischias och har kissat på sig två gånger idag utan att märka det", []),
    ("da", "cauda_equina", "Jeg har iskias, og nu er jeg begyndt at have svært ved at holde på afføringen", []),
    ("nb", "cauda_equina", "Det prikker rundt endetarmen og jeg får ikke tisset skikkelig", []),
    ("en", "blood_clot", "my leg is swolen and red and hot on the left side", []),
    ("en", "blood_clot", "the calf is now puffy and warm", ["I flew back from Japan on Tuesday"]),
    ("sv", "blood_clot", "Min mamma har nyss opererat höften och nu är hennes vad svullen och röd", []),
    (
        "da",
        "blood_clot",
        "Jeg er gravid i uge 30 og mit venstre ben er blevet meget tykkere end det højre og gør ondt",
        [],
    ),
    ("nb", "blood_clot", "Leggen er blitt tykk og varm", ["Jeg har gips på foten etter et brudd"]),
    ("en", "chest_breathing", "my chest feels really heavy and I'm gasping", []),
    ("sv", "chest_breathing", "Jag svimmade nyss i köket och benet är svullet", []),
    ("da", "chest_breathing", "Jeg har fået hjertebanken og åndenød, og læggen er hævet", []),
    ("en", "limb_ischemia", "my foot went white and numb all of a sudden and it hurts like hell", []),
    ("sv", "limb_ischemia", "Min mormors fot är kall och marmorerad och hon har mycket ont", []),
    ("en", "self_harm", "i keep thinking my family would be better off without me", []),
    ("en", "self_harm", "I just want to go to sleep and not wake up", []),
    ("da", "self_harm", "Jeg har lyst til at dø, smerterne stopper aldrig", []),
    ("nb", "self_harm", "Noen ganger ønsker jeg at jeg var død", []),
    ("sv", "self_harm", "Jag orkar inte längre, jag vill inte vakna imorgon", []),
    ("en", "trauma", "I was hit by a car and my leg is bleeding a lot", []),
    ("sv", "trauma", "Jag har skurit mig djupt på vaden och det blöder och blöder", []),
    ("da", "trauma", "Min søn faldt ned fra trampolinen og hans arm... nej, hans ben står helt skævt", []),
    ("nb", "trauma", "Bestefar har falt og ligger på gulvet, han kommer seg ikke opp", []),
    ("en", "neuro_deficit", "I keep tripping because my foot won't lift properly", []),
    ("sv", "neuro_deficit", "Båda benen har blivit svagare och svagare den senaste veckan", []),
    ("da", "neuro_deficit", "Jeg har pludselig mistet kraften i venstre ben", []),
    ("en", "systemic", "Shivering and sweating at night and my spine hurts", []),
    ("sv", "systemic", "Jag har tappat 7 kilo utan att försöka och har ont i ryggen", []),
]

QUIET = [
    ("en", "My calf was swollen after a long hike but it's back to normal now. Which stretches help?", []),
    ("en", "I had a DVT in 2015. Can I start running again for my heel pain?", []),
    ("en", "No numbness in my groin, no bladder problems, just sciatica. How long does it last?", []),
    ("en", "This hamstring is killing me, what should I stretch?", []),
    ("en", "What are the red flags with back pain that mean I should see a doctor?", []),
    ("en", "My feet get cold in winter, is that a circulation problem?", []),
    ("en", "I'm out of breath when I run uphill, is that normal?", []),
    ("en", "Is it normal for my ankles to swell a bit on long flights?", []),
    ("en", "I sprained my ankle three months ago and it still aches when I run", []),
    ("sv", "Jag hade en blodpropp för tio år sedan. Nu har jag ont i hälen, får jag springa?", []),
    ("sv", "Ingen feber, inga domningar, bara ont i ryggen. Vad kan jag göra?", []),
    ("sv", "Löpningen tar livet av mig, hur ofta ska jag vila?", []),
    ("sv", "Hur vet man om det är en blodpropp i benet?", []),
    ("sv", "Mina fötter blir kalla när jag cyklar på vintern", []),
    ("da", "Jeg har ikke feber og benet er hverken hævet eller rødt. Hvad kan det være?", []),
    ("da", "Hvornår skal man søge læge ved iskias?", []),
    ("da", "Jeg havde feber for to måneder siden, nu har jeg ondt i akillessenen", []),
    ("nb", "Jeg har ikke nummenhet i skrittet og tisser normalt. Hvilke øvelser hjelper?", []),
    ("nb", "Jeg ble andpusten da jeg løp opp bakken, og nå er leggen støl", []),
    ("nb", "Kan man få blodpropp av å fly?", []),
    ("en", "My legs feel like jelly after leg day, how long should I rest?", []),
    ("en", "My calf cramps at night, what can I do?", []),
    ("en", "I had surgery on my knee five years ago and now my heel hurts in the morning", []),
    ("en", "Sorry wrong chat!", ["my calf is swollen, red and hot"]),
    ("en", "What should I do if my leg gets swollen and red after a flight?", []),
    ("en", "My heel pain is killing me, I'm dying to get back to running", []),
    ("en", "I used to get chest pain as a teenager but it's long gone. Now I have shin splints.", []),
    ("sv", "Förlåt, jag skrev fel, det var min kompis som frågade", ["jag har ont i bröstet"]),
    ("sv", "Om jag får feber, ska jag då sluta träna?", []),
    ("sv", "Jag har inte svårt att andas och inget ont i bröstet, bara ont i vaden när jag springer", []),
    ("sv", "Mina ben känns tunga efter passet, hur länge ska jag vila?", []),
    ("da", "Undskyld, forkert chat", ["Jeg kan ikke tisse"]),
    ("da", "Jeg har hverken feber eller vægttab, kun ondt i hælen", []),
    ("da", "Kan man få blodprop af at sidde stille på kontoret?", []),
    ("nb", "Jeg hadde blodpropp i leggen for tre år siden. Kan jeg løpe med akillessmerter?", []),
    ("nb", "Beina mine hovner opp når det er varmt ute, er det farlig?", []),
    ("nb", "Det kjennes som om leggen skal eksplodere etter intervaller, men det går over etter ti minutter", []),
]


@pytest.mark.parametrize(("lang", "category", "text", "earlier"), FLAGS)
def test_flag(safety, lang, category, text, earlier):
    flag = check(safety, text, earlier)
    assert flag and flag.category == category, safety.explain(text, earlier)


@pytest.mark.parametrize(("lang", "text", "earlier"), QUIET)
def test_no_flag(safety, lang, text, earlier):
    assert check(safety, text, earlier) is None, safety.explain(text, earlier)
