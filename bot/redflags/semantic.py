"""The semantic safety net (layer 2): emergencies described in words no rule lists, in any language.

The rules only know phrasings someone wrote down. The net compares the message's e5 vectors with short
descriptions of each category's emergency (bot/data/redflag_net/descriptions/<lang>.yaml, clinical and lay
phrasings) and with ordinary look-alike messages (everyday complaints, questions about warning signs, idioms,
resolved history, denied symptoms). A category fires when its closest description is close enough (its
threshold) AND closer than the closest ordinary text by a margin, both per category in thresholds.yaml and
chosen by ``python -m bot.redflags.calibrate`` on messages of the project's own.

A long message is also read sentence window by sentence window (an emergency told in passing is drowned in
the whole message's vector), and with earlier user turns the last turns joined are read too (symptoms spread
over turns). The description vectors are computed when the index is built (``write_vectors``), never at
start-up."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot import yamlfile
from bot.config import DATA_DIR

NET_DIR = DATA_DIR / "redflag_net"
VECTORS_FILE = "redflag_net.npy"
LABELS_FILE = "redflag_net.json"
FILES = (VECTORS_FILE, LABELS_FILE)  # what the index build writes for the net
ORDINARY = "ordinary"
_SENTENCE_END = re.compile(r"(?<=[.!?;:؟۔።…])\s+|\n+")


class NetDataError(ValueError):
    """A data file of the net is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Limits:
    """How much extra text a turn may encode for the net (kept as data in thresholds.yaml)."""

    short_words: int  # a message shorter than this is read whole, by the focus vector alone
    window_words: int  # a long message is read in sentence windows of about this many words
    max_windows: int  # at most this many windows per message
    context_words: int  # the last user turns joined, cut to this many words from the end
    context_turns: int  # how many earlier user turns join the message
    top_k: int  # a category's score is the mean cosine of its top_k closest descriptions
    window_margin: float  # a window of a long message needs this much more margin (many windows, many chances)


@dataclass(frozen=True)
class Threshold:
    score: float  # the category's score (mean cosine of its closest descriptions)
    margin: float  # how much closer than the closest ordinary text


@dataclass(frozen=True)
class Closest:
    """One category's standing on a message, for ``--explain``."""

    category: str
    score: float
    threshold: float
    margin: float  # score minus the ordinary texts' score (less a window's extra margin)
    needed_margin: float
    text: str  # the input the score comes from (the message, a window, or the turns joined)
    description: str  # the closest description

    @property
    def fires(self) -> bool:
        return self.score >= self.threshold and self.margin >= self.needed_margin


