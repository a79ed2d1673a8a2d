"""Deployment settings, read once from the environment (``PAINBOT_*``); CLI flags override them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
PROJECT_DIR = PACKAGE_DIR.parent
LANGUAGES = ("sv", "da", "nb", "en")
# English has no home country: without a deployment setting, escalations list every country's numbers.
DEFAULT_COUNTRY_BY_LANGUAGE = {"sv": "SE", "da": "DK", "nb": "NO"}


def _env_list(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(x.strip() for x in os.environ.get(name, default).split(",") if x.strip())


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: Path(os.environ.get("PAINBOT_CORPUS") or DATA_DIR / "corpus"))
    index_dir: Path = field(default_factory=lambda: Path(os.environ.get("PAINBOT_INDEX", "index")))
    model: str = field(default_factory=lambda: os.environ.get("PAINBOT_MODEL", "e5-small-q4"))
    # FAISS index for passages: flat (exact), hnsw (approximate), or auto (flat until HNSW_FROM_CHUNKS).
    faiss_kind: str = field(default_factory=lambda: os.environ.get("PAINBOT_FAISS", "auto").lower())
    # Country for emergency numbers; empty = derived from the user's language.
    country: str = field(default_factory=lambda: os.environ.get("PAINBOT_COUNTRY", "").upper())
    ui_language: str = field(default_factory=lambda: os.environ.get("PAINBOT_UI_LANG", "sv"))
    host: str = field(default_factory=lambda: os.environ.get("PAINBOT_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("PAINBOT_PORT", "7860")))
    allowed_origins: tuple[str, ...] = field(default_factory=lambda: _env_list("PAINBOT_ALLOWED_ORIGINS"))
    rate_limit_per_minute: int = field(default_factory=lambda: int(os.environ.get("PAINBOT_RATE_LIMIT", "60")))
    feedback_path: Path = field(
        default_factory=lambda: Path(os.environ.get("PAINBOT_FEEDBACK", "feedback.jsonl"))
    )

    def with_overrides(self, **changes) -> Settings:
        """Copy with the given non-None values replaced (CLI flags over environment)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def country_for(self, language: str) -> str:
        return self.country or DEFAULT_COUNTRY_BY_LANGUAGE.get(language, "")
