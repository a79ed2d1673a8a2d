"""`painbot batch`: a file of questions in, one answer row per question out, optionally a quality report.

Rows are answered in file order; rows sharing a `conversation` are one chat, each turn asked with the
chat's earlier turns as history, so chats may interleave in the file and the output still streams in input
order. Imports stay light here: the CLI builds its parser from this module on every command."""

from __future__ import annotations

import argparse
import contextlib
import io
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.batch_io import (
    INPUT_FORMATS,
    OUTPUT_FORMATS,
    InputError,
    InputRow,
    RowWriter,
    csv_columns,
    decode,
    finished_rows,
    input_format,
    read_rows,
)
from bot.config import Settings
from bot.metrics import METRICS, Threshold, build_report, format_report, parse_threshold, unmet

if TYPE_CHECKING:
    from bot.chat import Bot

ANSWER_FIELDS = ("language", "kind", "red_flag", "abstained", "answer", "citations", "quotes", "latency_ms")
PROGRESS_MIN_ROWS = 5
EXIT_UNMET, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_POLL_S = 0.1  # how often the writing loop looks at the stop flag while a row is being answered


def add_arguments(parser: argparse.ArgumentParser) -> None:
    higher = ", ".join(m.key for m in METRICS if m.higher_is_better)
    lower = ", ".join(m.key for m in METRICS if not m.higher_is_better)
    parser.description = (
        "Answer every question of FILE (.jsonl with a 'question' field, .csv with a 'question' column, or "
        ".txt with one question per line) and write one answer row per input row, in input order."
    )
    parser.epilog = (
        f"Exit status: 0 done, 1 a --fail-under/--fail-over threshold not met, 2 usage error, 130/143 stopped "
        f"by Ctrl-C/SIGTERM (every finished row is kept; --resume continues). "
        f"--fail-under takes metrics where higher is better ({higher}); --fail-over those where lower is "
        f"better ({lower})."
    )
    parser.add_argument("file", metavar="FILE", help="questions file, or - for standard input")
    parser.add_argument("-o", "--output", metavar="OUT", help="answers file (default or -: standard output)")
    parser.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        help="output format (default: csv for an OUT ending in .csv, else jsonl)",
    )
    parser.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="input format (default: from the extension, else sniffed)",
    )
    existing = parser.add_mutually_exclusive_group()
    existing.add_argument(
        "--resume",
        action="store_true",
        help="OUT holds the rows of an interrupted run of the same FILE: keep them and answer only the rest",
    )
    existing.add_argument("--overwrite", action="store_true", help="replace an existing OUT (refused without this)")
    parser.add_argument("--report", action="store_true", help="print quality metrics for rows that carry expectations")
    parser.add_argument("--html", metavar="REPORT.html", help="write a self-contained HTML report")
    parser.add_argument(
        "--fail-under",
        nargs="+",
        action="extend",
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when a metric is below VALUE (e.g. hit@1=0.9 redflag_recall=1)",
    )
    parser.add_argument(
        "--fail-over",
        nargs="+",
        action="extend",
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when a lower-is-better metric is above VALUE (e.g. redflag_false_alarm=0.05)",
    )


def answer_rows(
    bot: Bot, rows: Iterable[InputRow], done: Sequence[dict[str, Any]] = ()
) -> Iterator[dict[str, Any]]:
    """One output row per input row, in order: the input fields plus the reply, or plus `error`.
    `done` are the finished rows of a resumed run: their turns are the history of the chats they belong to."""
    histories: dict[str, list[dict[str, str]]] = {}
    for row, old in zip(rows, done, strict=False):
        if row.conversation is not None and not old.get("error"):
            histories.setdefault(row.conversation, []).extend(
                [{"role": "user", "content": row.question}, {"role": "assistant", "content": old.get("answer", "")}]
            )
    for row in list(rows)[len(done) :]:
        if row.error:
            yield {**row.fields, "error": row.error}
            continue
        history = histories.setdefault(row.conversation, []) if row.conversation is not None else []
        try:
            reply = bot.reply(row.question, tuple(history)).to_dict()
        except Exception as e:  # a bug on one row must not cost the rows after it
            yield {**row.fields, "error": f"line {row.line}: no reply: {type(e).__name__}: {e}"}
            continue
        yield {**row.fields, **{key: reply["text" if key == "answer" else key] for key in ANSWER_FIELDS}}
        history += [
            {"role": "user", "content": row.question},
            {"role": "assistant", "content": reply["text"]},
        ]


