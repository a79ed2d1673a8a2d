"""Reply composition on the real index and model: units chosen by the question's intent, ordered by how well
they answer, never a never-quoted role, the honest "my sources do not say", the condition's own care advice
(or the leg-pain article's), follow-ups that do not repeat the last answer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.answer import CARE_ROLES, MAX_CARE, Composer, load_intents, load_templates
from bot.glossary import Glossary
from bot.query import QueryBuilder
from bot.retrieve import HybridRetriever
from bot.roles import RoleBook
from bot.text import fold
from bot.translations import Translations

ROOT = Path(__file__).resolve().parent.parent
SHARED_DEV = Path(os.environ.get("PAINBOT_EVAL_DIR", "/work/shared/eval")) / "dev"
BUNDLED = ROOT / "tests" / "data" / "eval"


@pytest.fixture(scope="module")
def parts(settings, index, embedder):
    builder = QueryBuilder(Glossary.load())
    retriever = HybridRetriever(index)
    composer = Composer(index, load_templates(), RoleBook.load(settings.corpus_dir, index.seek_care), load_intents(),
                        Translations.load(settings.corpus_dir, "off"))
    return builder, retriever, composer, embedder


def compose(parts, message, language, intent, earlier_replies=(), keep=None):
    builder, retriever, composer, embedder = parts
    query = builder.from_text(message, language)
    vector = embedder.queries([query.dense_text])[0]
    hits = retriever.search(query, vector)
    if keep:
        hits = [h for h in hits if keep(h)]
    return composer.answer(query, hits, vector, language, intent, "", earlier_replies), composer


def test_an_intent_puts_the_unit_that_answers_it_first(parts):
    dose, composer = compose(parts, "Hur tränar man hälsenan excentriskt?", "sv", "dose")
    first = next(i for i, u in enumerate(composer.index.units) if u.id == dose.quotes[0].unit_id)
    assert "reps" in composer.features[first]
    steps, _ = compose(parts, "Hur tränar man hälsenan excentriskt?", "sv", "exercises")
    assert steps.quotes[0].text.startswith("Träningsprogrammet utförs i en trappa")


def test_quotes_are_ordered_by_score_and_never_a_never_quoted_role(parts):
    reply, composer = compose(parts, "Hvad kan jeg selv gøre ved iskias?", "da", "self_care")
    answers = [q for q in reply.quotes if q.role not in ("seek_care", "warning_signs")]
    assert 1 <= len(answers) <= 4
    assert all(composer.rolebook.quotable(q.role) for q in reply.quotes)
    assert len({q.unit_id for q in reply.quotes}) == len(reply.quotes)


def test_the_reply_says_when_the_sources_do_not_say_it(parts):
    reply, _ = compose(parts, "Hjälper inlägg i skorna mot hälsenesmärta?", "sv", "footwear",
                       keep=lambda h: h.unit.doc_id == "sv-halsena")
    templates = load_templates()
    assert reply.text.startswith(templates["sv"]["not_in_sources"]["footwear"])
    assert templates["sv"]["answer_intro"] not in reply.text
    assert reply.quotes and all(q.doc_id in ("sv-halsena", "da-ondt-i-benene") for q in reply.quotes)


def test_care_advice_comes_from_the_article_or_the_leg_pain_article(parts):
    own, composer = compose(parts, "Vad beror ont i benhinnorna på?", "sv", "cause")
    assert any(q.role in ("seek_care", "warning_signs") and q.doc_id == "sv-benhinnor" for q in own.quotes)
    achilles, _ = compose(parts, "Varför får man ont i hälsenan?", "sv", "cause",
                          keep=lambda h: h.unit.doc_id == "sv-halsena")  # an article without care advice
    care = achilles.quotes[-1]
    assert care.role in ("seek_care", "warning_signs") and care.doc_id == composer.rolebook.care_fallback_doc
    assert any(c.doc_id == care.doc_id and c.n == care.n for c in achilles.citations)


def test_a_danger_question_gets_the_warning_signs(parts):
    reply, _ = compose(parts, "Er iskias farligt? Hvornår skal jeg bekymre mig?", "da", "danger")
    assert reply.quotes[0].role == "warning_signs"


def test_care_advice_brought_in_for_a_doctor_question_follows_the_answer(parts):
    """A see-a-doctor question whose retrieved units hold no care advice gets the article's own, after the best
    answer; a danger question gets it first."""
    not_care = lambda h: parts[2].roles[h.unit_index] not in CARE_ROLES  # noqa: E731
    doctor, _ = compose(parts, "Skal jeg have en MR-scanning for min iskias?", "da", "see_doctor", keep=not_care)
    assert doctor.quotes[0].role == "answer"
    assert any(q.role in CARE_ROLES and q.doc_id == "da-iskias" for q in doctor.quotes[1:])
    danger, _ = compose(parts, "Er iskias farligt? Hvornår skal jeg bekymre mig?", "da", "danger", keep=not_care)
    assert danger.quotes[0].role in CARE_ROLES


def test_care_advice_leaves_room_for_the_answer(parts):
    for message, language in (("Hvornår skal jeg ringe 112 ved smerter i benet?", "da"),
                              ("När ska jag söka vård för värk i benhinnorna?", "sv")):
        reply, _ = compose(parts, message, language, "see_doctor")
        assert 1 <= sum(q.role in CARE_ROLES for q in reply.quotes) <= MAX_CARE


def test_care_advice_a_question_did_not_ask_for_closes_the_reply(parts):
    """Retrieval may rank a warning sign first for a self-care question; the answer still comes first."""
    for message, language in (("Vad kan jag göra själv åt ont i benhinnorna?", "sv"),
                              ("Hvad kan jeg selv gøre ved iskias?", "da")):
        reply, _ = compose(parts, message, language, "self_care")
        roles = [q.role in CARE_ROLES for q in reply.quotes]
        assert roles == sorted(roles) and roles[-1] and not roles[0]


def test_a_study_unit_that_reports_its_finding_is_an_answer(parts):
    """A study's method alone is never quoted; a unit that also says what the study found answers."""
    composer = parts[2]
    book = composer.rolebook
    method_and_finding = [
        (unit, role) for unit, role in zip(composer.index.units, composer.roles, strict=True)
        if (cues := book.cues.get(unit.language)) and cues.study_method and cues.finding
        and cues.study_method.search(fold(unit.text)) and cues.finding.search(fold(unit.text))
    ]
    assert method_and_finding  # the sciatica article reports its studies this way
    assert all(role == "answer" for _, role in method_and_finding)
    assert any(role == "study_method" for role in composer.roles)


