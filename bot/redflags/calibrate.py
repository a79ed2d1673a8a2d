"""Choose the semantic net's thresholds on the project's own calibration messages and write thresholds.yaml.

    python -m bot.redflags.calibrate [--recall 0.98] [--max-alarms 1] [--article-alarms 2] [--dry-run]

Per category, every (score, margin) pair on a grid is tried; the pair kept is the one that still catches at
least ``--recall`` of that category's calibration emergencies (bot/data/redflag_net/calibration/<lang>.yaml,
written apart from the descriptions so the check is on other wordings) with the fewest false alarms on the
calibration negatives, and among equals the strictest. A category that cannot reach that recall within its
false-alarm budgets gets the most emergencies it can catch within them: the rules (layer 1) stand in front, so
a net that cries wolf costs more than one that misses what the rules catch anyway.

Two budgets bound the false alarms. ``--max-alarms``: on the calibration negatives (a few hundred hard cases
written for it). ``--article-alarms``: on the articles themselves, every quote unit in every language version
except the warning signs and seek-care advice. An article sentence is an ordinary leg-pain text by
construction, and there are over a thousand of them, in the words people ask with; a category that fires
on them would fire on everyday questions. The evaluation rows of the dev set are never read."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.answer import CARE_ROLES
from bot.config import Settings
from bot.corpus import load_corpus
from bot.embed import DEFAULT_MODEL, load_embedder
from bot.redflags.semantic import (
    NET_DIR,
    NetDataError,
    SemanticNet,
    Threshold,
    _read_yaml,
    _strings,
    categories,
    load_descriptions,
    load_thresholds,
)
from bot.roles import RoleBook
from bot.translations import Translations
from bot.units import cut_units

SCORES = np.round(np.arange(0.76, 0.951, 0.005), 3)
MARGINS = np.round(np.arange(-0.06, 0.081, 0.005), 3)


@dataclass(frozen=True)
class Calibration:
    messages: tuple[str, ...]
    categories: tuple[str | None, ...]  # None for a negative
    languages: tuple[str, ...]


def load_calibration(net_dir: Path = NET_DIR) -> Calibration:
    known = set(categories())
    messages: list[str] = []
    labels: list[str | None] = []
    languages: list[str] = []
    for path in sorted((net_dir / "calibration").glob("*.yaml")):
        spec = _read_yaml(path)
        if not isinstance(spec, dict) or not isinstance(spec.get("positives"), dict):
            raise NetDataError(f"{path}: needs 'language', 'positives' (a mapping) and 'negatives'")
        for name, value in spec["positives"].items():
            if name not in known:
                raise NetDataError(f"{path}: unknown category {name!r}")
            for text in _strings(value, path, f"positives.{name}"):
                messages.append(text), labels.append(name), languages.append(str(spec.get("language")))
        for text in _strings(spec.get("negatives"), path, "negatives"):
            messages.append(text), labels.append(None), languages.append(str(spec.get("language")))
    return Calibration(tuple(messages), tuple(labels), tuple(languages))


def standings(net: SemanticNet, embedder, messages: tuple[str, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per message, each input row's score per category and its margin (a window's extra margin taken off)."""
    rows = [[(m, net._focus_kind(m)), *net._rows(m, (), None)] for m in messages]
    flat = [text for r in rows for text, _ in r]
    vectors = np.vstack([embedder.queries(flat[i : i + 64]) for i in range(0, len(flat), 64)])
    out, start = [], 0
    for r in rows:
        best, margin, _ = net.margins(vectors[start : start + len(r)], [kind for _, kind in r])
        out.append((best, margin))
        start += len(r)
    return out


@dataclass(frozen=True)
class _Group:
    """Messages' input rows stacked (scores and margins, rows x categories), with the message each row is of."""

    scores: np.ndarray
    margins: np.ndarray
    owner: np.ndarray
    size: int

    @classmethod
    def of(cls, found: list[tuple[np.ndarray, np.ndarray]]) -> _Group:
        if not found:
            return cls(np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(0, np.int64), 0)
        owner = np.concatenate([np.full(len(s), i) for i, (s, _) in enumerate(found)])
        return cls(np.vstack([s for s, _ in found]), np.vstack([g for _, g in found]), owner, len(found))

    def fired(self, c: int, score: float, margin: float) -> int:
        """How many of the messages a category fires on at this point."""
        if not self.size:
            return 0
        hit = (self.scores[:, c] >= score) & (self.margins[:, c] >= margin)
        return int(np.unique(self.owner[hit]).size)