def run(args: argparse.Namespace, settings: Settings, bot: Bot | None = None) -> int:
    """The `painbot batch` command; `bot` lets a caller that already holds a loaded Bot reuse it."""
    try:
        rows, thresholds = _read_input(args)
    except (OSError, InputError, ValueError) as e:
        print(f"painbot batch: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    to_stdout = args.output in (None, "-")
    fmt = args.format or ("csv" if not to_stdout and args.output.lower().endswith(".csv") else "jsonl")
    try:
        done = [] if to_stdout else _earlier_rows(args, rows, fmt)
    except (OSError, InputError) as e:
        print(f"painbot batch: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    if bot is None:
        from bot.chat import Bot

        bot = Bot.load(settings)
    started, skipped = time.perf_counter(), len(done)
    # Opened only now: a run that fails before its first answer (model, index) leaves no empty file behind.
    try:
        out = _open_output(args.output, fmt, append=bool(done))
    except OSError as e:
        print(f"painbot batch: error: cannot write {args.output}: {e}", file=sys.stderr)
        return EXIT_USAGE
    with _closing_output(out, to_stdout), _stop_on_signals() as stop:
        writer = RowWriter(out, fmt, csv_columns(rows, (*ANSWER_FIELDS, "error")), header=not done)
        for answer in _progress(_until(stop, answer_rows(bot, rows, done)), len(rows) - skipped):
            writer.write(answer)
            done.append(answer)
        if stop.is_set():
            name = signal.Signals(stop.signal).name
            print(
                f"painbot batch: interrupted by {name}; {len(done)} of {len(rows)} rows written"
                + ("" if to_stdout else f" (painbot batch {args.file} -o {args.output} --resume continues)"),
                file=sys.stderr,
                flush=True,
            )
            return EXIT_INTERRUPTED + stop.signal - signal.SIGINT  # 130 for SIGINT, 143 for SIGTERM, as shells do
    destination = "standard output" if to_stdout else args.output
    resumed = f" ({skipped} kept from the earlier run)" if skipped else ""
    print(f"{len(done)} rows in {time.perf_counter() - started:.1f} s -> {destination}{resumed}", file=sys.stderr)
    return _finish(args, done, thresholds, report_stream=sys.stderr if to_stdout else sys.stdout)


def _earlier_rows(args: argparse.Namespace, rows: list[InputRow], fmt: str) -> list[dict[str, Any]]:
    """The finished rows to keep: those of an interrupted run with --resume, none with --overwrite or a new
    file. An existing answers file is never emptied unasked."""
    path = Path(args.output)
    exists = path.exists() and path.stat().st_size > 0
    if not exists or args.overwrite:
        if path.is_dir():
            raise InputError(f"{path} is a folder")
        return []
    if not args.resume:
        raise InputError(f"{path} exists: --resume continues it, --overwrite replaces it")
    done = finished_rows(path, fmt)
    if len(done) > len(rows):
        raise InputError(f"{path} has {len(done)} rows, more than the {len(rows)} of {args.file}: not its answers")
    for row, old in zip(rows, done, strict=False):
        if str(old.get("id")) != str(row.fields.get("id")):
            raise InputError(f"{path}: row id {old.get('id')!r} is not {row.fields.get('id')!r} of {args.file}")
    return done


class _StopFlag(threading.Event):
    signal: int = 0


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[_StopFlag]:
    """SIGINT and SIGTERM set a flag the writing loop checks between rows, instead of raising wherever the
    program happens to be (inside a library that swallows the exception, or a long native call)."""
    stop = _StopFlag()

    def handler(signum: int, frame: object) -> None:
        stop.signal = signum
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals reach only the main thread; nothing to install
        return
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _until(stop: threading.Event, answers: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The answers, computed in a worker thread, until `stop` is set. The waiting main thread looks at the
    flag every STOP_POLL_S, so a stop takes effect within that however long the current row takes; the row
    being answered is dropped whole (its thread is a daemon and its answer is never written)."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    end = object()

    def produce() -> None:
        try:
            for answer in answers:
                if stop.is_set():
                    return
                ready.put(answer)
        except BaseException as exc:  # handed to the main thread, which raises it
            ready.put(exc)
            return
        ready.put(end)

    threading.Thread(target=produce, name="batch-answers", daemon=True).start()
    while not stop.is_set():
        try:
            item = ready.get(timeout=STOP_POLL_S)
        except queue.Empty:
            continue
        if item is end:
            return
        if isinstance(item, BaseException):
            raise item
        if stop.is_set():
            return
        yield item


def _read_input(args: argparse.Namespace) -> tuple[list[InputRow], list[Threshold]]:
    """Everything that can be wrong with the command line is found before the model loads."""
    thresholds = [parse_threshold(spec, upper=False) for spec in args.fail_under]
    thresholds += [parse_threshold(spec, upper=True) for spec in args.fail_over]
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    text = decode(data)
    rows = read_rows(text, input_format(args.file, text, args.input_format))
    return rows, thresholds


def _open_output(path: str | None, fmt: str, append: bool = False) -> TextIO:
    """UTF-8 whatever the locale; a lone surrogate from a JSON escape is written escaped, not fatal."""
    newline = "" if fmt == "csv" else None
    if path in (None, "-"):
        sys.stdout.flush()
        return io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="backslashreplace", newline=newline)
    mode = "a" if append else "w"
    return open(path, mode, encoding="utf-8", errors="backslashreplace", newline=newline)  # noqa: SIM115


@contextlib.contextmanager
def _closing_output(out: TextIO, to_stdout: bool) -> Iterator[None]:
    try:
        yield
    finally:
        out.flush()
        if to_stdout:
            out.detach()  # leave the process's stdout open
        else:
            out.close()


def _progress(items: Iterable[dict[str, Any]], total: int) -> Iterable[dict[str, Any]]:
    """A progress bar on stderr for more than a few rows, and only when someone is watching."""
    if total <= PROGRESS_MIN_ROWS or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit="q", file=sys.stderr, leave=False)


def _finish(
    args: argparse.Namespace,
    rows: Sequence[dict[str, Any]],
    thresholds: list[Threshold],
    report_stream: TextIO,
) -> int:
    """Report, HTML and thresholds over the finished rows. The text report goes to stderr when the answer
    rows use stdout, so piped output stays valid JSONL/CSV."""
    if not (args.report or args.html or thresholds):
        return 0
    report = build_report(rows)
    if args.report:
        print(format_report(report), file=report_stream)
    if args.html:
        from bot.report_html import render

        title = "standard input" if args.file == "-" else Path(args.file).name
        try:
            Path(args.html).write_text(render(report, rows, title, thresholds), encoding="utf-8")
        except OSError as e:
            print(f"painbot batch: error: cannot write {args.html}: {e}", file=sys.stderr)
            return EXIT_USAGE
        print(f"HTML report -> {args.html}", file=sys.stderr)
    problems = unmet(report, thresholds)
    for problem in problems:
        print(f"painbot batch: threshold not met: {problem}", file=sys.stderr)
    return EXIT_UNMET if problems else 0