def test_a_follow_up_does_not_repeat_the_last_answer(parts):
    first, _ = compose(parts, "Hur länge ska jag träna hälsenan?", "sv", "duration")
    again, _ = compose(parts, "Hur länge ska jag träna hälsenan?", "sv", "duration", [first.text])
    assert not {q.unit_id for q in first.quotes} & {q.unit_id for q in again.quotes}


def test_quotes_are_shown_in_order_without_reference_marks(parts):
    reply, _ = compose(parts, "Hvor lang tid tager det før iskias går over?", "da", "duration")
    body = reply.text
    positions = [body.index(q.text.split("\n")[0]) for q in reply.quotes]
    assert positions == sorted(positions)
    assert not any("(6,11,12)" in q.text for q in reply.quotes)
    assert "<" not in body  # plain Markdown, no HTML


# ------------------------------------------------------------------------------ every dev reply


def _rows(folder: Path) -> list[dict]:
    rows = []
    for name in ("questions.jsonl", "conversations.jsonl", "narratives.jsonl"):
        path = folder / name
        if path.is_file():
            rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def _never_quoted_in_replies(bot, rows) -> list[str]:
    never = bot.composer.rolebook.never_quoted
    histories: dict[str, list[dict]] = {}
    bad = []
    for row in rows:
        history = histories.setdefault(row["conversation"], []) if row.get("conversation") else []
        reply = bot.reply(row["question"], tuple(history))
        bad += [f"{row.get('id')}: {q.role}: {q.text[:60]}" for q in reply.quotes if q.role in never]
        history += [{"role": "user", "content": row["question"]}, {"role": "assistant", "content": reply.text}]
    return bad


def test_no_dev_reply_quotes_a_never_quoted_unit(bot):
    if not SHARED_DEV.is_dir():
        pytest.skip(f"the dev evaluation set is not here ({SHARED_DEV})")
    assert _never_quoted_in_replies(bot, _rows(SHARED_DEV)) == []


def test_no_bundled_eval_reply_quotes_a_never_quoted_unit(bot):
    rows = _rows(BUNDLED)
    assert rows
    assert _never_quoted_in_replies(bot, rows) == []
