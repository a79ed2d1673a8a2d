"""Which language to answer a chat message in, or that it is written in a language the bot does not speak.

Four kinds of evidence, cheapest first:

* marker words and spellings per language (data: ``data/lang/<code>/language.yaml``). They settle what
  statistical models get wrong on short text: Danish and Norwegian differ mainly in a handful of function
  words and spellings (hvad/hva, hvornår/når, ondt/vondt, efter/etter, mig/meg), and users type without
  å, ä, ö, æ, ø, so every marker is also matched in its spellings without them.
* word frequencies (the PyPI package ``wordfreq``, its small lists: ~0.1 s and ~27 MB for four languages): a
  word far more common in one supported language than in all the others counts for it like a marker word.
  It covers the everyday spellings no hand-made list holds (da skridtet / nb skrittet).
* lingua, restricted to the supported varieties (sv, da, nb, nn, en), in low-accuracy mode: its trigram
  models load in ~0.05 s and ~20 MB, where high-accuracy mode needs ~1.5 s and ~170 MB, too slow for a
  cold ``painbot ask``. It decides when a message has no markers and breaks near-ties.
* langdetect (55 languages) as the wide net for unsupported languages. It calls short Scandinavian text
  German, Dutch or Afrikaans, so it is asked only about messages of several words that the marker words
  do not already claim; it costs ~5-10 ms a call and ~0.4 s to load, so it loads on first need.

A message of one or two words says little about its language: it keeps the conversation's language.
With no conversation language, the best guess from markers and lingua is used, and a message without
letters gets the configured default (``default`` in data/language.yaml: Swedish).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot import word_frequency, yamlfile
from bot.config import DATA_DIR

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# How people write each letter when their keyboard lacks it.
_ASCII_SPELLINGS = {
    "å": ("a", "aa"), "ä": ("a", "ae"), "ö": ("o", "oe"), "ø": ("o", "oe"), "æ": ("ae",),
    "é": ("e",), "è": ("e",), "ò": ("o",), "ô": ("o",), "ü": ("u", "ue"),
}
# libyaml's parser reads the marker lists ~10x faster than the pure-Python one (start-up time counts).
_langdetect_lock = threading.Lock()


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # reply language: one of the supported languages
    detected: str  # what the message itself looks like: "nn", "de", "fi", ... or "und"
    supported: bool
    confident: bool
    reason: str


@dataclass(frozen=True)
class Variety:
    """One written standard the detector tells apart (nb and nn are both answered in nb)."""

    code: str
    reply: str
    lingua: str
    langdetect: tuple[str, ...]
    endings: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Tuning:
    """Shared thresholds (data/language.yaml, where each one is explained)."""

    default: str
    unsupported_reply: str
    short_words: int
    strong_weight: float
    lingua_weight: float
    previous_bonus: float
    confident_margin: float
    unsupported_min_words: int
    unsupported_min_probability: float
    unsupported_max_marker_share: float
    two_letter_marker_credit: float
    claiming_letters: str
    foreign_script_share: float
    inflect_min_length: int
    frequency_min_length: int
    frequency_gap: float
    frequency_weight: float


class LanguageDetector:
    def __init__(self, varieties: list[Variety], markers: dict[str, dict[str, dict[str, float]]],
                 names: dict[str, str], tuning: Tuning, wordlists: dict[str, str] | None = None):
        self.varieties = varieties
        self.names = names  # reply language -> its own name ("svenska", "dansk", "norsk", "English")
        self._wordlists = wordlists or {}  # reply language -> wordfreq list name
        self._main_variety: dict[str, str] = {}  # reply language -> its first variety, credited with frequencies
        for v in varieties:
            self._main_variety.setdefault(v.reply, v.code)
        self.tuning = tuning
        self._markers = markers  # "raw" (as written) and "ascii" (diacritics dropped): form -> {code: weight}
        self._by_code = {v.code: v for v in varieties}
        self._reply_of = {v.code: v.reply for v in varieties}
        self._lingua_names = tuple(v.lingua for v in varieties)
        self._lingua_codes = {v.lingua: v.code for v in varieties}
        self._supported_langdetect = {c for v in varieties for c in v.langdetect}
        # Chat vocabulary is small and repetitive: each word's evidence is worked out once.
        self._evidence = functools.lru_cache(maxsize=100_000)(self._token_evidence)

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> LanguageDetector:
        """Read the shared thresholds and every ``lang/<code>/language.yaml``; adding a language = a file."""
        tuning = Tuning(**_read_yaml(data_dir / "language.yaml"))
        varieties: list[Variety] = []
        names: dict[str, str] = {}
        wordlists: dict[str, str] = {}
        markers = {"raw": defaultdict(dict), "ascii": defaultdict(dict)}  # form -> {variety: weight}
        for path in sorted((data_dir / "lang").glob("*/language.yaml")):
            spec = _read_yaml(path)
            names[path.parent.name] = spec["name"]
            if spec.get("wordfreq"):
                wordlists[path.parent.name] = spec["wordfreq"]
            for v in spec["varieties"]:
                varieties.append(Variety(
                    code=v["code"], reply=path.parent.name, lingua=v["lingua"],
                    langdetect=tuple(v.get("langdetect", ())), endings=tuple(v.get("endings", ())),
                    patterns=tuple(re.compile(p) for p in v.get("patterns", ())),
                ))
                for word, weight in _marker_words(v, tuning, path):
                    for index, form in [("raw", word), *(("ascii", s) for s in _ascii_spellings(word))]:
                        known = markers[index][form].get(v["code"], 0.0)
                        markers[index][form][v["code"]] = max(weight, known)
        return cls(varieties, {k: dict(m) for k, m in markers.items()}, names, tuning, wordlists)

    def detect(self, text: str, previous: str | None = None) -> LanguageGuess:
        """The reply language for ``text``; ``previous`` is the conversation's language so far, if any."""
        t = self.tuning
        previous = self._reply_of.get(previous) if previous else None
        tokens = _tokens(text or "")
        if not tokens:
            return self._fallback(previous, "no words")
        if _foreign_script_share(text) > t.foreign_script_share:
            code, prob = _wide_net(text)
            return self._unsupported(code, f"not in the Latin script; langdetect {code} {prob:.2f}")

        scores, claimed = self._marker_scores(tokens)
        if len(tokens) >= t.unsupported_min_words and claimed / len(tokens) <= t.unsupported_max_marker_share:
            code, prob = _wide_net(text)
            if code not in self._supported_langdetect and prob >= t.unsupported_min_probability:
                why = f"langdetect {code} {prob:.2f}; {claimed:g} of {len(tokens)} words are marker words"
                return self._unsupported(code, why)
        if previous and len(tokens) <= t.short_words:
            return self._fallback(previous, "short message")
        return self._decide(text, scores, previous)

    def warm(self) -> None:
        """Load every model now rather than on the first message (for a server)."""
        self.detect("warm up the models")
        _wide_net("warm up the wide net")

    def _marker_scores(self, tokens: list[str]) -> tuple[dict[str, float], float]:
        """Marker score per variety, and how many of the tokens are marker words of a supported language."""
        scores = dict.fromkeys(self._by_code, 0.0)
        claimed = 0.0
        for token in tokens:
            evidence, credit = self._evidence(token)
            claimed += credit
            for code, score in evidence:
                scores[code] += score
        return scores, claimed

    def _token_evidence(self, token: str) -> tuple[tuple[tuple[str, float], ...], float]:
        """What one word says: (variety, score) pairs from marker words and patterns, and how much it
        counts as a word of some supported language."""
        t = self.tuning
        index = self._markers["ascii" if token.isascii() else "raw"]
        claims = dict(index.get(token, {}))
        for v in self.varieties:  # an inflected form of a listed word: smerter, smertene <- smerte
            for ending in v.endings:
                stem = token[: -len(ending)]
                long_enough = len(stem) >= t.inflect_min_length
                if token.endswith(ending) and long_enough and v.code in index.get(stem, ()):
                    claims[v.code] = max(claims.get(v.code, 0.0), 1.0)
        if len({self._reply_of[c] for c in claims}) > 1:
            # A spelling several reply languages write ("for": en, da, nb and, without ö, sv "för") tells
            # them apart by nothing: each gets the smallest weight. nb and nn ("vondt") keep theirs.
            claims = dict.fromkeys(claims, min(claims.values()))
        if any(c in t.claiming_letters for c in token):
            credit = 1.0
        elif claims:
            credit = 1.0 if len(token) > 2 else t.two_letter_marker_credit
        else:
            credit = 0.0
        for v in self.varieties:
            hits = sum(1 for p in v.patterns if p.search(token))
            if hits:
                claims[v.code] = claims.get(v.code, 0.0) + hits
        common_in = self._far_more_common_in(token)
        if common_in:
            code = self._main_variety[common_in]
            claims[code] = claims.get(code, 0.0) + t.frequency_weight
        return tuple(claims.items()), credit

    def _far_more_common_in(self, token: str) -> str | None:
        """The reply language whose word list has ``token`` frequency_gap zipf units above every other's."""
        t = self.tuning
        if len(token) < t.frequency_min_length or len(self._wordlists) < 2:
            return None
        zipf = {lang: word_frequency.zipf(token, code) for lang, code in self._wordlists.items()}
        first, second = sorted(zipf, key=zipf.get, reverse=True)[:2]
        return first if zipf[first] - zipf[second] >= t.frequency_gap else None

    def _decide(self, text: str, markers: dict[str, float], previous: str | None) -> LanguageGuess:
        t = self.tuning
        lingua = dict.fromkeys(self._by_code, 0.0)
        for cv in _lingua(self._lingua_names).compute_language_confidence_values(text):
            lingua[self._lingua_codes[cv.language.name]] = cv.value
        by_variety = {c: markers[c] + t.lingua_weight * lingua[c] for c in self._by_code}
        # A reply language counts as its best variety. Summing lingua's probabilities over nb and nn
        # instead would tip Danish text to Norwegian: lingua spreads Danish over nb and nn too.
        by_reply: dict[str, float] = {}
        for code, score in by_variety.items():
            by_reply[self._reply_of[code]] = max(by_reply.get(self._reply_of[code], float("-inf")), score)
        ranked = sorted(by_reply, key=by_reply.get, reverse=True)
        winner, margin = ranked[0], by_reply[ranked[0]] - by_reply[ranked[1]]
        if previous and previous != winner and by_reply[previous] + t.previous_bonus >= by_reply[winner]:
            winner, margin = previous, 0.0
        detected = max((c for c in by_variety if self._reply_of[c] == winner), key=by_variety.get)
        source = "markers + lingua" if any(markers.values()) else "lingua only"
        evidence = ", ".join(f"{r} {by_reply[r]:.1f}" for r in ranked[:3])
        kept = "; kept the conversation's language" if winner != ranked[0] else ""
        confident = margin >= t.confident_margin
        return LanguageGuess(winner, detected, True, confident, f"{source}: {evidence}{kept}")

    def _unsupported(self, code: str, reason: str) -> LanguageGuess:
        return LanguageGuess(self.tuning.unsupported_reply, code, False, True, reason)

    def _fallback(self, previous: str | None, why: str) -> LanguageGuess:
        if previous:
            return LanguageGuess(previous, previous, True, False, f"{why}: the conversation's language")
        return LanguageGuess(self.tuning.default, "und", True, False, f"{why}: default language")


