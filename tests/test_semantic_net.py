"""The semantic safety net (layer 2) on its own, with the real model: the rules are not consulted here.

The messages are written for these tests (not taken from the evaluation rows, not from the net's own
descriptions or calibration files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.build_vectors import BuildVectors
from bot.redflags.calibrate import article_texts
from bot.redflags.safety import Safety
from bot.redflags.semantic import (
    NET_DIR,
    NetDataError,
    SemanticNet,
    load_descriptions,
    load_thresholds,
    write_vectors,
)

EMERGENCIES = {
    "en": {
        "cauda_equina": "Since my back went I can't feel my backside on the toilet seat and I've wet the bed twice",
        "blood_clot": "Three days after the long drive my left calf is swollen, shiny red and warm to touch",
        "chest_breathing": "I suddenly can't breathe properly and it feels like a band squeezing my chest",
        "trauma": "I was knocked off my scooter and my shin bone is poking out through the skin",
        "systemic": "I'm burning up with fever and shaking with chills, and my back and leg ache badly",
        "neuro_deficit": "My foot flops down when I walk and I can't raise my toes at all any more",
        "limb_ischemia": "All of a sudden my foot is white and stone cold and hurts like nothing before",
        "self_harm": "I keep thinking everyone would be better off if I were dead",
    },
    "sv": {
        "cauda_equina": "Sedan ryggen small känner jag inte toalettsitsen under rumpan och jag har kissat i sängen",
        "blood_clot": "Tre dagar efter den långa bilresan är vänster vad svullen, blankt röd och varm",
        "chest_breathing": "Jag får plötsligt inte luft och det känns som ett band som kramar åt över bröstet",
        "trauma": "Jag blev påkörd på sparkcykeln och skenbenet sticker ut genom huden",
        "systemic": "Jag har hög feber och skakar av frossa, och ryggen och benet värker",
        "neuro_deficit": "Foten slår ner när jag går och jag kan inte lyfta tårna alls längre",
        "limb_ischemia": "Helt plötsligt är foten vit och iskall och gör ondt som aldrig förr",
        "self_harm": "Jag tänker hela tiden att alla skulle ha det bättre om jag var död",
    },
    "da": {
        "cauda_equina": "Siden ryggen gik kan jeg ikke mærke toiletbrættet under numsen og jeg har tisset i sengen",
        "blood_clot": "Tre dage efter den lange køretur er venstre læg hævet, blank rød og varm",
        "chest_breathing": "Jeg kan pludselig ikke få vejret og det føles som et bånd der strammer om brystet",
        "trauma": "Jeg blev kørt ned på løbehjulet og skinnebenet stikker ud gennem huden",
        "systemic": "Jeg har høj feber og ryster af kulderystelser, og ryggen og benet værker",
        "neuro_deficit": "Foden klasker ned når jeg går og jeg kan slet ikke løfte tæerne mere",
        "limb_ischemia": "Helt pludselig er foden hvid og iskold og gør ondt som aldrig før",
        "self_harm": "Jeg tænker hele tiden at alle ville have det bedre hvis jeg var død",
    },
    "nb": {
        "cauda_equina": "Siden ryggen gikk kjenner jeg ikke doskålen under rumpa og jeg har tisset i senga",
        "blood_clot": "Tre dager etter den lange kjøreturen er venstre legg hoven, blank rød og varm",
        "chest_breathing": "Jeg får plutselig ikke puste og det kjennes som et bånd som strammer rundt brystet",
        "trauma": "Jeg ble påkjørt på sparkesykkelen og leggbeinet stikker ut gjennom huden",
        "systemic": "Jeg har høy feber og rister av frysninger, og ryggen og benet verker",
        "neuro_deficit": "Foten klasker ned når jeg går og jeg klarer ikke å løfte tærne i det hele tatt",
        "limb_ischemia": "Helt plutselig er foten hvit og iskald og gjør vondt som aldri før",
        "self_harm": "Jeg tenker hele tiden at alle hadde hatt det bedre om jeg var død",
    },
}

UNSUPPORTED = [
    ("de", "Mein Fuß ist auf einmal schneeweiß und eiskalt und tut höllisch weh"),
    ("pl", "Od wczoraj nie mogę oddać moczu i nic nie czuję między nogami, plecy bardzo bolą"),
    ("ar", "لم أعد أرغب في الحياة، هذا الألم لا ينتهي"),
]

TRAPS = [
    "I've got no numbness down below and no trouble with my bladder, just a stiff lower back",  # negation
    "Jeg har ingen feber og benet er ikke hævet, det gør bare ondt under hælen",  # negation
    "Den här hälsenan tar kål på mig, men vilka övningar hjälper?",  # idiom
    "I'm dying to get back on the trail, how long before I can run on my sore shin again?",  # idiom
    "Jeg hadde blodpropp i leggen for seks år siden, nå har jeg vondt i hælen om morgenen",  # past history
    "What warning signs with sciatica mean I should go to the emergency department?",  # warning-sign question
]


@pytest.fixture(scope="module")
def vectors_dir(tmp_path_factory, embedder) -> Path:
    """A folder holding the description vectors, as the index build writes them."""
    folder = tmp_path_factory.mktemp("net")
    write_vectors(BuildVectors(embedder), folder)  # the index build's own way: known texts are not encoded again
    return folder


@pytest.fixture(scope="module")
def net(vectors_dir, embedder) -> SemanticNet:
    """The net as a turn uses it: a long message's windows read only where the rules see a sign."""
    found = SemanticNet.load(embedder, vectors_dir)
    found.reads_window = Safety.load().names_a_symptom
    return found


