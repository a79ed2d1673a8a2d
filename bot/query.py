"""The retrieval query of one turn, built from the reading of the message (bot/reading.py).

Retrieval searches what is asked, not the whole story: the dense side gets the reading's bounded focus (the
question sentences and the main complaint), the lexical side the focus and the glossary terms of its concepts
in the corpus's languages (so an English "herniated disc" also looks for "diskusprolaps"). A follow-up that
names no topic of its own borrows the topic of earlier turns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.glossary import Glossary
from bot.reading import Reader, Reading

CORPUS_LANGUAGES = ("sv", "da", "nb")


@dataclass(frozen=True)
class Query:
    text: str  # what is searched: the reading's focus (question and complaint), bounded
    language: str
    concepts: tuple[str, ...]  # glossary concepts named in the question(s) and complaint (negated ones left out)
    topic: tuple[str, ...]  # topic concepts in force: the message's own, else borrowed from earlier turns
    borrowed: str  # the earlier message the topic came from ("" when the message has its own)
    expansion: tuple[str, ...]  # glossary terms of concepts+topic in the corpus languages
    asks: tuple[str, ...] = ()  # kinds of section the message asks for ("seek_care")
    parts: tuple[Query, ...] = ()  # kept for callers that search part by part; one focus per turn now
    intent: str = "general"

    def part(self, i: int) -> Query:
        """The message's i-th part (1-based), or the whole message for 0."""
        return self.parts[i - 1] if i else self

    @property
    def dense_text(self) -> str:
        # The focus already names a borrowed topic (bot/reading.py), and it is what the turn's vector encodes.
        return self.text

    @property
    def lexical_text(self) -> str:
        # An English message's own words share only noise n-grams with Scandinavian passages.
        own = "" if self.language == "en" else f"{self.borrowed} {self.text}"
        return " ".join([own, *self.expansion]).strip()


class QueryBuilder:
    def __init__(self, glossary: Glossary, reader: Reader | None = None):
        self.glossary = glossary
        self.reader = reader or Reader.load(glossary)

    def from_text(self, message: str, language: str, earlier_user_turns: Sequence[str] = ()) -> Query:
        """Read the message, then build its query (for callers that need no more of the reading)."""
        return self.build(self.reader.read(message, language, earlier_user_turns), earlier_user_turns)

    def build(self, reading: Reading, earlier_user_turns: Sequence[str] = ()) -> Query:
        """``earlier_user_turns`` are already read into ``reading.topic`` and ``reading.borrowed``."""
        negated = set(reading.negated)
        complaint = reading.covered or reading.complaint
        asked = " ".join([complaint.sentence if complaint else "", *reading.questions])  # not a topic prefix
        found = [m.concept_id for m in self.glossary.find(asked) if m.concept_id not in negated]
        concepts = tuple(dict.fromkeys(found))
        # The topic is what the writer complains about that the articles cover (a heel, and the heel spur the
        # physio named), else the in-domain sites and conditions of the focus, else the message's or the
        # conversation's topic.
        complained = tuple(c.concept_id for c in (reading.complaint, *reading.others) if c and c.scope == "in")
        own_topic = tuple(c for c in reading.topic if c in concepts) if not reading.borrowed else ()
        topic = complained or own_topic or reading.topic
        wanted = tuple(dict.fromkeys(concepts + topic))
        expansion = tuple(self.glossary.expansion(wanted, CORPUS_LANGUAGES))
        return Query(reading.focus, reading.language, concepts, topic, reading.borrowed, expansion,
                     self.glossary.asks(concepts), intent=reading.intent)
