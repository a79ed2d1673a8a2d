"""The `painbot` command as a user runs it: a fresh process per command, on the session's built index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def painbot(settings, index):
    def run(*args: str) -> subprocess.CompletedProcess:
        paths = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
        return subprocess.run([sys.executable, "-m", "bot", *paths, *args], capture_output=True, text=True, timeout=300)

    return run


def test_ask_answers_in_swedish_citing_the_shin_article(painbot):
    done = painbot("ask", "--json", "Varför får jag ont i smalbenen när jag springer?")
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["language"] == "sv" and reply["kind"] == "answer"
    assert reply["citations"][0]["doc_id"] == "sv-benhinnor"
    assert "[1]" in reply["text"]


def test_ask_prints_the_emergency_number_for_a_red_flag(painbot):
    done = painbot("--country", "NO", "ask", "Jeg har plutselig mistet kontrollen over blæren og har vondt i ryggen")
    assert done.returncode == 0, done.stderr
    assert "113" in done.stdout and "112" not in done.stdout


def test_build_leaves_an_up_to_date_index_alone(painbot):
    done = painbot("build")
    assert done.returncode == 0 and "up to date" in done.stdout


def test_redflags_explain_names_the_rule_and_the_negation(painbot):
    fired = painbot("redflags", "--explain", "Vaden är svullen, röd och varm bara på ena benet")
    assert fired.returncode == 0 and "blood_clot" in fired.stdout
    denied = painbot("redflags", "--explain", "Jag har ingen feber")
    assert denied.returncode == 0 and "negat" in denied.stdout.lower()


def test_an_unloadable_model_is_one_line_on_stderr_not_a_traceback(painbot):
    done = painbot("--model", "st:/no/such/model", "ask", "hej")
    assert done.returncode == 2
    assert done.stderr.startswith("painbot: error: cannot load sentence-transformers model")
    assert "Traceback" not in done.stderr


def test_ask_works_from_any_folder_with_the_index_in_the_user_cache(tmp_path, settings, index, monkeypatch):
    """An installed painbot finds its articles in the package and its index in $XDG_CACHE_HOME/painbot; the
    folder it runs in is left untouched. The cache is seeded with the session's index (building is tested
    elsewhere and takes minutes)."""
    from bot.config import DATA_DIR, default_index_dir

    cache, elsewhere = tmp_path / "cache", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    target = default_index_dir(DATA_DIR / "corpus", settings.model)
    assert target.is_relative_to(cache / "painbot")
    shutil.copytree(settings.index_dir, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAINBOT_")}
    script = Path(sys.executable).with_name("painbot")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    done = subprocess.run(
        [*command, "ask", "--json", "Hvad er en hælspore?"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["kind"] == "answer" and reply["language"] == "da"
    assert "no-haelspore" in {c["doc_id"] for c in reply["citations"]}
    assert "building" not in done.stderr  # it found the cached index
    assert list(elsewhere.iterdir()) == []


def test_each_translations_setting_has_its_own_default_index(tmp_path, monkeypatch):
    """A clinic switching to reviewed-only and back never waits for a rebuild: each setting indexes other
    language versions, so each has its own folder; an explicit --index is still used as given."""
    from bot.config import Settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folders = {mode: Settings(index_dir=None, translations=mode).index_dir for mode in ("on", "reviewed-only", "off")}
    assert len(set(folders.values())) == 3 and all(f.is_relative_to(tmp_path) for f in folders.values())
    assert Settings(index_dir=None).with_overrides(translations="off").index_dir == folders["off"]
    assert Settings(index_dir=tmp_path / "mine", translations="off").index_dir == tmp_path / "mine"


def test_each_index_format_has_its_own_default_index(tmp_path, monkeypatch):
    """Two painbot versions on one machine (a server still running while an upgrade is tested) must not
    rebuild one cache folder in turn under each other's readers: the index format is part of its key."""
    import bot.index
    from bot.config import Settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    current = Settings(index_dir=None).index_dir
    monkeypatch.setattr(bot.index, "FORMAT_VERSION", bot.index.FORMAT_VERSION + 1)
    assert Settings(index_dir=None).index_dir != current
