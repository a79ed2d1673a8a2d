"""Stored translations: alignment of the shipped files with the articles, staleness after an article edit,
number preservation, the three settings, the tools (template, mark-reviewed, review page) and the index
fingerprint. Edits happen in a copy of the corpus, never in the shipped one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import DATA_DIR, Settings
from bot.corpus import load_corpus
from bot.translations import (
    FOLDER,
    Translations,
    check_corpus,
    figure_mismatch,
    label,
    names_dropped,
    translation_paths,
    translations_fingerprint,
)
from bot.units import cut_units

CORPUS = DATA_DIR / "corpus"
SHIPPED = translation_paths(CORPUS)
EVAL_DEV = Path("/work/shared/eval/dev")


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A private copy of the corpus with its translations."""
    return Path(shutil.copytree(CORPUS, tmp_path / "corpus"))


def _first_translated(corpus: Path) -> tuple[Path, dict, dict]:
    """A shipped English translation file of the copy, its data, and an entry with a translation."""
    path = corpus / FOLDER / "sv-halsena.en.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(e for e in data["segments"] if e.get("text") and e["source"].endswith(".") and "\n" not in e["source"])
    return path, data, entry


def _unit(corpus: Path, doc_id: str, segment_id: str):
    doc = next(d for d in load_corpus(corpus) if d.doc_id == doc_id)
    return next(u for u in cut_units(doc) if segment_id in u.segment_ids)


def _write(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6), encoding="utf-8")


# ------------------------------------------------------------------------------------------ shipped files


def test_translation_files_are_shipped():
    assert any(p.name.endswith(".en.yaml") for p in SHIPPED), "no English translation in the corpus"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_translation_is_aligned_with_its_article(path):
    """Every entry translates the article's current sentence, keeps its numbers, and every segment (headings
    included) is translated or explicitly omitted."""
    translations = Translations.load(CORPUS)
    assert not translations.load_errors
    report = next(r for r in translations.reports() if r.name == path.stem)
    assert report.stale == [], report.details
    assert report.figures == [], report.details
    assert report.names == [], report.details
    assert report.problems == []
    assert report.missing == [], f"untranslated segments: {report.missing[:10]}"
    assert report.headings == []
    assert report.translated + report.omitted == report.segments


def test_every_shipped_unit_has_its_translation_in_each_shipped_language():
    translations = Translations.load(CORPUS)
    for report in translations.reports():
        doc_id, language = report.name.rsplit(".", 1)
        doc = translations.documents[doc_id]
        for unit in cut_units(doc):
            rendered = translations.render_unit(unit, language)
            omitted = {e.id for e in next(c for c in translations.checked if c.report is report).file.entries.values()
                       if e.omit}
            if omitted & set(unit.segment_ids):
                continue
            assert rendered.language == language and rendered.translated_from == doc.language, unit.id
            assert rendered.original == unit.text


# ----------------------------------------------------------------------------------------------- staleness


def test_an_edited_article_sentence_makes_its_translation_stale_and_shows_the_original(corpus):
    path, data, entry = _first_translated(corpus)
    article = corpus / "sv-halsena.md"
    edited = entry["source"].rstrip(".") + " hos många."
    text = article.read_text(encoding="utf-8")
    assert entry["source"] in text
    article.write_text(text.replace(entry["source"], edited, 1), encoding="utf-8")

    translations = Translations.load(corpus)
    report = next(r for r in translations.reports() if r.name == "sv-halsena.en")
    assert entry["id"] in report.stale
    assert len(report.missing) == 1  # the edited sentence has a new id and no translation yet
    doc = translations.documents["sv-halsena"]
    unit = next(u for u in cut_units(doc) if any(p.text == edited for p in u.parts))
    rendered = translations.render_unit(unit, "en")
    assert rendered.translated_from is None and rendered.language == "sv"
    assert edited in rendered.text

    lines = check_corpus(corpus)
    line = next(x for x in lines if x.startswith("translations sv-halsena.en:"))
    assert "1 stale (original shown)" in line and "1 missing" in line


def test_build_reports_a_stale_translation(corpus, capsys, monkeypatch):
    """`painbot build` prints the translation check after building (the build itself is faked out: the
    summary is what is under test, not embedding)."""
    import bot.index

    path, data, entry = _first_translated(corpus)
    entry["source"] = entry["source"] + " (ändrad)"
    _write(path, data)
    monkeypatch.setattr(bot.index, "index_status", lambda settings: bot.index.IndexStatus(False, "missing"))
    monkeypatch.setattr(bot.index, "build_index", lambda settings, progress: {
        "documents": 5, "chunks": 1, "sentences": 1, "model": "m", "dim": 1, "asked_questions": 0,
        "asked_problems": []})
    assert main(["--corpus", str(corpus), "--index", str(corpus.parent / "index"), "build"]) == 0
    out = capsys.readouterr().out
    assert "translations sv-halsena.en:" in out and "1 stale (original shown)" in out


