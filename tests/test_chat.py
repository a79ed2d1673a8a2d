"""The pipeline end to end on the real index: reply object, invalid input, languages, gate and follow-ups."""

import pytest

from bot.validate import MAX_CHARS

FIELDS = {"language", "kind", "text", "red_flag", "abstained", "citations", "quotes", "latency_ms"}
CITATION_FIELDS = {"n", "doc_id", "title", "publisher", "section", "source", "language", "score", "text"}


def test_answer_reply_object_has_every_field(bot):
    reply = bot.reply("Varför får jag ont i smalbenen när jag springer?")
    data = reply.to_dict()
    assert set(data) == FIELDS
    assert data["kind"] == "answer" and data["language"] == "sv" and not data["abstained"]
    assert data["red_flag"] is None and data["latency_ms"] > 0
    assert data["citations"] and all(set(c) == CITATION_FIELDS for c in data["citations"])
    assert data["citations"][0]["doc_id"] == "sv-benhinnor"
    assert [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))


def test_quoted_sentences_come_verbatim_from_cited_passages(bot):
    reply = bot.reply("How many repetitions of the eccentric heel drop exercise should I do?")
    assert reply.quotes
    passages = " ".join(c.text for c in reply.citations)
    # What is quoted is the article's own unit (a translation keeps it as the original), verbatim.
    assert all((q.original or q.text) in passages for q in reply.quotes)
    assert all(q.text in reply.text for q in reply.quotes)
    assert reply.citations[0].doc_id == "sv-halsena" and reply.language == "en"


def test_source_in_another_language_is_noted(bot):
    reply = bot.reply("Hjälper en operation mot ischias?")
    assert reply.citations[0].doc_id == "da-iskias"
    assert "(källan är på danska)" in reply.text


@pytest.mark.parametrize(
    ("message", "problem_word"),
    [("", "Skriv"), ("   \n\t ", "Skriv"), ("a" * (MAX_CHARS + 1), str(MAX_CHARS)), ("\x00\x01\x02 hej", "")],
)
def test_invalid_input_gets_a_clear_reply(bot, message, problem_word):
    reply = bot.reply(message)
    assert reply.kind == "invalid" and reply.abstained and not reply.citations
    assert problem_word in reply.text


def test_html_in_a_question_is_just_text(bot):
    reply = bot.reply("<script>alert(1)</script> Hvad er hælspore?")
    assert reply.kind == "answer" and reply.citations[0].doc_id == "no-haelspore"


def test_unsupported_language_is_answered_in_english_with_a_note(bot):
    reply = bot.reply("Warum tut meine Ferse morgens beim Aufstehen so weh?")
    assert reply.language == "en"
    assert "I answer in Swedish, Danish, Norwegian and English." in reply.text


@pytest.mark.parametrize(
    "message",
    ["Hur byter jag vinterdäck på bilen?", "Hvordan søger jeg om SU?", "What is a good recipe for pancakes?",
     "Hva hjelper mot vondt i skulderen?",
     # a neighbouring body site, even with an activity the articles cover
     pytest.param("Jag har ont i knät när jag går i trappor", marks=pytest.mark.xfail(
         strict=True, reason="the semantic net raises neuro_deficit at a margin of 0.011 over ordinary texts")),
     "Jeg har ondt i knæet når jeg løber", "Vondt i lysken når jeg løper",
     "My knee hurts when I run"],
)
def test_off_topic_questions_abstain(bot, message):
    reply = bot.reply(message)
    assert reply.kind == "out_of_scope" and reply.abstained and not reply.citations


@pytest.mark.parametrize(
    ("message", "doc_id"),
    [("Ska knät vara rakt eller böjt när jag gör hälseneövningarna?", "sv-halsena"),
     ("Jeg har ondt fra knæet og ned i foden", "da-ondt-i-benene")],
)
def test_the_knee_beside_the_domain_anatomy_is_answered(bot, message, doc_id):
    reply = bot.reply(message)
    assert reply.kind == "answer" and reply.citations[0].doc_id == doc_id


def test_a_follow_up_about_the_knee_keeps_the_conversation_topic(bot):
    history = [{"role": "user", "content": "Vilka övningar hjälper mot ont i hälsenan?"},
               {"role": "assistant", "content": "..."}]
    reply = bot.reply("Ska knät vara böjt?", history)
    assert reply.kind == "answer" and reply.citations[0].doc_id == "sv-halsena"


def test_follow_up_borrows_the_topic_and_a_new_topic_replaces_it(bot):
    history = [{"role": "user", "content": "Jeg har ondt i akillessenen"},
               {"role": "assistant", "content": "..."}]
    follow = bot.reply("Hvor lang tid skal jeg træne?", history)
    assert follow.kind == "answer" and follow.citations[0].doc_id == "sv-halsena"
    switched = bot.reply("Hvad med hælspore?", history)
    assert switched.citations[0].doc_id == "no-haelspore"


def test_forced_language(bot):
    assert bot.reply("Hvad er iskias?", lang="en").language == "en"
