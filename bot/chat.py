"""One turn of painbot, top to bottom:

    message (+ earlier turns)
      -> validate          empty / too long / binary -> "invalid" reply
      -> detect language   the conversation's language when the message is short or unclear
      -> read              the question sentence(s), the main complaint, the intent; a greeting, thanks or a
                           vague complaint -> welcome / clarifying reply (after the red flags)
      -> encode            one bounded encoder call: the reading's focus, and what the safety net reads
      -> red flags         layer 1 rules and layer 2 semantic net on the message and recent user turns;
                           either fires -> escalation reply, STOP
      -> retrieve          the question with the complaint (the focus vector), hybrid dense + lexical,
                           glossary expansion, topic carried from earlier turns
      -> gate              main complaint outside the domain, or evidence too weak -> "not in my sources";
                           a covered and an uncovered complaint -> answer the covered one, name the other
      -> compose           quoted sentences grouped by source, numbered citations, when-to-seek-care, disclaimer
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import bounds, validate
from bot.answer import Composer, load_intents, load_templates
from bot.config import LANGUAGES, Settings
from bot.embed import Embedder, load_embedder
from bot.gate import GateThresholds, TopicGate
from bot.glossary import Glossary
from bot.index import ensure_index
from bot.language import LanguageDetector, LanguageGuess
from bot.query import QueryBuilder
from bot.reading import QUESTION, Reader
from bot.reading_replies import ReadingReplies
from bot.redflags import Safety
from bot.redflags.semantic import SemanticNet
from bot.reply import Citation, PhoneNumber, RedFlag, Reply
from bot.retrieve import HybridRetriever
from bot.roles import RoleBook
from bot.text import normalize_input
from bot.translations import Translations

__all__ = ["Bot", "Reply", "Citation", "RedFlag", "PhoneNumber"]

Turn = Mapping[str, str]
RED_FLAG_MEMORY = 3  # earlier user turns the red-flag rules look at


@dataclass
class Bot:
    settings: Settings
    detector: LanguageDetector
    safety: Safety
    net: SemanticNet
    reader: Reader
    replies: ReadingReplies
    queries: QueryBuilder
    retriever: HybridRetriever
    gate: TopicGate
    composer: Composer
    embedder: Embedder

    @classmethod
    def load(cls, settings: Settings | None = None) -> Bot:
        """Everything a reply needs, loaded once; the index is built first if missing or stale."""
        settings = settings or Settings()
        embedder = load_embedder(settings.model)
        index = ensure_index(settings, embedder)
        glossary = Glossary.load()
        reader = Reader.load(glossary)
        safety = Safety.load()
        net = SemanticNet.load(embedder, settings.index_dir)
        net.reads_window = safety.names_a_symptom  # a long message's backstory is not read window by window
        return cls(
            settings=settings,
            detector=LanguageDetector.load(),
            safety=safety,
            net=net,
            reader=reader,
            replies=ReadingReplies(load_templates()),
            queries=QueryBuilder(glossary, reader),
            retriever=HybridRetriever(index),
            gate=TopicGate(glossary, GateThresholds.load()),
            composer=Composer(
                index, load_templates(), RoleBook.load(settings.corpus_dir, index.seek_care), load_intents(),
                Translations.load(settings.corpus_dir, settings.translations),
            ),
            embedder=embedder,
        )

    def reply(
        self, message: str, history: Sequence[Turn] = (), lang: str | None = None, country: str | None = None
    ) -> Reply:
        """``country``: this request's country for the phone numbers (a widget's data-country), over the setting."""
        started = time.perf_counter()
        message, earlier = bounds.bounded(message, history)  # the work per reply has a ceiling whatever is sent
        # The last reply: a follow-up is answered with what it did not already quote.
        replies = [t["content"] for t in history[-2:] if t.get("role") == "assistant" and isinstance(t["content"], str)]
        reply = self._reply(message, earlier, lang, replies, country)
        reply.latency_ms = (time.perf_counter() - started) * 1000
        return reply

    def _reply(
        self, message: str, earlier: list[str], lang: str | None, replies: list[str], country: str | None = None
    ) -> Reply:
        # Text as typed: NFC, no invisible characters inside words, look-alike letters read as Latin.
        message, earlier = normalize_input(message), [normalize_input(t) for t in earlier]
        guess = self.language(message, earlier, lang)
        language = guess.language
        places = self.safety.countries(language, guess.confident, country or self.settings.country)
        # One line with the emergency number, in the writer's own language when we have it.
        emergency_line = self.safety.emergency_line(language if guess.supported else guess.detected, places)
        note = "" if guess.supported else f"{self.composer.unsupported_note(language)}\n\n{emergency_line}"

        problem = validate.problem(message)
        if problem:
            values = {"length": len(message) if isinstance(message, str) else 0, "limit": validate.MAX_CHARS}
            return Reply(language, "invalid", self.composer.invalid(problem, language, **values))

        reading = self.reader.read(message, language, earlier)
        # One bounded encoder call per turn: the reading's focus (shared with retrieval), then what the net adds.
        recent = self.safety.in_force(message, earlier[-RED_FLAG_MEMORY:])
        vectors = self.embedder.queries([reading.focus, *self.net.inputs(message, recent, reading.focus)])
        net_verdict = self.net.judge(vectors, message, recent, reading.focus)
        flag = self.safety.check(message, earlier[-RED_FLAG_MEMORY:], net_verdict)
        if flag:
            text, flag = self.safety.escalation(flag, language, places, guess.detected)
            return Reply(language, "redflag", text, red_flag=flag)

        if reading.kind != QUESTION:  # a greeting, thanks or a complaint too vague to search
            return Reply(language, "clarify", self.replies.clarify(reading, language))

        query = self.queries.build(reading, earlier)
        vectors = vectors[:1]  # the focus row; the net's rows are not parts of the question
        hits = self.retriever.search(query, vectors)
        verdict = self.gate.judge(reading, query, hits)
        if not verdict.in_scope:
            text = self.composer.out_of_scope(language, note)  # an unsupported language's note has the line
            lines = (self.replies.not_covered(verdict, language), text, emergency_line if guess.supported else "")
            return Reply(language, "out_of_scope", "\n\n".join(x for x in lines if x))

        note = "\n\n".join(x for x in (note, self.replies.partial(verdict, language)) if x)
        composed = self.composer.answer(query, hits, vectors, language, reading.intent, note, replies)
        return Reply(language, "answer", composed.text, citations=composed.citations, quotes=composed.quotes)

    def language(self, message: str, earlier: list[str], forced: str | None) -> LanguageGuess:
        """The message's language, falling back on the conversation's when the message alone is unclear."""
        if forced in LANGUAGES:
            return LanguageGuess(forced, forced, True, True, "set by the caller")
        previous = None
        for turn in earlier:
            previous = self.detector.detect(turn, previous).language
        text = message if isinstance(message, str) and not validate.problem(message) else ""
        return self.detector.detect(text, previous)