def test_an_unreadable_translation_file_is_reported_not_raised(corpus):
    (corpus / FOLDER / "sv-halsena.da.yaml").write_text("doc_id: [oops", encoding="utf-8")
    lines = check_corpus(corpus)
    assert any(x.startswith("translations unusable: sv-halsena.da.yaml") for x in lines)


# ------------------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize("source,text", [
    ("Gör 3 x 15 repetitioner.", "Do 3 × 15 repetitions."),
    ("Ta 2,5 mg (3-5).", "Take 2.5 mg (3–5)."),
    ("Hos 40 % av patienterna.", "In 40 % of patients."),
])
def test_translation_keeping_numbers_units_and_percentages_passes(source, text):
    assert figure_mismatch(source, text) == ""


@pytest.mark.parametrize("source,text", [
    ("Gör 3 x 15 repetitioner.", "Do 3 x 12 repetitions."),
    ("Ta 500 mg.", "Take 500 milligrams."),
    ("Hos 40 % av patienterna.", "In 40 percent of patients."),
    ("Vila i 4-6 veckor (6,11).", "Rest for 4-6 weeks."),
])
def test_translation_changing_a_number_unit_or_percentage_fails(source, text):
    assert figure_mismatch(source, text)


@pytest.mark.parametrize(
    ("doc_id", "language", "old", "new", "field", "detail"),
    [
        ("sv-halsena", "en", "15", "51", "figures", "numbers/units differ"),  # a changed number
        ("da-iskias", "en", "MRI", "imaging", "names", "drops the name of mri"),  # a dropped test name
    ],
)
def test_a_rejected_translation_shows_the_original(corpus, doc_id, language, old, new, field, detail):
    path = corpus / FOLDER / f"{doc_id}.{language}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(e for e in data["segments"] if old in (e.get("text") or ""))
    entry["text"] = entry["text"].replace(old, new)
    _write(path, data)
    translations = Translations.load(corpus)
    report = next(r for r in translations.reports() if r.name == f"{doc_id}.{language}")
    assert getattr(report, field) == [entry["id"]] and not report.ok
    assert any(detail in d for d in report.details)
    rendered = translations.render_unit(_unit(corpus, doc_id, entry["id"]), language)
    assert rendered.translated_from is None and entry["source"] in rendered.text


@pytest.mark.parametrize(
    ("source", "source_language", "text", "language", "dropped"),
    [
        ("MR-scanninger viser ofte forandringer", "da", "Scans often show changes", "en", ["mri"]),
        ("MR-scanninger viser ofte forandringer", "da", "MRI scans often show changes", "en", []),
        ("Steroidinjektioner kan lindra", "sv", "Kortisoninjeksjoner kan lindre", "nb", []),
        ("Steroidinjektioner kan lindra", "sv", "Injeksjoner kan lindre", "nb", ["steroid"]),
        ("Trykkbølgebehandling kan hjelpe", "nb", "Shockwave therapy can help", "en", []),
    ],
)
def test_a_drug_or_test_name_must_survive_translation(source, source_language, text, language, dropped):
    assert names_dropped(source, source_language, text, language) == dropped


# ----------------------------------------------------------------------------------------------- settings


def test_the_three_settings(corpus):
    path, data, entry = _first_translated(corpus)
    unit = _unit(corpus, "sv-halsena", entry["id"])

    on = Translations.load(corpus, "on").render_unit(unit, "en")
    assert on.translated_from == "sv" and on.language == "en" and entry["text"] in on.text
    assert on.original == unit.text

    off = Translations.load(corpus, "off").render_unit(unit, "en")
    assert off == Translations.load(corpus, "off").render_unit(unit, "sv")
    assert off.translated_from is None and off.original is None and off.text == unit.text

    assert Translations.load(corpus, "reviewed-only").render_unit(unit, "en").translated_from is None
    ids = unit.segment_ids
    assert main(["--corpus", str(corpus), "translations", "mark-reviewed", str(path), "--reviewer", "A. Reviewer",
                 "--ids", *ids]) == 0
    signed = Translations.load(corpus, "reviewed-only")
    assert signed.render_unit(unit, "en") == on
    report = next(r for r in signed.reports() if r.name == "sv-halsena.en")
    assert report.unreviewed == report.translated - len(set(ids))
    entries = {e["id"]: e for e in yaml.safe_load(path.read_text(encoding="utf-8"))["segments"]}
    assert entries[ids[0]]["status"] == "reviewed" and entries[ids[0]]["reviewer"] == "A. Reviewer"

    with pytest.raises(ValueError, match="reviewed-only"):
        Translations.load(corpus, "sometimes")


