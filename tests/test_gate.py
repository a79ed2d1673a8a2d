"""Scope by the main complaint, through the real Bot: what the reply says when the complaint is not covered,
when one of two complaints is, and when a message only greets, thanks or complains vaguely."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("message", "language", "named"),
    [
        ("I run 30 km a week in new shoes. My hip hurts on the outside after long runs. Is it my shoes?", "en",
         "hip"),
        ("Jag springer mycket och har bra skor. Nu har jag ont i knät i nedförsbackar. Vad ska jag göra?", "sv",
         "knä"),
        # A red, hot, swollen joint is the red-flag layer's (gout and septic arthritis look alike).
        ("Jeg løber meget, og min læge siger at jeg har urinsyregigt i storetåen. Kan jeg blive ved med at løbe?",
         "da", "urinsyregigt"),
    ],
)
def test_a_complaint_outside_the_domain_is_out_of_scope_despite_a_running_story(bot, message, language, named):
    reply = bot.reply(message, lang=language)
    assert reply.kind == "out_of_scope" and reply.abstained and not reply.citations
    first = reply.text.split("\n\n")[0]
    assert named in first.lower()
    assert any(number in reply.text for number in ("112", "113"))  # the emergency line


@pytest.mark.parametrize(
    ("message", "language", "named", "foreign"),
    [
        ("Jeg har ondt i knæet, når jeg cykler. Hvad kan jeg gøre?", "da", "knæ", "knä"),
        ("Jeg har vondt i kneet når jeg sykler. Hva kan jeg gjøre?", "nb", "kne", "knä"),
    ],
)
def test_the_uncovered_site_is_named_in_the_reply_language(bot, message, language, named, foreign):
    reply = bot.reply(message, lang=language)
    first = reply.text.split("\n\n")[0].lower()
    assert reply.kind == "out_of_scope" and named in first and foreign not in first


def test_a_neighbouring_site_named_without_a_complaint_keeps_the_domain_question(bot):
    reply = bot.reply("My physio gave me heel drops for my Achilles tendon, done with the knee bent. How many weeks "
                      "should I keep going?", lang="en")
    assert reply.kind == "answer" and reply.citations[0].doc_id == "sv-halsena"


def test_two_complaints_answer_the_covered_one_and_name_the_other(bot):
    reply = bot.reply("My heel hurts when I get up in the morning, and my knee hurts too. What can I do?", lang="en")
    assert reply.kind == "answer" and reply.citations
    first = reply.text.split("\n")[0]
    assert "knee" in first and "heel" in first


def test_a_covered_complaint_alone_has_no_scope_line(bot):
    reply = bot.reply("My heel hurts when I get up in the morning. What can I do?", lang="en")
    assert reply.kind == "answer" and "do not cover" not in reply.text


@pytest.mark.parametrize(
    ("message", "language"),
    [("hej", "sv"), ("Tusen takk!", "nb"), ("I have pain", "en"), ("Det gør ondt", "da")],
)
def test_greetings_thanks_and_vague_complaints_get_a_welcome_not_an_abstention(bot, message, language):
    reply = bot.reply(message, lang=language)
    assert reply.kind == "clarify" and not reply.abstained and not reply.citations
    assert "not cover" not in reply.text and "inte upp" not in reply.text


def test_a_vague_complaint_gets_examples_of_what_is_covered(bot):
    reply = bot.reply("I have pain", lang="en")
    assert reply.text.count("\n- ") >= 3