def choose(net: SemanticNet, found: list[tuple[np.ndarray, np.ndarray]], labels, recall: float,
           max_alarms: int, articles: list[tuple[np.ndarray, np.ndarray]] = (), article_alarms: int = 0,
           ) -> dict[str, Threshold]:
    """Per category: the fewest false alarms that still reach ``recall``, the strictest such point; when no point
    within the budgets (``max_alarms`` on the negatives, ``article_alarms`` on the article units) reaches it, the
    most emergencies caught within them."""
    chosen: dict[str, Threshold] = {}
    negatives = _Group.of([f for f, label in zip(found, labels, strict=True) if label is None])
    in_article = _Group.of(list(articles))
    for c, name in enumerate(net.names):
        positives = _Group.of([f for f, label in zip(found, labels, strict=True) if label == name])
        need = math.ceil(recall * positives.size)
        best_key, best, report = None, None, ""
        for t in SCORES:
            for m in MARGINS:
                on_articles = in_article.fired(c, t, m)
                alarms = negatives.fired(c, t, m)
                if on_articles > article_alarms or alarms > max_alarms:
                    continue
                caught = positives.fired(c, t, m)
                key = (0, alarms, on_articles, -t - m) if caught >= need else (1, -caught, alarms + on_articles, -t - m)
                if best_key is None or key < best_key:
                    best_key, best = key, Threshold(float(t), float(m))
                    report = (f"{caught}/{positives.size} emergencies, {alarms}/{negatives.size} false alarms, "
                              f"{on_articles}/{in_article.size} on article units")
        chosen[name] = best or Threshold(float(SCORES[-1]), float(MARGINS[-1]))
        print(f"{name}: score {chosen[name].score:.3f} margin {chosen[name].margin:+.3f}: {report}", file=sys.stderr)
    return chosen


def write(thresholds: dict[str, Threshold], path: Path) -> None:
    """Replace the categories block of thresholds.yaml, keeping its comments and limits."""
    text = path.read_text(encoding="utf-8")
    head = text[: text.index("categories:")]
    body = yaml.safe_dump({"categories": {n: {"score": t.score, "margin": t.margin} for n, t in thresholds.items()}},
                          sort_keys=False, default_flow_style=None)
    path.write_text(head + body, encoding="utf-8")


def article_texts(corpus_dir: Path | None = None) -> list[str]:
    """Every quote unit of the articles in every language version, but the warning signs and seek-care advice:
    ordinary texts about leg pain, on which the net must stay quiet."""
    corpus_dir = corpus_dir or Settings().corpus_dir
    documents = load_corpus(corpus_dir)
    roles = RoleBook.load(corpus_dir, {d.doc_id: set(d.seek_care) for d in documents})
    translations = Translations.load(corpus_dir, "on", documents)
    texts: dict[str, None] = {}
    for document in documents:
        for unit in cut_units(document):
            if roles.role(unit) not in CARE_ROLES:
                texts.update(dict.fromkeys(translations.unit_versions(unit).values()))
    return list(texts)


def calibrate(embedder, recall: float, max_alarms: int = 1, article_alarms: int = 2, net_dir: Path = NET_DIR,
              corpus_dir: Path | None = None) -> dict[str, Threshold]:
    """The thresholds the calibration messages and the articles call for, with the limits (window margin
    included) of the file."""
    levels = categories()
    thresholds, limits = load_thresholds(net_dir, list(levels))
    descriptions = load_descriptions(net_dir, list(levels))
    vectors = np.vstack([embedder.queries(list(descriptions.texts[i : i + 64]))
                         for i in range(0, len(descriptions.texts), 64)])
    net = SemanticNet.of(vectors, descriptions.texts, descriptions.labels, levels, thresholds, limits)
    calibration = load_calibration(net_dir)
    found = standings(net, embedder, calibration.messages)
    articles = standings(net, embedder, tuple(article_texts(corpus_dir)))
    chosen = choose(net, found, calibration.categories, recall, max_alarms, articles, article_alarms)
    fired = [any(bool(((s[:, c] >= chosen[n].score) & (g[:, c] >= chosen[n].margin)).any())
                 for c, n in enumerate(net.names)) for s, g in found]
    alarms = sum(f for f, label in zip(fired, calibration.categories, strict=True) if label is None)
    caught = sum(f for f, label in zip(fired, calibration.categories, strict=True) if label)
    print(f"in all: {caught}/{sum(bool(c) for c in calibration.categories)} emergencies caught, {alarms}/"
          f"{sum(c is None for c in calibration.categories)} negatives falsely alarmed", file=sys.stderr)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recall", type=float, default=0.98)
    parser.add_argument("--max-alarms", type=int, default=1, help="false alarms a category may raise on the negatives")
    parser.add_argument("--article-alarms", type=int, default=2,
                        help="article units (warning signs and seek-care advice left out) a category may fire on")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--dry-run", action="store_true", help="print the thresholds, do not write them")
    args = parser.parse_args(argv)
    chosen = calibrate(load_embedder(args.model), args.recall, args.max_alarms, args.article_alarms)
    if not args.dry_run:
        write(chosen, NET_DIR / "thresholds.yaml")
        print(f"wrote {NET_DIR / 'thresholds.yaml'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
