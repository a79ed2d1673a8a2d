"""Shared fixtures: the real corpus, a real index built once per test session, the real Bot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.config import DATA_DIR

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Settings on a private index folder, seeded from the project's index when that one is up to date
    (``make test`` builds it first), so tests may damage their copy and the suite builds at most once."""
    from bot.config import Settings
    from bot.index import index_status

    index_dir = tmp_path_factory.mktemp("run") / "index"
    project = Settings(corpus_dir=DATA_DIR / "corpus", index_dir=ROOT / "index")
    cached = Settings(corpus_dir=DATA_DIR / "corpus", index_dir=None)  # where `painbot build` puts it by default
    seed = next((s for s in (project, cached) if index_status(s).ok), None)
    if seed:
        shutil.copytree(seed.index_dir, index_dir)
    corpus = DATA_DIR / "corpus"
    return Settings(corpus_dir=corpus, index_dir=index_dir, country="", feedback_path=index_dir / "fb.jsonl")


@pytest.fixture(scope="session")
def embedder():
    from bot.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def index(settings, embedder):
    from bot.index import ensure_index

    return ensure_index(settings, embedder)


@pytest.fixture(scope="session")
def bot(settings, index):
    from bot.chat import Bot

    return Bot.load(settings)
