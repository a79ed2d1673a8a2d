"""`painbot translations check | review | template | mark-reviewed`: the translator's and reviewer's tools.

Adding a language or an article is adding files: ``template`` writes the skeleton a translator fills in,
``check`` says what is missing, stale or rejected, ``review`` writes the side-by-side page a reviewer reads,
``mark-reviewed`` records their signature in the file (the same data can be written by hand)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import yaml

from bot import yamlfile
from bot.config import LANGUAGES, Settings
from bot.corpus import load_corpus, segments
from bot.translations import FOLDER, Translations


def dump(data: dict) -> str:
    """The files' own YAML style (one key per line, long lines kept whole), so a rewrite changes only what
    was changed."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6)


def skeleton(corpus_dir: Path, doc_id: str, language: str, translator: str) -> dict:
    docs = {d.doc_id: d for d in load_corpus(corpus_dir)}
    if doc_id not in docs:
        raise ValueError(f"no article {doc_id!r} in {corpus_dir} (have: {', '.join(docs)})")
    doc = docs[doc_id]
    if language == doc.language:
        raise ValueError(f"{doc_id} is written in {language}; a translation needs another language")
    entries = [{"id": s.id, "source": s.text, "text": ""} for s in dict((s.id, s) for s in segments(doc)).values()]
    return {
        "doc_id": doc_id, "language": language, "source_language": doc.language, "translator": translator,
        "date": dt.date.today().isoformat(), "status": "unreviewed", "segments": entries,
    }


def updated(old: dict, fresh: dict) -> tuple[dict, list[dict]]:
    """An existing translation brought in line with the article: entries whose source still stands are kept
    as they are, new sentences get empty entries, in article order; stale entries are returned apart."""
    kept = {str(e.get("id")): e for e in old.get("segments") or [] if isinstance(e, dict)}
    entries, used = [], set()
    for blank in fresh["segments"]:
        entry = kept.get(blank["id"])
        if entry is not None and entry.get("source") == blank["source"]:
            entries.append(entry)
            used.add(blank["id"])
        else:
            entries.append(blank)
    stale = [e for i, e in kept.items() if i not in used]
    header = {k: v for k, v in old.items() if k != "segments"}
    return {**header, "segments": entries}, stale


def cmd_template(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.output) if args.output else settings.corpus_dir / FOLDER / f"{args.doc}.{args.lang}.yaml"
    fresh = skeleton(settings.corpus_dir, args.doc, args.lang, args.translator)
    if path.exists() and args.update:
        data, stale = updated(yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}, fresh)
        path.write_text(dump(data), encoding="utf-8")
        blank = sum(1 for e in data["segments"] if not str(e.get("text") or "").strip() and not e.get("omit"))
        print(f"updated {path}: {blank} segment(s) to translate; {len(stale)} stale entr(ies) removed:")
        for entry in stale:
            print(f"  {entry.get('id')}: {entry.get('source')!r} -> {entry.get('text')!r}")
        return 0
    if path.exists() and not args.force:
        raise ValueError(f"{path} exists; --update brings it in line with the article, --force overwrites it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(fresh), encoding="utf-8")
    print(f"wrote {path}: fill in each 'text' (or replace it by omit: <reason>), then run painbot translations check")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    translations = Translations.load(settings.corpus_dir, settings.translations)
    print("\n".join(translations.summary()))
    if args.verbose:
        for report in translations.reports():
            for line in report.problems + report.details:
                print(f"  {report.name}: {line}")
    return 0 if all(r.ok for r in translations.reports()) and not translations.load_errors else 1


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    from bot.translations_review import review_html

    translations = Translations.load(settings.corpus_dir, "on")
    Path(args.html).write_text(review_html(translations, args.doc), encoding="utf-8")
    print(f"wrote {args.html}")
    return 0


def cmd_mark_reviewed(args: argparse.Namespace, settings: Settings) -> int:
    """Sign entries: status reviewed, reviewer, date. Only translated entries are signed; ids not in the file
    are an error so a typo is not a silent no-op."""
    path = Path(args.file)
    data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    entries = data.get("segments") or []
    wanted = set(args.ids or [])
    unknown = wanted - {str(e.get("id")) for e in entries}
    if unknown:
        raise ValueError(f"{path.name}: no segment {', '.join(sorted(unknown))}")
    today = args.date or dt.date.today().isoformat()
    signed = 0
    for entry in entries:
        if (wanted and str(entry.get("id")) not in wanted) or not str(entry.get("text") or "").strip():
            continue
        entry.update(status="reviewed", reviewer=args.reviewer, reviewed=today)
        signed += 1
    path.write_text(dump(data), encoding="utf-8")
    print(f"{path.name}: {signed} segment(s) marked reviewed by {args.reviewer} on {today}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="translations_command", required=True)
    p = sub.add_parser("check", help="what is missing, stale or rejected in each translation file")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per affected segment")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("review", help="side-by-side review page: original and translation, unit by unit")
    p.add_argument("--html", required=True, help="the page to write")
    p.add_argument("--doc", help="only this article")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("template", help="write the skeleton of a new translation")
    p.add_argument("doc", help="article id, e.g. sv-halsena")
    p.add_argument("lang", choices=LANGUAGES, help="the translation's language")
    p.add_argument("--translator", default="", help="who translates")
    p.add_argument("-o", "--output", help=f"file to write (default <corpus>/{FOLDER}/DOC.LANG.yaml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--update", action="store_true",
                   help="keep an existing file's valid entries, add the article's new sentences, drop stale ones")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("mark-reviewed", help="sign translated segments of a file as reviewed")
    p.add_argument("file", help="a translation file")
    p.add_argument("--reviewer", required=True, help="the reviewer's name")
    p.add_argument("--ids", nargs="+", help="only these segment ids (default: every translated segment)")
    p.add_argument("--date", help="review date, YYYY-MM-DD (default today)")
    p.set_defaults(func=cmd_mark_reviewed)