def _marker_words(spec: dict, tuning: Tuning, path: Path) -> Iterator[tuple[str, float]]:
    for kind, weight in (("words", 1.0), ("strong", tuning.strong_weight)):
        for word in spec.get(kind, ()):
            if not isinstance(word, str):  # YAML reads a bare no, on, off, yes as a boolean
                raise ValueError(f"{path}: marker word {word!r} of {spec['code']} must be quoted")
            yield word.lower(), weight


def _ascii_spellings(word: str) -> set[str]:
    if word.isascii():
        return {word}
    return {"".join(p) for p in itertools.product(*(_ASCII_SPELLINGS.get(c, (c,)) for c in word))}


def _read_yaml(path: Path) -> dict:
    return yamlfile.safe_load(path.read_text(encoding="utf-8"))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


def _foreign_script_share(text: str) -> float:
    """Share of letters outside the Latin script (Cyrillic, Arabic, CJK, ...)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(not unicodedata.name(c, "").startswith("LATIN") for c in letters) / len(letters)


@functools.cache
def _lingua(names: tuple[str, ...]):
    """One lingua detector per set of varieties; its models load lazily on the first call."""
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in names))
        .with_low_accuracy_mode()
        .build()
    )


@functools.lru_cache(maxsize=2048)
def _wide_net(text: str) -> tuple[str, float]:
    """langdetect's best language and its probability; seeded, so the same text gets the same answer.

    Cached because a conversation's earlier turns are detected again on every turn.
    """
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    with _langdetect_lock:  # langdetect reseeds the global random generator on every call
        try:
            best = detect_langs(text)[0]
        except LangDetectException:
            return "und", 0.0
    return best.lang, best.prob
