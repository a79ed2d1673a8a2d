"""UI strings of the web page and the widget: one `bot/data/lang/<code>/ui.yaml` per language.

Strings are data so that adding a UI language means adding a file; the widget gets the same strings from
`GET /api/ui/{lang}`, so nothing is duplicated in JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from bot import yamlfile
from bot.config import DATA_DIR

REFERENCE_LANGUAGE = "en"


class UiStringsError(ValueError):
    """A ui.yaml file is missing, malformed or has keys that differ from the reference language."""


@lru_cache(maxsize=4)
def load_ui_strings(lang_dir: Path = DATA_DIR / "lang") -> Mapping[str, Mapping[str, object]]:
    """Every language that has a ui.yaml, keyed by language code; all share the reference file's keys."""
    found = {}
    for path in sorted(lang_dir.glob("*/ui.yaml")):
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise UiStringsError(f"{path}: expected a mapping of string keys")
        found[path.parent.name] = data
    if REFERENCE_LANGUAGE not in found:
        raise UiStringsError(f"{lang_dir}/{REFERENCE_LANGUAGE}/ui.yaml is missing")
    keys = set(found[REFERENCE_LANGUAGE])
    for code, data in found.items():
        path = lang_dir / code / "ui.yaml"
        if set(data) != keys:
            missing, extra = sorted(keys - set(data)), sorted(set(data) - keys)
            raise UiStringsError(f"{path}: missing keys {missing}, unexpected keys {extra}")
        for key, value in data.items():
            ok = isinstance(value, str) or (
                isinstance(value, list) and value and all(isinstance(v, str) for v in value)
            )
            if not ok:
                raise UiStringsError(f"{path}: key {key!r} must be a string or a list of strings")
    return found


def pick_language(*candidates: str | None) -> str:
    """The first candidate that has UI strings (e.g. a reply in German falls back to the UI language)."""
    strings = load_ui_strings()
    return next((c for c in candidates if c in strings), REFERENCE_LANGUAGE)


def strings_for(*candidates: str | None) -> Mapping[str, object]:
    """The strings of the first candidate language that has them."""
    return load_ui_strings()[pick_language(*candidates)]


def language_name(lang: str) -> str:
    """A language's own name for itself ("Dansk"); the bare code when we have no strings for it."""
    return str(load_ui_strings().get(lang, {}).get("language_name", lang))


# Browser language tags that mean one of ours (Norwegian is often sent as "no" or "nn" rather than "nb").
_TAG_ALIASES = {"no": "nb", "nn": "nb"}


def negotiate(accept_language: str | None, fallback: str | None = None) -> str:
    """The UI language for an Accept-Language header (or navigator.languages joined with commas): the
    highest-weighted tag whose primary language has UI strings; else `fallback` (then English)."""
    strings = load_ui_strings()
    ranked = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        code = _TAG_ALIASES.get(primary, primary)
        if code in strings and weight > 0:
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else pick_language(fallback)
