"""The fixed escalation replies and the phone numbers they give.

``data/lang/<code>/escalation.yaml`` holds per language the texts (what it may be, what to do now, advice,
closing) and ``data/countries.yaml`` the numbers per deployment country. The reply names the country's
numbers; with no country known, every country's, each under the country's name; with several (a message
that reads the same in Danish and Norwegian), those countries'.

``data/emergency_lines/<code>.yaml`` holds one short emergency line per language, also for languages the
bot does not answer in: an escalation written in such a language gets its line above the English reply,
and out-of-scope and unsupported-language replies carry one (adding a language is adding a file).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import DATA_DIR
from bot.redflags.matching import RedFlagError, read_yaml
from bot.reply import PhoneNumber, RedFlag

FALLBACK_LANGUAGE = "en"
# Emergency: the emergency number first. Urgent: the advice line first, the emergency number as fallback.
DEFAULT_NUMBERS = {"emergency": ("emergency", "advice"), "urgent": ("advice", "emergency")}


@dataclass(frozen=True)
class Number:
    number: str
    service: str


@dataclass(frozen=True)
class CategoryNumbers:
    """Which numbers a category lists, the one to call first first (empty: the default of the flag's level)."""

    numbers: tuple[str, ...] = ()


class Escalations:
    """Escalation texts of every language and the phone numbers of every country."""

    def __init__(
        self,
        texts: dict[str, dict],
        countries: dict[str, dict],
        categories: dict[str, CategoryNumbers],
        lines: dict[str, dict],
    ):
        self._texts = texts
        self._countries = countries
        self._categories = categories
        self._lines = lines

    @classmethod
    def load(cls, categories: dict[str, CategoryNumbers], data_dir: Path = DATA_DIR) -> Escalations:
        data_dir = Path(data_dir)
        texts = {
            lang_dir.name: read_yaml(lang_dir / "escalation.yaml")
            for lang_dir in sorted(p for p in (data_dir / "lang").iterdir() if p.is_dir())
            if (lang_dir / "escalation.yaml").exists()
        }
        countries = read_yaml(data_dir / "countries.yaml").get("countries") or {}
        for where, codes in [(data_dir / "countries.yaml", countries)] + [
            (data_dir / "lang" / lang / "escalation.yaml", t.get("countries") or {}) for lang, t in texts.items()
        ]:
            if not all(isinstance(code, str) for code in codes):
                raise RedFlagError(f"{where}: quote the country codes (YAML reads a bare NO as false)")
        lines = {path.stem: read_yaml(path) for path in sorted((data_dir / "emergency_lines").glob("*.yaml"))}
        for code, entry in lines.items():
            if "{number}" not in str(entry.get("line", "")):
                raise RedFlagError(f"{data_dir / 'emergency_lines' / code}.yaml: line needs a {{number}}")
        if FALLBACK_LANGUAGE not in lines:
            raise RedFlagError(f"{data_dir / 'emergency_lines'}: no {FALLBACK_LANGUAGE}.yaml")
        return cls(texts, countries, categories, lines)

    def places(self, country: str | Sequence[str]) -> list[str]:
        """The countries whose numbers to give: the known ones named, else every country."""
        wanted = [country] if isinstance(country, str) else list(country)
        known = [c.upper() for c in wanted if c and c.upper() in self._countries]
        return list(dict.fromkeys(known)) or list(self._countries)

    def emergency_line(self, language: str, country: str | Sequence[str] = "") -> str:
        """One line in ``language`` (English when it has no line) with the emergency number to call."""
        entry = self._lines.get(language) or self._lines[FALLBACK_LANGUAGE]
        places = self.places(country)
        by_number: dict[str, list[str]] = {}
        for place in places:
            for n in self.numbers(place, "emergency")[:1]:
                by_number.setdefault(n.number, []).append(entry["countries"].get(place, place))
        if len(places) == 1:
            number = next(iter(by_number), "")
        else:
            number = f" {entry['or']} ".join(f"{n} ({', '.join(names)})" for n, names in by_number.items())
        return entry["line"].format(number=number)

    def reply(
        self, flag: RedFlag, language: str, country: str | Sequence[str], written_in: str = ""
    ) -> tuple[str, RedFlag]:
        """The fixed escalation reply in the user's language, and the flag with its phone numbers filled in.

        ``country`` is "SE", "DK", "NO", several of them, or "" (unknown, e.g. an English user with no
        deployment country): then every country's numbers are listed, each under the country's name.
        ``written_in``: the language the message was written in; when the reply cannot be in it, its
        emergency line comes first.
        """
        texts = self._texts.get(language) or self._texts[FALLBACK_LANGUAGE]
        category = self._categories[flag.category]
        entry = texts["categories"][flag.category]
        places = self.places(country)
        numbers: list[PhoneNumber] = []
        listing = [texts["numbers_heading"]]
        for place in places:
            name = texts["countries"].get(place, place)
            if len(places) > 1:
                listing.append(texts["country_heading"].format(country=name))
            for kind in category.numbers or DEFAULT_NUMBERS[flag.level]:
                for n in self.numbers(place, kind):
                    label = texts["number_label"].format(kind=texts["kinds"][kind], service=n.service)
                    listing.append(texts["number_line"].format(number=n.number, label=label))
                    # Away from its country heading, a number's label names the country.
                    numbers.append(PhoneNumber(n.number, label if len(places) == 1 else f"{label}, {name}"))
        fill = {kind: self._named_number(places, kind, texts) for kind in texts["kinds"]}
        action = (entry.get("action") or texts["actions"][flag.level]).format(**fill)
        advice = entry.get("advice", "").format(**fill)
        foreign = written_in and written_in not in self._texts and written_in in self._lines
        line = self.emergency_line(written_in, places) if foreign else ""
        parts = [line, entry["what"], action, advice, "\n".join(listing), texts["closing"]]
        text = "\n\n".join(p.strip() for p in parts if p and p.strip())
        return text, dataclasses.replace(flag, numbers=tuple(numbers))

    def numbers(self, country: str, kind: str) -> list[Number]:
        entries = (self._countries.get(country) or {}).get("numbers", {}).get(kind) or []
        return [Number(str(e["number"]), e["service"]) for e in entries]

    def _named_number(self, places: list[str], kind: str, texts: dict) -> str:
        """The number the reply text names: the country's first; for several countries, each country's."""
        if len(places) == 1:
            found = self.numbers(places[0], kind)
            if len(found) > 1:
                return texts["more_numbers"].format(number=found[0].number)
            return found[0].number if found else ""
        by_number: dict[str, list[str]] = {}
        for place in places:
            for n in self.numbers(place, kind)[:1]:
                by_number.setdefault(n.number, []).append(texts["countries"].get(place, place))
        return f" {texts['or']} ".join(f"{number} ({', '.join(names)})" for number, names in by_number.items())