@dataclass(frozen=True)
class NetVerdict:
    fired: str | None  # the category the net raises, or None
    level: str | None  # emergency | urgent when fired
    closest: tuple[Closest, ...]  # categories by how near they came to firing, nearest first

    def explain(self, top: int = 3) -> str:
        lines = [f"semantic net: {'fired ' + self.fired if self.fired else 'nothing fired'}"]
        for c in self.closest[:top]:
            lines.append(
                f"  {c.category}: score {c.score:.3f} (threshold {c.threshold:.3f}), margin over ordinary "
                f"{c.margin:+.3f} (needed {c.needed_margin:+.3f}) on {c.text[:60]!r}, closest {c.description[:60]!r}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class Descriptions:
    texts: tuple[str, ...]
    labels: tuple[str, ...]  # a category, or ORDINARY
    languages: tuple[str, ...]


def _read_yaml(path: Path) -> object:
    try:
        return yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise NetDataError(f"{path}: cannot be read as YAML ({exc})") from exc


def _strings(value: object, path: Path, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(t, str) and t.strip() for t in value):
        raise NetDataError(f"{path}: {where} must be a non-empty list of texts")
    return [t.strip() for t in value]


def categories(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """The red-flag categories and their levels, from the rules' category file (one list for both layers)."""
    path = data_dir / "redflag_categories.yaml"
    spec = _read_yaml(path)
    if not isinstance(spec, dict) or not isinstance(spec.get("categories"), dict):
        raise NetDataError(f"{path}: has no 'categories' mapping")
    return {name: str(entry.get("level", "urgent")) for name, entry in spec["categories"].items()}


def load_descriptions(net_dir: Path = NET_DIR, known: Sequence[str] | None = None) -> Descriptions:
    """Every description file (one per language): category texts and ordinary texts, labelled."""
    known = list(known if known is not None else categories())
    files = sorted((net_dir / "descriptions").glob("*.yaml"))
    if not files:
        raise NetDataError(f"{net_dir / 'descriptions'}: no description files")
    texts: list[str] = []
    labels: list[str] = []
    languages: list[str] = []
    for path in files:
        spec = _read_yaml(path)
        if not isinstance(spec, dict) or not isinstance(spec.get("categories"), dict):
            raise NetDataError(f"{path}: needs 'language', 'categories' (a mapping) and 'ordinary'")
        language = spec.get("language")
        if language != path.stem:
            raise NetDataError(f"{path}: 'language' must be {path.stem!r}, the file's name")
        for name, value in spec["categories"].items():
            if name not in known:
                raise NetDataError(f"{path}: unknown category {name!r} (known: {', '.join(known)})")
            for text in _strings(value, path, f"categories.{name}"):
                texts.append(text), labels.append(name), languages.append(language)
        for text in _strings(spec.get("ordinary"), path, "ordinary"):
            texts.append(text), labels.append(ORDINARY), languages.append(language)
    return Descriptions(tuple(texts), tuple(labels), tuple(languages))


def load_thresholds(net_dir: Path = NET_DIR, known: Sequence[str] | None = None) -> tuple[dict[str, Threshold], Limits]:
    path = net_dir / "thresholds.yaml"
    spec = _read_yaml(path)
    known = list(known if known is not None else categories())
    try:
        limits = Limits(**{k: float(v) if k == "window_margin" else int(v) for k, v in spec["limits"].items()})
        found = {name: Threshold(float(t["score"]), float(t["margin"])) for name, t in spec["categories"].items()}
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise NetDataError(
            f"{path}: needs 'limits' ({', '.join(Limits.__dataclass_fields__)}) and 'categories' with a score "
            f"and a margin each ({type(exc).__name__}: {exc})"
        ) from exc
    missing = [c for c in known if c not in found]
    unknown = [c for c in found if c not in known]
    if missing or unknown:
        raise NetDataError(f"{path}: categories missing {missing} or unknown {unknown}")
    return found, limits


def fingerprint(net_dir: Path = NET_DIR) -> str:
    """Hash of the description files: their vectors live in the index, so an edit rebuilds it."""
    digest = hashlib.sha256()
    for path in sorted((net_dir / "descriptions").glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write_vectors(embedder, index_dir: Path, net_dir: Path = NET_DIR) -> str:
    """Encode the descriptions into ``index_dir`` (at build time); returns the data's fingerprint."""
    found = load_descriptions(net_dir)
    vectors = embedder.queries(list(found.texts)) if found.texts else np.zeros((0, embedder.dim), np.float32)
    np.save(index_dir / VECTORS_FILE, np.asarray(vectors, dtype=np.float32))
    table = {
        "fingerprint": fingerprint(net_dir),
        "model": embedder.name,
        "dim": embedder.dim,
        "texts": found.texts,
        "labels": found.labels,
        "languages": found.languages,
    }
    (index_dir / LABELS_FILE).write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    return table["fingerprint"]


def _windows(message: str, limits: Limits) -> list[str]:
    """Sentence windows of a long message: whole sentences packed up to ``window_words``, long ones cut."""
    pieces: list[list[str]] = []
    for sentence in _SENTENCE_END.split(message):
        words = sentence.split()
        for start in range(0, len(words), limits.window_words):
            pieces.append(words[start : start + limits.window_words])
    windows: list[list[str]] = []
    for words in pieces:
        if windows and len(windows[-1]) + len(words) <= limits.window_words:
            windows[-1] = windows[-1] + words
        elif words:
            windows.append(words)
    # A few words alone ("Jeg vil ikke overdrive.") read like anything to the encoder: a short window joins
    # the next one (the last joins the one before it).
    i = 0
    while len(windows) > 1 and i < len(windows):
        if len(windows[i]) < limits.window_words // 2:
            j = i + 1 if i + 1 < len(windows) else i - 1
            lo, hi = sorted((i, j))
            windows[lo : hi + 1] = [windows[lo] + windows[hi]]
            i = lo
        else:
            i += 1
    if len(windows) > limits.max_windows:  # keep the ends, where people tend to put what matters
        half = limits.max_windows // 2
        windows = windows[:half] + windows[-(limits.max_windows - half) :]
    return [" ".join(w) for w in windows]


@dataclass
class SemanticNet:
    vectors: np.ndarray  # (n_descriptions, dim)
    labels: np.ndarray  # category index per description, -1 for ordinary
    texts: tuple[str, ...]
    names: tuple[str, ...]  # categories in precedence order
    levels: dict[str, str]
    thresholds: dict[str, Threshold]
    limits: Limits
    # Which windows of a long message are read (``Safety.names_a_symptom``); None reads them all.
    reads_window: Callable[[str], bool] | None = None

    @classmethod
    def load(cls, embedder, index_dir: Path, net_dir: Path = NET_DIR, data_dir: Path = DATA_DIR) -> SemanticNet:
        """The net over the description vectors stored with the index (encoded here only when they are stale)."""
        levels = categories(data_dir)
        thresholds, limits = load_thresholds(net_dir, list(levels))
        table = _stored(index_dir, embedder, net_dir)
        if table is None:
            write_vectors(embedder, index_dir, net_dir)
            table = _stored(index_dir, embedder, net_dir)
        return cls.of(*table, levels, thresholds, limits)

    @classmethod
    def of(
        cls,
        vectors: np.ndarray,
        texts: Sequence[str],
        labels: Sequence[str],
        levels: dict[str, str],
        thresholds: dict[str, Threshold],
        limits: Limits,
    ) -> SemanticNet:
        names = tuple(levels)
        index = {name: i for i, name in enumerate(names)}
        label_ids = np.array([index.get(label, -1) for label in labels], dtype=np.int64)
        return cls(np.asarray(vectors, dtype=np.float32), label_ids, tuple(texts), names, levels, thresholds, limits)

    def inputs(self, message: str, earlier_user_turns: Sequence[str] = (), focus: str | None = None) -> list[str]:
        """The texts to encode for the net beyond the turn's focus: none for a short message read whole,
        sentence windows of a long one, and the last user turns joined when there are earlier turns."""
        return [text for text, _ in self._rows(message, earlier_user_turns, focus)]

    def _rows(self, message: str, earlier: Sequence[str], focus: str | None) -> list[tuple[str, str]]:
        """The extra inputs with their kind: ``window``, ``message`` (when the focus is not it) or ``context``.
        (The focus, row 0 of the turn's vectors, is not among them.)"""
        rows: list[tuple[str, str]] = []
        if len(message.split()) >= self.limits.short_words:
            windows = _windows(message, self.limits)
            if self.reads_window is not None:
                windows = [w for w in windows if self.reads_window(w)]
            rows += [(w, "window") for w in windows]
        elif focus is not None and focus.strip() != message.strip():
            rows.append((message, "message"))
        turns = [t for t in earlier if isinstance(t, str) and t.strip()][-self.limits.context_turns :]
        if turns:
            joined = " ".join([*turns, message]).split()
            rows.append((" ".join(joined[-self.limits.context_words :]), "context"))
        return rows

    def _focus_kind(self, message: str) -> str:
        """A long message's own vector blurs its many topics together: it is held to a window's margin."""
        return "window" if len(message.split()) >= self.limits.short_words else "focus"

    def margins(self, vectors: np.ndarray, kinds: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row and category: the score, the margin over the ordinary texts less what the row's kind must
        add (a window's extra margin), and which description came closest."""
        best, which, plain = self.scores(vectors)
        extra = np.array([self.limits.window_margin if k == "window" else 0.0 for k in kinds], dtype=np.float32)
        return best, best - plain[:, None] - extra[:, None], which

    def scores(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per input row: each category's score (rows x categories: the mean cosine of its ``top_k`` closest
        descriptions), which description came closest, and the same score for the ordinary texts (rows).
        A mean of a few neighbours is steadier than the single closest one, which one odd text can decide."""
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        k = self.limits.top_k
        best = np.full((sims.shape[0], len(self.names)), -1.0, dtype=np.float32)
        which = np.zeros((sims.shape[0], len(self.names)), dtype=np.int64)
        for c in range(len(self.names)):
            columns = np.flatnonzero(self.labels == c)
            if len(columns):
                part = sims[:, columns]
                which[:, c] = columns[part.argmax(axis=1)]
                best[:, c] = _top_mean(part, k)
        ordinary = np.flatnonzero(self.labels == -1)
        plain = _top_mean(sims[:, ordinary], k) if len(ordinary) else np.full(sims.shape[0], -1.0, np.float32)
        return best, which, plain

    def judge(self, vectors: np.ndarray, message: str, earlier_user_turns: Sequence[str] = (),
              focus: str | None = None) -> NetVerdict:
        """The verdict on one turn from the vectors of ``[focus, *inputs(message, earlier, focus)]`` (all rows,
        the focus first; without a focus of its own the message is the focus)."""
        rows = [(focus if focus is not None else message, self._focus_kind(message)),
                *self._rows(message, earlier_user_turns, focus)]
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.vectors.shape[1])
        if len(vectors) != len(rows):
            raise ValueError(f"the net expects {len(rows)} vectors ([focus, *inputs]), got {len(vectors)}")
        best, margin, which = self.margins(vectors, [kind for _, kind in rows])
        standings = []
        for c, name in enumerate(self.names):
            t = self.thresholds[name]
            # the row that comes nearest to firing this category decides its standing
            slack = np.minimum(best[:, c] - t.score, margin[:, c] - t.margin)
            row = int(slack.argmax())
            closest = Closest(name, float(best[row, c]), t.score, float(margin[row, c]), t.margin, rows[row][0],
                              self.texts[which[row, c]])
            standings.append((float(slack[row]), closest))
        standings.sort(key=lambda s: -s[0])
        closest = tuple(c for _, c in standings)
        fired = next((c.category for c in closest if c.fires), None)
        return NetVerdict(fired, self.levels.get(fired) if fired else None, closest)


def _top_mean(sims: np.ndarray, k: int) -> np.ndarray:
    """Row-wise mean of the ``k`` largest values."""
    k = max(1, min(k, sims.shape[1]))
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)


def _stored(index_dir: Path, embedder, net_dir: Path) -> tuple[np.ndarray, tuple[str, ...], list[str]] | None:
    """The stored description vectors when they match the data and the model, else None."""
    try:
        table = json.loads((index_dir / LABELS_FILE).read_text(encoding="utf-8"))
        vectors = np.load(index_dir / VECTORS_FILE)
    except (OSError, ValueError):
        return None
    if (
        table.get("fingerprint") != fingerprint(net_dir)
        or table.get("model") != embedder.name
        or vectors.shape != (len(table.get("texts", ())), embedder.dim)
    ):
        return None
    return vectors, tuple(table["texts"]), list(table["labels"])
