"""The safety step's own choices between the layers: the rules decide when they fire, the net's verdict when
they do not, and a withdrawal ends both. The net itself is tested with the real model in test_semantic_net."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.redflags import Safety


@pytest.fixture(scope="module")
def safety() -> Safety:
    return Safety.load()


@dataclass
class FakeVerdict:
    fired: str | None
    level: str | None

    def explain(self, top: int = 3) -> str:
        return f"semantic net: {'fired ' + self.fired if self.fired else 'nothing fired'}"


def test_the_rules_decide_when_they_fire_and_the_net_when_they_do_not(safety):
    flag = safety.check("Jag har ont i bröstet", [], FakeVerdict("blood_clot", "urgent"))
    assert flag.category == "chest_breathing" and flag.layer == "rules"
    flag = safety.check("Something is very wrong with my leg", [], FakeVerdict("limb_ischemia", "emergency"))
    assert flag.category == "limb_ischemia" and flag.layer == "semantic" and flag.level == "emergency"
    assert safety.check("Something is very wrong with my leg", [], FakeVerdict(None, None)) is None


def test_a_withdrawal_ends_the_nets_flag_too(safety):
    assert safety.check("Sorry, wrong chat", ["my calf is swollen"], FakeVerdict("blood_clot", "urgent")) is None
    assert safety.in_force("Sorry, wrong chat", ["my calf is swollen"]) == []
    assert safety.in_force("And now?", ["my calf is swollen", "Sorry, wrong chat"]) == []
    assert safety.in_force("And now?", ["Sorry, wrong chat", "my calf is swollen"]) == ["my calf is swollen"]


# Emergencies as a turn reads them, through both layers; some only the semantic net catches (no rule word).
EMERGENCIES = [
    "My calf has swollen up on one side and it's red and hot",
    "I can't feel anything when I wipe and I've wet myself",
    "Jag vill inte leva längre",
    "Foten er iskald og hvid",
    "Eg har datt og kjem meg ikkje opp",
    "I keep thinking everyone would be better off if I were dead",
    "All of a sudden my foot is white and stone cold and hurts like nothing before",
]
HARMLESS = ["I work in an office", "Vi har två katter", "Jeg liker å lage mat", "Tak for svaret"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    message=st.sampled_from(EMERGENCIES),
    clause=st.sampled_from(HARMLESS),
    separator=st.sampled_from([". ", "\n", " – "]),
    before=st.booleans(),
)
def test_an_unrelated_clause_never_removes_an_escalation_over_both_layers(bot, message, clause, separator, before):
    alone = bot.reply(message)
    assert alone.kind == "redflag", alone.text
    combined = clause + separator + message if before else message + separator + clause
    reply = bot.reply(combined)
    assert reply.kind == "redflag", bot.safety.explain(combined)
    assert reply.red_flag.category == alone.red_flag.category
