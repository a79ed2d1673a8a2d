"""Fast loading of the data a cold start reads: the YAML files through libyaml, and wordfreq's word lists
through a kept copy in the cache folder; both must give exactly what the slow path gives."""

from __future__ import annotations

import pickle

import pytest
import yaml
from wordfreq import zipf_frequency

from bot import word_frequency, yamlfile
from bot.config import DATA_DIR

WORDS = ("hælspore", "skrittet", "skridtet", "smerter", "vondt", "ondt", "hälsenan", "the", "Løbe", "ÆBLE",
         "tusindfryd", "xqzvy", "3x15", "don't", "hel-spore", "2026")


def test_every_data_file_reads_the_same_with_the_fast_parser():
    files = sorted(DATA_DIR.glob("**/*.yaml"))
    assert len(files) > 50
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yamlfile.safe_load(text) == yaml.safe_load(text), path


def test_kept_word_lists_answer_what_wordfreq_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    word_frequency._table.cache_clear()
    try:
        for language in ("sv", "da", "nb", "en"):
            for word in WORDS:
                assert word_frequency.zipf(word, language) == zipf_frequency(word, language, wordlist="small")
        kept = sorted((tmp_path / "painbot" / "wordfreq").glob("*.pickle"))
        assert [p.name.split("-")[0] for p in kept] == ["da", "en", "nb", "sv"]
        # A later start reads the kept copy: a marked copy is what answers.
        word_frequency._table.cache_clear()
        marked = {"hælspore": 7.5}
        da = next(p for p in kept if p.name.startswith("da-"))
        da.write_bytes(pickle.dumps(marked))
        assert word_frequency.zipf("hælspore", "da") == 7.5
        da.write_bytes(b"not a pickle")
        word_frequency._table.cache_clear()
        assert word_frequency.zipf("ondt", "da") == zipf_frequency("ondt", "da", wordlist="small")  # rewritten
        assert word_frequency.zipf("hælspore", "da") != 7.5
    finally:
        word_frequency._table.cache_clear()


def test_a_failed_cache_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    from bot.config import write_atomically

    path = tmp_path / "kept.pickle"
    path.write_bytes(b"old")

    def fails(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, fails)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["kept.pickle"]
    write_atomically(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new" and len(list(tmp_path.iterdir())) == 1
