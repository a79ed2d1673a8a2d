"""Deployment settings, read once from the environment (``PAINBOT_*``); CLI flags override them."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
PROJECT_DIR = PACKAGE_DIR.parent
LANGUAGES = ("sv", "da", "nb", "en")
# English has no home country: without a deployment setting, escalations list every country's numbers.
DEFAULT_COUNTRY_BY_LANGUAGE = {"sv": "SE", "da": "DK", "nb": "NO"}


def _env_list(name: str, default: str = "") -> tuple[str, ...]:
    return tuple(x.strip() for x in os.environ.get(name, default).split(",") if x.strip())


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "")
    return Path(value) if value else None


def cache_root() -> Path:
    """The per-user cache folder: $XDG_CACHE_HOME/painbot, else ~/.cache/painbot."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "painbot"


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """A cache file written whole or not at all: a process running beside this one never reads half a file.
    Raises OSError when the folder cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def file_safe(name: str, limit: int) -> str:
    """A model name (which may be a path) as part of a file name in the cache folder."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:limit]


def default_index_dir(corpus_dir: Path, model: str, translations: str = "on") -> Path:
    """The index of this corpus and model in the cache folder, so an installed painbot runs from any folder
    and never writes into the current one. Keyed by the corpus's content, the model and the translations
    setting (which language versions are indexed): another corpus, model or setting gets its own folder, so
    switching back and forth never rebuilds; a missing corpus is keyed by its path (the build then says what
    is wrong). The index format is in the key too: two painbot versions on one machine (a server still running
    while an upgrade is tested) would otherwise rebuild the one folder in turn, under each other's readers."""
    from bot.corpus import corpus_fingerprint
    from bot.index import FORMAT_VERSION

    corpus = Path(corpus_dir)
    basis = corpus_fingerprint(corpus) if corpus.is_dir() else f"path:{corpus.resolve()}"
    key = hashlib.sha256(f"{basis}\0{model}\0{translations}\0{FORMAT_VERSION}".encode()).hexdigest()[:16]
    return cache_root() / "index" / f"{file_safe(model, 40)}-{key}"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: Path(os.environ.get("PAINBOT_CORPUS") or DATA_DIR / "corpus"))
    # None = the per-user cache folder for this corpus and model (see default_index_dir).
    index_dir: Path | None = field(default_factory=lambda: _env_path("PAINBOT_INDEX"))
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
    # Stored article translations in replies: on, reviewed-only (signed by a reviewer) or off (originals only).
    translations: str = field(default_factory=lambda: os.environ.get("PAINBOT_TRANSLATIONS", "on").lower())

    # Clients whose X-Forwarded-For is believed (comma-separated addresses, or * behind a private network).
    trusted_proxies: tuple[str, ...] = field(default_factory=lambda: _env_list("PAINBOT_TRUSTED_PROXIES"))
    workers: int = field(default_factory=lambda: int(os.environ.get("PAINBOT_WORKERS", "1")))
    # Feedback file cap: at this size it is rotated to <name>.1 (the older .1 is dropped), so at most twice this.
    feedback_max_bytes: int = field(
        default_factory=lambda: int(os.environ.get("PAINBOT_FEEDBACK_MAX_BYTES", str(5 * 1024 * 1024)))
    )
    docs: bool = field(default_factory=lambda: os.environ.get("PAINBOT_DOCS", "on").lower() != "off")
    index_is_default: bool = field(default=False, init=False, compare=False)

    def __post_init__(self) -> None:
        if self.index_dir is None:
            object.__setattr__(self, "index_dir", default_index_dir(self.corpus_dir, self.model, self.translations))
            object.__setattr__(self, "index_is_default", True)

    def with_overrides(self, **changes) -> Settings:
        """Copy with the given non-None values replaced (CLI flags over environment). A default index
        follows a changed corpus or model to its own cache folder."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if self.index_is_default and "index_dir" not in changes:
            changes["index_dir"] = None
        return replace(self, **changes)

    def country_for(self, language: str) -> str:
        return self.country or DEFAULT_COUNTRY_BY_LANGUAGE.get(language, "")