def test_a_reviewed_entry_without_reviewer_counts_as_unreviewed(corpus):
    path, data, entry = _first_translated(corpus)
    entry["status"] = "reviewed"
    _write(path, data)
    translations = Translations.load(corpus, "reviewed-only")
    report = next(r for r in translations.reports() if r.name == "sv-halsena.en")
    assert any("without 'reviewer'" in p for p in report.problems)
    assert translations.render_unit(_unit(corpus, "sv-halsena", entry["id"]), "en").translated_from is None


def test_setting_from_environment_and_flag(monkeypatch):
    from bot.cli import _settings, build_parser

    monkeypatch.setenv("PAINBOT_TRANSLATIONS", "reviewed-only")
    assert Settings().translations == "reviewed-only"
    args = build_parser().parse_args(["--translations", "off", "translations", "check"])
    assert _settings(args).translations == "off"
    monkeypatch.delenv("PAINBOT_TRANSLATIONS")
    assert Settings().translations == "on"


def test_unit_versions_are_every_valid_language(corpus):
    path, data, entry = _first_translated(corpus)
    unit = _unit(corpus, "sv-halsena", entry["id"])
    versions = Translations.load(corpus).unit_versions(unit)
    assert list(versions)[0] == "sv" and versions["sv"] == unit.text and "en" in versions
    assert Translations.load(corpus, "off").unit_versions(unit) == {"sv": unit.text}


def test_label_names_the_source_language_in_the_readers_language():
    assert label("en", "da") == "translated from Danish"
    assert label("sv", "nb") == "översatt från norska"
    assert label("da", "sv") == "oversat fra svensk"
    assert label("nb", "da") == "oversatt fra dansk"


# ---------------------------------------------------------------------------------------------------- tools


def test_template_writes_a_skeleton_of_every_segment(corpus, tmp_path):
    out = tmp_path / "new.yaml"
    assert main(["--corpus", str(corpus), "translations", "template", "sv-halsena", "da", "-o", str(out),
                 "--translator", "T"]) == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    doc = next(d for d in load_corpus(corpus) if d.doc_id == "sv-halsena")
    from bot.corpus import segments

    assert [e["id"] for e in data["segments"]] == list(dict.fromkeys(s.id for s in segments(doc)))
    assert data["source_language"] == "sv" and data["language"] == "da" and data["status"] == "unreviewed"
    assert main(["--corpus", str(corpus), "translations", "template", "sv-halsena", "da", "-o", str(out)]) == 2


def test_template_update_keeps_valid_entries_and_adds_an_edited_sentence(corpus, capsys):
    path, data, entry = _first_translated(corpus)
    article = corpus / "sv-halsena.md"
    edited = entry["source"].rstrip(".") + " hos många."
    article.write_text(article.read_text(encoding="utf-8").replace(entry["source"], edited, 1), encoding="utf-8")
    assert main(["--corpus", str(corpus), "translations", "template", "sv-halsena", "en", "--update"]) == 0
    assert entry["text"] in capsys.readouterr().out  # the stale translation is shown for reuse
    report = next(r for r in Translations.load(corpus).reports() if r.name == "sv-halsena.en")
    assert report.stale == [] and len(report.missing) == 1 and report.translated == report.segments - 1


def test_check_command_fails_on_a_stale_file(corpus, capsys):
    path, data, entry = _first_translated(corpus)
    entry["source"] = "Något annat."
    _write(path, data)
    assert main(["--corpus", str(corpus), "translations", "check", "-v"]) == 1
    assert f"sv-halsena.en: segment {entry['id']}: stale" in capsys.readouterr().out