def verdict(net: SemanticNet, embedder, message: str, earlier: list[str] | None = None):
    earlier = earlier or []
    return net.judge(embedder.queries([message, *net.inputs(message, earlier)]), message, earlier)


# Where the net alone falls short (the rules catch these): kept visible rather than left out.
NET_MISSES = {("da", "trauma"): "margin -0.004 below the ordinary texts about knocks to the shin"}


@pytest.mark.parametrize(
    ("language", "category"),
    [
        pytest.param(lang, cat, marks=pytest.mark.xfail(reason=NET_MISSES[lang, cat], strict=True))
        if (lang, cat) in NET_MISSES
        else (lang, cat)
        for lang in sorted(EMERGENCIES)
        for cat in EMERGENCIES[lang]
    ],
)
def test_every_category_in_every_language(net, embedder, language, category):
    found = verdict(net, embedder, EMERGENCIES[language][category])
    assert found.fired == category, found.explain()


@pytest.mark.parametrize(("language", "message"), UNSUPPORTED)
def test_an_emergency_in_a_language_the_bot_does_not_answer_in(net, embedder, language, message):
    found = verdict(net, embedder, message)
    assert found.fired is not None, found.explain()
    assert found.level in ("emergency", "urgent")


@pytest.mark.parametrize("message", TRAPS)
def test_traps_do_not_fire(net, embedder, message):
    found = verdict(net, embedder, message)
    assert found.fired is None, found.explain()


def test_an_emergency_told_in_passing_in_a_long_message(net, embedder):
    message = (
        "Hi, I'm 38 and have been training for a half marathon since the spring, four runs a week with one long "
        "run on Sundays. For a month my heel has hurt in the mornings and I bought new shoes and insoles. "
        "Since Tuesday my left calf has been swollen, red and hot, and it's much fatter than the right one. "
        "Which stretches would you recommend for the heel, and should I skip the race?"
    )
    assert net.inputs(message), "a long message is read window by window"
    assert verdict(net, embedder, message).fired == "blood_clot"


