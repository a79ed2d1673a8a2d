"""Batch files in and out: question rows from .jsonl / .csv / .txt, answer rows to JSONL or CSV.

Reading is forgiving by design: a line that cannot be read becomes a row carrying an `error` that names the
line, so one bad line in a clinic's file never costs the rest of the run. Writing flushes row by row, so an
interrupted run keeps every finished row."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

INPUT_FORMATS = ("jsonl", "csv", "txt")
OUTPUT_FORMATS = ("jsonl", "csv")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "txt"}
# Bytes that are not UTF-8 survive decoding as lone surrogates (errors="surrogateescape"), so each line can
# be judged on its own instead of the whole file failing on one byte.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class InputError(ValueError):
    """The file as a whole cannot be read as a batch (e.g. a CSV header without `question`)."""


@dataclass(frozen=True)
class InputRow:
    """One question row: `fields` are the row's own fields (with `id` first), passed through to the output."""

    line: int
    fields: dict[str, Any]
    error: str | None = None

    @property
    def question(self) -> str:
        return self.fields["question"]

    @property
    def conversation(self) -> str | None:
        """Rows with the same conversation key form one chat; empty or missing = a chat of its own."""
        value = self.fields.get("conversation")
        return None if value is None or value == "" else str(value)


def input_format(path: str, text: str, explicit: str | None = None) -> str:
    """The format named by the user, else by the file extension, else sniffed from the first line."""
    if explicit:
        return explicit
    by_extension = _EXTENSIONS.get(Path(path).suffix.lower()) if path != "-" else None
    if by_extension:
        return by_extension
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return "jsonl"
    header = next(csv.reader([first]), [])
    return "csv" if "question" in (cell.strip() for cell in header) else "txt"


def decode(data: bytes) -> str:
    """UTF-8 text with undecodable bytes kept as markers (see `_UNDECODABLE`); a leading BOM dropped."""
    return data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")


def read_rows(text: str, fmt: str) -> list[InputRow]:
    """All rows of a decoded batch file; blank lines are skipped, unreadable lines become error rows."""
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "txt": _read_txt}
    return list(readers[fmt](text))


def _undecodable(text: str) -> str | None:
    match = _UNDECODABLE.search(text)
    if match is None:
        return None
    return f"not valid UTF-8 (byte 0x{ord(match.group()) - 0xDC00:02x} at column {match.start() + 1})"


def _lines(text: str) -> Iterable[tuple[int, str]]:
    """Numbered non-blank lines. Split on \\n only: JSON strings may hold other Unicode line separators."""
    for n, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if line.strip():
            yield n, line


def _row(line: int, fields: dict[str, Any]) -> InputRow:
    """A row from parsed fields: `id` defaults to the line number; a usable `question` is required."""
    given = fields.get("id")
    fields = {"id": line if given in (None, "") else given, **{k: v for k, v in fields.items() if k != "id"}}
    if "question" not in fields:
        return InputRow(line, fields, f"line {line}: no 'question' field")
    if not isinstance(fields["question"], str):
        return InputRow(line, fields, f"line {line}: 'question' is not text")
    return InputRow(line, fields)


def _read_jsonl(text: str) -> Iterable[InputRow]:
    for n, line in _lines(text):
        if problem := _undecodable(line):
            yield InputRow(n, {"id": n}, f"line {n}: {problem}")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputRow(n, {"id": n}, f"line {n}: invalid JSON: {e.msg} (column {e.colno})")
            continue
        if not isinstance(obj, dict):
            yield InputRow(n, {"id": n}, f"line {n}: not a JSON object")
            continue
        yield _row(n, obj)


def _read_txt(text: str) -> Iterable[InputRow]:
    for n, line in _lines(text):
        if problem := _undecodable(line):
            yield InputRow(n, {"id": n}, f"line {n}: {problem}")
        else:
            yield _row(n, {"question": line.strip()})


def _read_csv(text: str) -> Iterable[InputRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
    if header is None:
        return
    header = [cell.strip() for cell in header]
    if _undecodable("".join(header)):
        raise InputError("the CSV header is not valid UTF-8")
    if "question" not in header:
        raise InputError(f"the CSV header has no 'question' column (it has: {', '.join(header)})")
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            end = reader.line_num
            yield InputRow(start, {"id": start}, f"line {start}: invalid CSV: {e}")
            continue
        end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if problem := _undecodable("\t".join(cells)):
            yield InputRow(start, {"id": start}, f"line {start}: {problem}")
        elif len(cells) > len(header):
            yield InputRow(start, {"id": start}, f"line {start}: {len(cells)} fields, the header has {len(header)}")
        else:
            yield _row(start, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True)))


class RowWriter:
    """Writes answer rows one at a time and flushes each, so a killed run leaves only complete rows."""

    def __init__(self, stream: TextIO, fmt: str, columns: list[str], header: bool = True):
        self.stream = stream
        self.csv = csv.DictWriter(stream, columns, extrasaction="ignore", lineterminator="\n") if fmt == "csv" else None
        if self.csv and header:
            self.csv.writeheader()
            stream.flush()

    def write(self, row: dict[str, Any]) -> None:
        if self.csv:
            self.csv.writerow({key: _csv_cell(value) for key, value in row.items()})
        else:
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.stream.flush()


def finished_rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    """The complete rows of an earlier run's answers file, for --resume. A last line cut off by a killed
    process is removed from the file, so the resumed run appends after the last whole row."""
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    text = whole.decode("utf-8", errors="surrogateescape")
    if fmt == "csv":
        rows = [dict(r) for r in csv.DictReader(io.StringIO(text, newline=""))]
    else:
        try:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise InputError(f"{path} is not an answers file (line {e.lineno}: {e.msg})") from e
        if not all(isinstance(r, dict) for r in rows):
            raise InputError(f"{path} is not an answers file (a line is not a JSON object)")
    if len(whole) < len(data):
        with path.open("r+b") as f:
            f.truncate(len(whole))
    return rows


def _csv_cell(value: Any) -> str:
    """Text as is, missing as empty, everything else (lists, objects, numbers, booleans) as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def csv_columns(rows: Iterable[InputRow], output_fields: Iterable[str]) -> list[str]:
    """Input columns in first-seen order, then the answer fields; CSV needs them all before the first row."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row.fields))
    columns.update(dict.fromkeys(output_fields))
    return list(columns)