def test_review_page_is_side_by_side_escaped_and_marks_stale_and_unreviewed(corpus, tmp_path):
    path, data, entry = _first_translated(corpus)
    entry["text"] = entry["text"] + " <script>alert(1)</script>"
    stale = next(e for e in data["segments"] if e is not entry and e.get("text"))
    noted = next(e for e in data["segments"] if e is not entry and e is not stale and e.get("text"))
    noted["note"] = "kept the <i>source's</i> number"
    stale["source"] = stale["source"] + " & <b>ändrad</b>"
    _write(path, data)
    out = tmp_path / "review.html"
    assert main(["--corpus", str(corpus), "translations", "review", "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>ändrad" not in page
    assert "stale: translated from an older sentence" in page and "&lt;b&gt;ändrad" in page
    assert ">unreviewed<" in page
    assert "note: kept the &lt;i&gt;source&#x27;s&lt;/i&gt; number" in page  # the translator's note, escaped
    assert "src=" not in page and "http" not in page.split("<body>")[0]  # self-contained
    assert page.count("<table>") == len(translation_paths(corpus))


def test_fingerprint_follows_translation_edits_and_the_setting(corpus):
    before = translations_fingerprint(corpus, "on")
    assert translations_fingerprint(corpus, "off") != before
    path, data, entry = _first_translated(corpus)
    entry["text"] = entry["text"] + " Edited."
    _write(path, data)
    assert translations_fingerprint(corpus, "on") != before


# ------------------------------------------------------------------------------------------------ replies

EN_HEEL = "How long does it take for a heel spur to get better?"  # answered from the Norwegian article


def _translated_quotes(reply) -> list:
    return [q for q in reply.quotes if q.translated_from]


def test_reply_quotes_a_translation_labelled_with_the_original_kept(bot):
    reply = bot.reply(EN_HEEL)
    assert reply.kind == "answer" and reply.language == "en"
    translated = _translated_quotes(reply)
    assert translated, reply.text
    for quote in translated:
        assert quote.language == "en" and quote.original and quote.original != quote.text
        assert quote.translated_from == next(c.language for c in reply.citations if c.n == quote.n)
        assert label("en", quote.translated_from) in reply.text
        assert quote.text.split("\n")[0] in reply.text and quote.original.split("\n")[0] not in reply.text
    quotes = json.loads(json.dumps(reply.to_dict()))["quotes"]
    assert [(q["original"], q["translated_from"]) for q in quotes] == [
        (q.original, q.translated_from) for q in reply.quotes
    ]


@pytest.mark.parametrize("mode", ["off", "reviewed-only"])
def test_reply_shows_originals_when_translations_are_off_or_unreviewed(bot, settings, monkeypatch, mode):
    """The shipped translations are unreviewed, so reviewed-only shows what off shows: the articles' own
    text, unlabelled."""
    monkeypatch.setattr(bot.composer, "translations", Translations.load(settings.corpus_dir, mode))
    reply = bot.reply(EN_HEEL)
    assert reply.kind == "answer" and reply.quotes
    for quote in reply.quotes:
        assert quote.translated_from is None and quote.original is None
        assert quote.language == bot.composer.index.documents[quote.doc_id].language
    assert all(label("en", lang) not in reply.text for lang in ("sv", "da", "nb"))


def test_api_json_carries_the_original_and_its_language(settings, index, tmp_path_factory):
    import httpx
    from live_server import painbot_server

    with painbot_server(settings, tmp_path_factory.mktemp("translations-api")) as base:
        reply = httpx.post(f"{base}/api/chat", json={"message": EN_HEEL}, timeout=60).json()
    translated = [q for q in reply["quotes"] if q["translated_from"]]
    assert reply["language"] == "en" and translated, reply
    for quote in translated:
        assert quote["language"] == "en" and quote["original"] and quote["translated_from"] in ("sv", "da", "nb")
        assert quote["text"] != quote["original"]


# --------------------------------------------------------------------------------------- replies (dev set)


def _dev_rows() -> list[dict]:
    rows = []
    for name in ("questions.jsonl", "conversations.jsonl"):
        rows += [json.loads(x) for x in (EVAL_DEV / name).read_text(encoding="utf-8").splitlines() if x.strip()]
    return rows


@pytest.mark.skipif(not EVAL_DEV.is_dir(), reason="the dev evaluation set is not next to this clone")
def test_with_translations_on_every_dev_answer_quotes_in_the_users_language(bot):
    """Each quote of each answered dev question is in the reply's language, and a translated quote carries
    its original and the language it was translated from."""
    histories: dict[str, list[dict]] = {}
    wrong = []
    for row in _dev_rows():
        history = histories.setdefault(row.get("conversation") or row["id"], [])
        reply = bot.reply(row["question"], history)
        history += [{"role": "user", "content": row["question"]}, {"role": "assistant", "content": reply.text}]
        for quote in reply.quotes:
            if quote.language != reply.language:
                wrong.append(f"{row['id']}: {quote.unit_id} in {quote.language}")
            if quote.translated_from:
                assert quote.original and quote.translated_from != quote.language
    assert not wrong, wrong
