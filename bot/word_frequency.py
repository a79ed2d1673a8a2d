"""Zipf word frequencies from wordfreq's small lists, kept in the per-user cache as plain dicts.

Importing wordfreq and reading its lists for four languages took 0.8 s of every cold start (``painbot ask``,
each batch run); the kept copy loads in about 0.04 s. It holds wordfreq's own answer for every word of the
list, so a plain word gets the same zipf value either way; a token that is not a plain word (digits,
apostrophes, several words) is still asked of wordfreq. The copy is keyed by the list file's size and date,
so an upgraded wordfreq writes a new one."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import pickle
from functools import cache
from pathlib import Path

from bot.config import cache_root, write_atomically

WORDLIST = "small"


def zipf(word: str, language: str) -> float:
    """wordfreq's ``zipf_frequency(word, language, wordlist="small")``."""
    if word.isalpha():
        table = _table(language)
        if table is not None:
            return table.get(word.casefold(), 0.0)
    from wordfreq import zipf_frequency

    return zipf_frequency(word, language, wordlist=WORDLIST)


@cache
def _table(language: str) -> dict[str, float] | None:
    source = _list_file(language)
    if source is None:
        return None
    stat = source.stat()
    key = hashlib.sha1(f"{source.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    path = cache_root() / "wordfreq" / f"{language}-{key}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError):
        pass
    from wordfreq import get_frequency_dict, zipf_frequency

    table = {w: zipf_frequency(w, language, wordlist=WORDLIST) for w in get_frequency_dict(language, WORDLIST)}
    with contextlib.suppress(OSError):  # a read-only cache folder costs the next start time, nothing else
        write_atomically(path, lambda f: pickle.dump(table, f, protocol=pickle.HIGHEST_PROTOCOL))
    return table


def _list_file(language: str) -> Path | None:
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{WORDLIST}_{language}.msgpack.gz"
    return path if path.is_file() else None
