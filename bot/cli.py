"""`painbot` command line: build | ask | chat | serve | batch | redflags.

Heavy imports (the model, FastAPI, Gradio) happen inside the subcommand that needs them, so `painbot ask`
starts fast."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.config import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(
        corpus_dir=Path(args.corpus) if args.corpus else None,
        index_dir=Path(args.index) if args.index else None,
        model=args.model,
        country=args.country.upper() if args.country else None,
        faiss_kind=args.faiss,
        translations=args.translations,
    )


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from bot.index import build_index, index_status

    status = index_status(settings)
    if status.ok and not args.force:
        print(f"index is up to date ({settings.index_dir}); --force rebuilds it")
        return 0
    if not status.ok and status.reason != "missing":
        print(f"index {status.reason}: rebuilding", file=sys.stderr)
    manifest = build_index(settings, progress=True)
    print(
        f"built {settings.index_dir}: {manifest['documents']} documents, {manifest['chunks']} chunks, "
        f"{manifest['sentences']} sentences, model {manifest['model']} (dim {manifest['dim']})"
    )
    print(f"questions units answer: {manifest['asked_questions']}")
    for problem in manifest["asked_problems"]:
        print(f"  {problem}")
    from bot.translations import check_corpus

    print("\n".join(check_corpus(settings.corpus_dir, settings.translations)))
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.chat import Bot

    reply = Bot.load(settings).reply(args.question, lang=args.lang)
    if args.json:
        print(json.dumps(reply.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(reply.text)
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.chat import Bot

    bot = Bot.load(settings)
    history: list[dict[str, str]] = []
    print("painbot — type a question, an empty line or Ctrl-D to quit.")
    while True:
        try:
            message = input("> ")
        except EOFError:
            print()
            return 0
        if not message.strip():
            return 0
        reply = bot.reply(message, history, lang=args.lang)
        print(reply.text, end="\n\n")
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply.text}]


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.web.server import serve

    origins = tuple(o.strip() for o in args.allowed_origins.split(",")) if args.allowed_origins else None
    serve(
        settings.with_overrides(
            host=args.host,
            port=args.port,
            allowed_origins=origins,
            ui_language=args.ui_lang,
            rate_limit_per_minute=args.rate_limit,
            feedback_path=Path(args.feedback) if args.feedback else None,
            trusted_proxies=tuple(p.strip() for p in args.trusted_proxies.split(",") if p.strip())
            if args.trusted_proxies is not None
            else None,
            workers=args.workers,
            docs=None if args.docs is None else args.docs == "on",
        )
    )
    return 0


def cmd_batch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.batch import run

    return run(args, settings)


def cmd_redflags(args: argparse.Namespace, settings: Settings) -> int:
    from bot.redflags import Safety

    earlier = args.earlier or ()
    print(Safety.load().explain(args.text, earlier, _net_verdict(settings, args.text, earlier)))
    return 0


def _net_verdict(settings: Settings, text: str, earlier):
    """The semantic net's verdict on the text, or None when the net or its index is not there."""
    try:
        from bot.embed import load_embedder
        from bot.redflags.semantic import SemanticNet
    except ImportError:
        return None
    embedder = load_embedder(settings.model)
    try:
        net = SemanticNet.load(embedder, settings.index_dir)
    except (OSError, ValueError) as e:
        print(f"(semantic net not loaded: {e})")
        return None
    return net.judge(embedder.queries([text, *net.inputs(text, earlier)]), text, earlier)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="painbot", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help="corpus folder (default: corpus, env PAINBOT_CORPUS)")
    parser.add_argument(
        "--index",
        help="index folder (default: a folder per corpus and model under $XDG_CACHE_HOME/painbot or "
        "~/.cache/painbot, env PAINBOT_INDEX)",
    )
    parser.add_argument(
        "--model", help="embedding backend: e5-small-q4 (default) or st:<sentence-transformers name or path>"
    )
    parser.add_argument(
        "--faiss",
        choices=["auto", "flat", "hnsw"],
        help="passage index: flat (exact), hnsw (approximate), auto = flat below 24,000 chunks (env PAINBOT_FAISS)",
    )
    parser.add_argument("--country", help="SE, DK or NO: emergency numbers for this deployment (env PAINBOT_COUNTRY)")
    parser.add_argument(
        "--translations",
        choices=["on", "reviewed-only", "off"],
        help="quote stored article translations: on (default), reviewed-only, off (env PAINBOT_TRANSLATIONS)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build the index from the corpus (only when stale unless --force)")
    p.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--lang", choices=["sv", "da", "nb", "en"], help="reply in this language")
    p.add_argument("--json", action="store_true", help="print the Reply object as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    p.add_argument("--lang", choices=["sv", "da", "nb", "en"], help="reply in this language")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="web UI at /, JSON API under /api, widget at /widget.js")
    p.add_argument("--host", help="bind address (default 127.0.0.1, env PAINBOT_HOST)")
    p.add_argument("--port", type=int, help="port (default 7860, env PAINBOT_PORT)")
    p.add_argument("--allowed-origins", help="comma-separated origins allowed to call the API from a browser")
    p.add_argument("--ui-lang", choices=["sv", "da", "nb", "en"], help="default UI language")
    p.add_argument(
        "--rate-limit",
        type=int,
        help="API requests per minute per client; 0 = no limit (default 60, env PAINBOT_RATE_LIMIT)",
    )
    p.add_argument("--feedback", help="JSONL file for thumbs up/down (default feedback.jsonl, env PAINBOT_FEEDBACK)")
    p.add_argument(
        "--trusted-proxies",
        metavar="ADDRS",
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For names the client (rate limits "
        "key on it); default none: the client is the socket's peer (env PAINBOT_TRUSTED_PROXIES)",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="worker processes, each with its own copy of the bot (~350 MB) and its own rate-limit count "
        "(default 1, env PAINBOT_WORKERS)",
    )
    p.add_argument("--docs", choices=["on", "off"], help="serve the API docs at /docs (default on, env PAINBOT_DOCS)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("batch", help="answer a file of questions; optional quality report")
    from bot.batch import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("translations", help="check, review and start article translations")
    from bot.translations_cli import add_arguments as add_translation_arguments

    add_translation_arguments(p)

    p = sub.add_parser("redflags", help="audit the red-flag rules on a text")
    p.add_argument("--explain", dest="text", required=True, help="the message to check")
    p.add_argument("--earlier", action="append", help="an earlier user turn (repeatable)")
    p.set_defaults(func=cmd_redflags)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, _settings(args))
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly (Python's documented recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, RuntimeError, OSError) as exc:
        # A corpus, data-file, model or index problem is the user's to fix: say what, not a stack trace.
        print(f"painbot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
