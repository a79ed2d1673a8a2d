"""Choose the semantic net's thresholds on the project's own calibration messages and write thresholds.yaml.

    python -m bot.redflags.calibrate [--recall 0.98] [--model e5-small-q4] [--dry-run]

Per category, every (score, margin) pair on a grid is tried; the pair kept is the one that still catches at
least ``--recall`` of that category's calibration emergencies (bot/data/redflag_net/calibration/<lang>.yaml,
written apart from the descriptions so the check is on other wordings) with the fewest false alarms on the
calibration negatives, and among equals the strictest. The evaluation rows of the dev set are never read."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

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
    """Per message, each input row's best score per category and its margin over the ordinary texts."""
    rows = [[m, *net.inputs(m)] for m in messages]
    flat = [t for r in rows for t in r]
    vectors = np.vstack([embedder.queries(flat[i : i + 64]) for i in range(0, len(flat), 64)])
    out, start = [], 0
    for r in rows:
        best, _, plain = net.scores(vectors[start : start + len(r)])
        out.append((best, best - plain[:, None]))
        start += len(r)
    return out


def choose(net: SemanticNet, found: list[tuple[np.ndarray, np.ndarray]], labels, recall: float) -> dict[str, Threshold]:
    """Per category the strictest grid point that keeps its recall with the fewest false alarms."""
    chosen: dict[str, Threshold] = {}
    negatives = [f for f, label in zip(found, labels, strict=True) if label is None]
    for c, name in enumerate(net.names):
        positives = [f for f, label in zip(found, labels, strict=True) if label == name]
        need = math.ceil(recall * len(positives))
        best_key, best = None, None
        for t in SCORES:
            for m in MARGINS:
                caught = sum(bool(((s[:, c] >= t) & (g[:, c] >= m)).any()) for s, g in positives)
                if caught < need:
                    continue
                alarms = sum(bool(((s[:, c] >= t) & (g[:, c] >= m)).any()) for s, g in negatives)
                key = (alarms, -t - m, -m)
                if best_key is None or key < best_key:
                    best_key, best = key, Threshold(float(t), float(m))
        chosen[name] = best or Threshold(float(SCORES[0]), float(MARGINS[0]))
        print(
            f"{name}: score {chosen[name].score:.3f} margin {chosen[name].margin:+.3f}, "
            f"{len(positives)} emergencies, {best_key[0] if best_key else '?'} false alarms "
            f"of {len(negatives)} negatives",
            file=sys.stderr,
        )
    return chosen


def write(thresholds: dict[str, Threshold], path: Path) -> None:
    """Replace the categories block of thresholds.yaml, keeping its comments and limits."""
    text = path.read_text(encoding="utf-8")
    head = text[: text.index("categories:")]
    body = yaml.safe_dump(
        {"categories": {n: {"score": t.score, "margin": t.margin} for n, t in thresholds.items()}},
        sort_keys=False,
        default_flow_style=None,
    )
    path.write_text(head + body, encoding="utf-8")


def calibrate(embedder, recall: float, net_dir: Path = NET_DIR) -> dict[str, Threshold]:
    """The thresholds the calibration messages call for, with the descriptions encoded by ``embedder``."""
    levels = categories()
    thresholds, limits = load_thresholds(net_dir, list(levels))
    descriptions = load_descriptions(net_dir, list(levels))
    vectors = np.vstack([embedder.queries(list(descriptions.texts[i : i + 64]))
                         for i in range(0, len(descriptions.texts), 64)])
    net = SemanticNet.of(vectors, descriptions.texts, descriptions.labels, levels, thresholds, limits)
    calibration = load_calibration(net_dir)
    return choose(net, standings(net, embedder, calibration.messages), calibration.categories, recall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recall", type=float, default=0.98)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--dry-run", action="store_true", help="print the thresholds, do not write them")
    args = parser.parse_args(argv)
    chosen = calibrate(load_embedder(args.model), args.recall)
    if not args.dry_run:
        write(chosen, NET_DIR / "thresholds.yaml")
        print(f"wrote {NET_DIR / 'thresholds.yaml'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
