"""The safety step's own choices between the layers: the rules decide when they fire, the net's verdict when
they do not, and a withdrawal ends both. The net itself is tested with the real model in test_semantic_net."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

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