def test_a_long_messages_backstory_is_not_read_window_by_window(net):
    backstory = (
        "I'm 45 and have run for twenty years, mostly trails, and I coach a junior team twice a week. "
        "Last spring I changed jobs and now sit at a desk all day, which I am still getting used to. "
        "My heel hurts when I get up in the morning, and it eases after a few minutes of walking about. "
        "My legs feel tired in the evening after the long days. "  # legs in the plural: where, not a sign
    )
    assert net.inputs(backstory + "Which shoes should I buy?") == []
    told = net.inputs(backstory + "Since yesterday my calf has been swollen and red. Which shoes should I buy?")
    assert len(told) == 1 and "swollen and red" in told[0]


def test_the_net_stays_quiet_on_the_articles_own_sentences(net, embedder):
    """The calibration's budget (``--article-alarms``): the articles' sentences, warning signs left out, are
    ordinary leg-pain texts in every language version; the net may fire on a handful of them at most."""
    texts = article_texts()[::3]  # every third, in every language version, to keep the suite quick
    fired = [t for t in texts if verdict(net, embedder, t).fired]
    assert len(texts) > 300 and len(fired) <= len(net.names) // 2, fired


def test_short_messages_cost_no_extra_encoding(net):
    assert net.inputs("My heel hurts in the morning") == []
    assert len(net.inputs("and now it's red", ["my calf is swollen"])) == 1  # the turns joined


def test_stored_vectors_are_reused_and_a_description_edit_is_noticed(net, embedder, vectors_dir, tmp_path):
    assert SemanticNet.load(embedder, vectors_dir).texts == net.texts  # read back, not encoded again
    copy = tmp_path / "net"
    shutil.copytree(NET_DIR, copy)
    with (copy / "descriptions" / "en.yaml").open("a", encoding="utf-8") as f:
        f.write("  - My heel is sore after a long walk on the beach\n")
    edited = SemanticNet.load(embedder, vectors_dir, net_dir=copy)
    assert "My heel is sore after a long walk on the beach" in edited.texts


def test_explain_names_scores_and_thresholds(net, embedder):
    found = verdict(net, embedder, EMERGENCIES["en"]["limb_ischemia"])
    text = found.explain()
    assert "limb_ischemia" in text and "threshold" in text
    top = found.closest[0]
    assert top.category == "limb_ischemia" and top.score >= top.threshold


def test_a_changed_threshold_file_changes_the_decision(net, embedder, vectors_dir, tmp_path):
    message = EMERGENCIES["en"]["neuro_deficit"]
    assert verdict(net, embedder, message).fired == "neuro_deficit"
    copy = tmp_path / "net"
    shutil.copytree(NET_DIR, copy)
    spec = yaml.safe_load((copy / "thresholds.yaml").read_text(encoding="utf-8"))
    spec["categories"]["neuro_deficit"]["score"] = 0.999
    (copy / "thresholds.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    stricter = SemanticNet.load(embedder, vectors_dir, net_dir=copy)
    assert verdict(stricter, embedder, message).fired != "neuro_deficit"


def test_descriptions_come_from_the_data_files():
    found = load_descriptions()
    assert {"sv", "da", "nb", "en", "de", "ar", "so", "ti"} <= set(found.languages)
    assert "ordinary" in found.labels and "self_harm" in found.labels


def _broken_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "net"
    shutil.copytree(NET_DIR, copy)
    return copy


def test_a_malformed_description_file_is_named(tmp_path):
    copy = _broken_copy(tmp_path)
    (copy / "descriptions" / "da.yaml").write_text("language: da\ncategories: [oops\n", encoding="utf-8")
    with pytest.raises(NetDataError, match=r"descriptions/da\.yaml"):
        load_descriptions(copy)


def test_an_unknown_category_is_named(tmp_path):
    copy = _broken_copy(tmp_path)
    path = copy / "descriptions" / "en.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["categories"]["sunburn"] = ["my skin is red"]
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(NetDataError, match=r"en\.yaml.*sunburn"):
        load_descriptions(copy)


def test_a_threshold_without_a_margin_is_named(tmp_path):
    copy = _broken_copy(tmp_path)
    path = copy / "thresholds.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    del spec["categories"]["trauma"]["margin"]
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(NetDataError, match=r"thresholds\.yaml"):
        load_thresholds(copy)
