"""`painbot batch`: reading and metrics on hand-made rows (no model), then whole runs with the real Bot."""

import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.batch import ANSWER_FIELDS, run
from bot.batch_io import InputError, decode, input_format, read_rows
from bot.cli import build_parser
from bot.metrics import as_bool, as_list, build_report, format_report, parse_threshold, unmet
from bot.report_html import render

ROOT = Path(__file__).resolve().parents[1]
SCORE_PY = ROOT.parent / "shared" / "eval" / "score.py"


def _read(data: bytes, fmt: str):
    return read_rows(decode(data), fmt)


def test_the_three_formats_give_the_same_questions_with_line_numbers_as_default_ids():
    jsonl = _read(
        '{"question": "Ont i hälen?"}\n\n{"id": "q2", "question": "Vad hjälper?", "x": [1]}\n'.encode(),
        "jsonl",
    )
    csv_ = _read('question,id,x\n"Ont i hälen?",,a\n"Vad hjälper?",q2,b\n'.encode(), "csv")
    txt = _read("Ont i hälen?\n\n  Vad hjälper?  \n".encode(), "txt")
    for rows in (jsonl, csv_, txt):
        assert [r.question for r in rows] == ["Ont i hälen?", "Vad hjälper?"]
        assert all(r.error is None for r in rows)
    assert [r.fields["id"] for r in jsonl] == [1, "q2"]
    assert [r.fields["id"] for r in csv_] == [2, "q2"]
    assert [r.fields["id"] for r in txt] == [1, 3]
    assert jsonl[1].fields == {"id": "q2", "question": "Vad hjälper?", "x": [1]}
    assert list(csv_[0].fields) == ["id", "question", "x"]


def test_csv_rows_are_numbered_by_the_line_they_start_on():
    rows = _read(b'question,note\n"two\nlines",a\nnext,b\n', "csv")
    assert [(r.line, r.question) for r in rows] == [(2, "two\nlines"), (4, "next")]


def test_broken_lines_become_error_rows_that_name_the_line():
    data = b"\n".join(
        [
            b'{"question": "fine"}',
            b'{"question": "no closing brace"',
            b"",
            b'{"lang": "sv", "expect_docs": ["x"]}',
            b'{"question": "caf\xe9 latin-1"}',
            b'["a", "list"]',
            b'{"question": 42}',
            b"   ",
            b'{"question": "also fine", "conversation": ""}',
        ]
    )
    rows = _read(data, "jsonl")
    assert [r.line for r in rows] == [1, 2, 4, 5, 6, 7, 9]  # blank lines are not rows
    errors = [r.error for r in rows]
    assert errors[0] is None and errors[-1] is None
    assert errors[1].startswith("line 2: invalid JSON")
    assert errors[2] == "line 4: no 'question' field"
    assert errors[3] == "line 5: not valid UTF-8 (byte 0xe9 at column 18)"
    assert errors[4] == "line 6: not a JSON object"
    assert errors[5] == "line 7: 'question' is not text"
    assert rows[2].fields == {"id": 4, "lang": "sv", "expect_docs": ["x"]}  # kept: it still counts as a miss
    assert rows[-1].conversation is None


def test_broken_csv_and_txt_lines():
    rows = _read(b"question,lang\nok,sv\nbad \xff,da\na,b,c\n", "csv")
    assert [r.error for r in rows] == [
        None,
        "line 3: not valid UTF-8 (byte 0xff at column 5)",
        "line 4: 3 fields, the header has 2",
    ]
    assert [r.error for r in _read(b"ok\n\xc3(\n", "txt")] == [
        None,
        "line 2: not valid UTF-8 (byte 0xc3 at column 1)",
    ]
    with pytest.raises(InputError, match="no 'question' column"):
        _read(b"text,lang\nhello,en\n", "csv")


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("q.csv", '{"question": "x"}', "csv"),
        ("-", '\n{"question": "x"}', "jsonl"),
        ("-", "id,question\n1,x\n", "csv"),
        ("-", "Ont i hälen, vad gör jag?\n", "txt"),
        ("questions.data", '{"question": "x"}', "jsonl"),
    ],
)
def test_input_format_by_extension_else_sniffed(path, text, expected):
    assert input_format(path, text) == expected


def test_csv_cells_can_carry_expectations():
    assert as_list('["a", "b"]') == ["a", "b"] == as_list("a | b") == as_list(["a", "b"])
    assert as_list("") == [] == as_list(None)
    cells = (True, "yes", "1", "FALSE", "no", "", None)
    assert [as_bool(v) for v in cells] == [True, True, True, False, False, None, None]


def _cite(doc_id, text=""):
    return {"n": 1, "doc_id": doc_id, "title": "t", "text": text}


# Hand-checked rows; the values each metric must take are worked out in the test below.
ROWS = [
    {"id": "r1", "lang": "sv", "language": "sv", "expect_docs": ["A"], "expect_text": ["foo bar"],
     "citations": [_cite("A", "x FOO \n bar y"), _cite("B")], "answer": "", "abstained": False,
     "red_flag": None, "latency_ms": 10},
    {"id": "r2", "lang": "da", "language": "nb", "expect_docs": ["A", "C"], "expect_text": ["zzz"],
     "citations": [_cite("B"), _cite("B"), _cite("C")], "answer": "no match", "abstained": False,
     "red_flag": None, "latency_ms": 20},
    {"id": "r3", "lang": "nb", "language": "no", "expect_docs": ["A"],
     "citations": [_cite("B"), _cite("B"), _cite("B"), _cite("A")], "abstained": False, "red_flag": None,
     "latency_ms": 30},
    {"id": "r4", "lang": "en", "language": "en", "expect_redflag": True, "category": "blood_clot",
     "red_flag": {"category": "blood_clot"}, "abstained": False, "latency_ms": 40},
    {"id": "r5", "lang": "en", "language": "en", "expect_redflag": True, "category": "cauda_equina",
     "red_flag": {"category": "trauma"}, "abstained": False, "latency_ms": 50},
    {"id": "r6", "lang": "sv", "language": "sv", "expect_redflag": True, "category": "systemic",
     "red_flag": None, "abstained": False, "latency_ms": 60},
    {"id": "r7", "lang": "sv", "language": "sv", "expect_redflag": False, "red_flag": {"category": "trauma"},
     "abstained": False, "latency_ms": 70},
    {"id": "r8", "lang": "da", "language": "da", "expect_redflag": False, "red_flag": None, "abstained": True,
     "latency_ms": 80},
    {"id": "r9", "lang": "en", "language": "en", "expect_abstain": True, "red_flag": None, "abstained": True,
     "latency_ms": 90},
    {"id": "r10", "lang": "en", "language": "en", "expect_abstain": True, "red_flag": None,
     "abstained": False, "latency_ms": 100},
    {"id": "r11", "error": "line 11: invalid JSON: Expecting value (column 1)"},
    {"id": "r12", "expect_abstain": True, "red_flag": {"category": "self_harm"}, "abstained": True},
]  # fmt: skip


def test_metrics_on_hand_checked_rows():
    report = build_report(ROWS)
    got = {key: stat.value for key, stat in report.overall.items()}
    assert got == pytest.approx(
        {
            "hit@1": 1 / 3,
            "hit@3": 2 / 3,
            "mrr": (1 + 1 / 3 + 1 / 4) / 3,
            "passage_hit@3": 1 / 2,
            "answer_hit": 0.0,  # neither row quotes its phrase: r1 has it only in a cited passage
            "answer_hit@1": 0.0,
            "answered": 1.0,
            "redflag_recall": 2 / 3,
            "redflag_false_alarm": 1 / 2,
            "category_acc": 1 / 3,
            "abstain_oos": 1 / 3,
            "abstain_inscope": 1 / 5,
            "language_acc": 9 / 10,
            "latency_p50_ms": 55,
            "latency_p95_ms": 100,
        }
    )
    assert report.overall["abstain_inscope"].n == 5 and report.overall["abstain_inscope"].hits == 1
    assert report.errors == 1 and report.rows == 12
    sv = {key: stat.value for key, stat in report.by_language["sv"].items()}
    assert sv == pytest.approx(
        {
            "hit@1": 1.0, "hit@3": 1.0, "mrr": 1.0, "passage_hit@3": 1.0, "answer_hit": 0.0, "answer_hit@1": 0.0,
            "answered": 1.0,
            "redflag_recall": 0.0, "category_acc": 0.0, "redflag_false_alarm": 1.0, "abstain_inscope": 0.0,
            "language_acc": 1.0, "latency_p50_ms": 60, "latency_p95_ms": 70,
        }
    )  # fmt: skip
    assert list(report.by_language) == ["sv", "da", "nb", "en"]
    assert report.misses == {
        "error": ["r11"],
        "hit@1": ["r2", "r3"],
        "answer_hit": ["r1", "r2"],
        "answer_hit@1": ["r1", "r2"],
        "hit@3": ["r3"],
        "passage_hit@3": ["r2"],
        "redflag_recall": ["r6"],
        "redflag_false_alarm": ["r7"],
        "category_acc": ["r5", "r6"],
        "abstain_oos": ["r10", "r12"],
        "abstain_inscope": ["r8"],
        "language_acc": ["r2"],
    }
    text = format_report(report)
    assert "hit@1" in text and "0.333" in text and "1/3" in text and "hit@3 (1): r3" in text


@pytest.mark.skipif(not SCORE_PY.exists(), reason="the shared evaluation script is not next to this checkout")
def test_metrics_agree_with_the_evaluation_script(tmp_path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    assert_agrees_with_score_py(answers)


def assert_agrees_with_score_py(answers):
    """The metrics both tools compute must be equal on the same answer file."""
    rows = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines() if line.strip()]
    theirs = json.loads(subprocess.run([sys.executable, str(SCORE_PY), str(answers), "--json"],
                                       capture_output=True, text=True, check=True).stdout)  # fmt: skip
    report = build_report(rows)
    ours = {key: stat.value for key, stat in report.overall.items()}
    names = {"doc_hit@1": "hit@1", "doc_hit@3": "hit@3", "redflag_category_acc": "category_acc"}
    shared = [k for k in theirs if isinstance(theirs[k], float | int) and k != "rows"]
    assert shared, theirs
    for key in shared:
        if key in ("passage_hit@3", "answer_hit", "answer_hit@1") and not any(r.get("expect_text") for r in rows):
            continue  # score.py reports 0 when no row expects a text; we report it as not measured
        assert ours[names.get(key, key)] == pytest.approx(theirs[key]), key
    assert report.misses.get("hit@3", []) == theirs.get("misses", [])
    assert report.misses.get("redflag_recall", []) == theirs.get("redflag_missed", [])
    assert report.misses.get("redflag_false_alarm", []) == theirs.get("redflag_false_alarms", [])
    assert [f"{r['id']}:{r.get('language')}" for r in rows if r["id"] in report.misses.get("language_acc", [])] == (
        theirs.get("language_misses", [])
    )
    return theirs


def test_thresholds_compare_in_the_metrics_direction():
    report = build_report(ROWS)
    assert unmet(report, [parse_threshold("hit@3=0.6", upper=False), parse_threshold("doc_hit@1=0.3", False)]) == []
    assert unmet(report, [parse_threshold("hit@3=0.7", upper=False)]) == ["hit@3 >= 0.7: got 0.667"]
    assert unmet(report, [parse_threshold("redflag_false_alarm=0.5", upper=True)]) == []
    assert unmet(report, [parse_threshold("redflag_false_alarm=0.4", upper=True)]) == [
        "redflag_false_alarm <= 0.4: got 0.500"
    ]
    assert unmet(build_report(ROWS[3:4]), [parse_threshold("hit@1=0", upper=False)]) == [
        "hit@1 >= 0: not measured (no row carries the expectation it needs)"
    ]


@pytest.mark.parametrize(
    ("spec", "upper", "message"),
    [
        ("redflag_false_alarm=0.05", False, "use --fail-over redflag_false_alarm=0.05"),
        ("hit@1=0.9", True, "use --fail-under hit@1=0.9"),
        ("hit@2=0.9", False, "unknown metric 'hit@2'"),
        ("hit@1", False, "is not METRIC=VALUE"),
        ("hit@1=high", False, "'high' is not a number"),
        ("hit@1=90", False, "between 0 and 1"),
    ],
)
def test_threshold_mistakes_are_explained(spec, upper, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_threshold(spec, upper)


def test_html_report_escapes_all_text_and_puts_misses_first():
    hostile = {
        "id": "<b>x</b>", "lang": "en", "language": "sv", "question": "<script>alert(1)</script>",
        "expect_docs": ["A"], "answer": "see <img src=x onerror=alert(2)>", "abstained": False,
        "red_flag": None,
        "citations": [{"n": 1, "doc_id": "A", "title": "<i>T</i>", "text": "</blockquote><script>",
                       "source": "javascript:alert(3)", "score": 0.5}],
    }  # fmt: skip
    passing = {**hostile, "id": "ok", "question": "fine", "language": "en"}
    missing = {**hostile, "id": "miss", "question": "wrong doc", "citations": [_cite("B")]}
    page = render(build_report([passing, hostile, missing]), [passing, hostile, missing], "<title>", [])
    assert "<script" not in page and "<img" not in page and "<b>x" not in page and "<i>T" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert 'href="javascript' not in page
    assert "default-src 'none'" in page  # nothing external can load, even if something slipped through
    assert page.index("alert(1)") < page.index("wrong doc") < page.index(">fine<")  # misses first


# ---- whole runs with the real Bot ------------------------------------------------------------------------

HEEL_DA = "Jeg har ondt under hælen, især de første skridt om morgenen"
SHIN_EN = "My shins ache along the inside after I started running on asphalt"
SCIATICA_SV = "Jag har ischias som strålar ner i vänster ben"


def batch(settings, bot, *argv) -> int:
    """`painbot batch ARGV` through the real command-line parser, reusing the session's loaded Bot."""
    return run(build_parser().parse_args(["batch", *map(str, argv)]), settings, bot=bot)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("q.jsonl", json.dumps({"question": HEEL_DA}) + "\n" + json.dumps({"question": SHIN_EN}) + "\n"),
        ("q.csv", f'question\n"{HEEL_DA}"\n"{SHIN_EN}"\n'),
        ("q.txt", f"{HEEL_DA}\n{SHIN_EN}\n"),
    ],
)
def test_each_input_format_gives_one_answer_row_per_question(tmp_path, settings, bot, name, content):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    assert batch(settings, bot, source, "-o", tmp_path / "out.jsonl") == 0
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["question"] for r in rows] == [HEEL_DA, SHIN_EN]
    for row in rows:
        assert set(ANSWER_FIELDS) <= set(row) and "error" not in row
        assert row["kind"] == "answer" and row["answer"] and row["citations"]
    assert rows[0]["citations"][0]["doc_id"] == "no-haelspore"
    assert rows[1]["language"] == "en"


def test_csv_output_holds_nested_fields_as_json(tmp_path, settings, bot):
    source = write_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": HEEL_DA, "tags": ["x", "y"]}])
    assert batch(settings, bot, source, "-o", tmp_path / "out.csv") == 0
    (row,) = csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"), newline=""))
    assert list(row)[:3] == ["id", "question", "tags"] and list(row)[3:] == [*ANSWER_FIELDS, "error"]
    assert json.loads(row["tags"]) == ["x", "y"]
    assert json.loads(row["citations"])[0]["doc_id"] == "no-haelspore"
    assert row["abstained"] == "false" and row["red_flag"] == "" and row["error"] == ""
    assert float(row["latency_ms"]) > 0


def test_stdin_in_stdout_out_with_the_report_on_stderr(monkeypatch, capsysbinary, settings, bot):
    data = f"{HEEL_DA}\n{SHIN_EN}\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert batch(settings, bot, "-", "--report") == 0
    out, err = capsysbinary.readouterr()
    rows = [json.loads(line) for line in out.decode("utf-8").splitlines()]  # nothing but JSONL on stdout
    assert [(r["id"], r["question"]) for r in rows] == [(1, HEEL_DA), (2, SHIN_EN)]
    assert b"latency_p50_ms" in err


def test_pass_through_fields_come_back_unchanged_in_input_order(tmp_path, settings, bot):
    extra = {"clinic": "Malmö <Syd>", "meta": {"k": [1, 2.5, None]}, "n": 3, "flag": False, "category": "x"}
    source = write_jsonl(tmp_path / "q.jsonl", [{"question": SHIN_EN, **extra, "id": "p1"}])
    assert batch(settings, bot, source, "-o", tmp_path / "out.jsonl") == 0
    (row,) = read_jsonl(tmp_path / "out.jsonl")
    assert {k: row[k] for k in extra} == extra
    assert list(row) == ["id", "question", *extra, *ANSWER_FIELDS]


def test_broken_lines_are_reported_by_line_and_the_run_goes_on(tmp_path, settings, bot):
    source = tmp_path / "q.jsonl"
    source.write_bytes(
        b"\n".join(
            [
                json.dumps({"question": HEEL_DA}).encode(),
                b'{"question": "unterminated',
                b"",
                b'{"id": "nq", "lang": "sv"}',
                b'{"question": "\xff\xfe broken bytes"}',
                json.dumps({"question": SHIN_EN}).encode(),
            ]
        )
    )
    assert batch(settings, bot, source, "-o", tmp_path / "out.jsonl") == 0
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in rows] == [1, 2, "nq", 5, 6]
    assert [r.get("error", "")[:20] for r in rows] == [
        "", "line 2: invalid JSON", "line 4: no 'question", "line 5: not valid UT", ""
    ]  # fmt: skip
    assert rows[0]["answer"] and rows[-1]["answer"]
    assert rows[2]["lang"] == "sv"  # a row without a question keeps its fields, and counts as a miss


def test_conversations_carry_their_own_history_even_when_interleaved(tmp_path, settings, bot):
    follow_up = "Hvilke øvelser kan hjælpe?"
    source = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"id": "h1", "conversation": "heel", "question": HEEL_DA},
            {"id": "s1", "conversation": "sciatica", "question": SCIATICA_SV},
            {"id": "h2", "conversation": "heel", "question": follow_up},
            {"id": "s2", "conversation": "sciatica", "question": "Vilka övningar kan hjälpa?"},
            {"id": "alone", "question": follow_up},
        ],
    )
    assert batch(settings, bot, source, "-o", tmp_path / "out.jsonl") == 0
    rows = {r["id"]: r for r in read_jsonl(tmp_path / "out.jsonl")}
    assert rows["h2"]["citations"][0]["doc_id"] == "no-haelspore"
    assert "da-iskias" in [c["doc_id"] for c in rows["s2"]["citations"][:2]]  # still about the sciatica
    alone = rows["alone"]["citations"][:1]
    assert not alone or alone[0]["doc_id"] != "no-haelspore"  # the same words without the chat go elsewhere


def _start_batch(settings, source: Path, out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "bot", "--corpus", settings.corpus_dir, "--index", settings.index_dir]
    return subprocess.Popen(
        [*map(str, command), "batch", str(source), "-o", str(out), *extra], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )


def _wait_for_rows(proc: subprocess.Popen, out: Path, rows: int) -> None:
    """Polls the answers file until `rows` whole rows are in it (generous deadline: only for waiting)."""
    deadline = time.monotonic() + 300
    while not (out.exists() and out.read_bytes().count(b"\n") >= rows):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no rows written"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("sig", "returncode"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["kill", "ctrl-c", "term"],
)
def test_an_interrupted_run_keeps_every_finished_row(tmp_path, settings, index, sig, returncode):
    """The batch checks a stop flag between rows from a thread that is never busy, so the signal is acted on
    however loaded the machine is; the test only waits (no timing assertion)."""
    total = 3000
    source = tmp_path / "many.txt"
    source.write_text("".join(f"{q}\n" for q in [HEEL_DA, SHIN_EN, SCIATICA_SV] * (total // 3)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = _start_batch(settings, source, out)
    try:
        _wait_for_rows(proc, out, 3)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == returncode, err
    rows = read_jsonl(out)  # every line is a whole JSON row
    assert 3 <= len(rows) < total
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["answer"] for r in rows)
    if sig != signal.SIGKILL:
        assert f"interrupted by {signal.Signals(sig).name}; {len(rows)} of {total} rows written" in err
        assert "--resume continues" in err


def test_resume_answers_only_the_rows_not_yet_written(tmp_path, settings, bot):
    questions = [HEEL_DA, SHIN_EN, SCIATICA_SV, "Hvilke øvelser kan hjælpe?", "Vad är hälsporre?"]
    source = write_jsonl(
        tmp_path / "q.jsonl",
        [{"id": f"q{i}", "conversation": "c", "question": q} for i, q in enumerate(questions)],
    )
    out = tmp_path / "out.jsonl"
    assert batch(settings, bot, source, "-o", out) == 0
    full = out.read_bytes()
    lines = full.splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:2]) + lines[2][:25])  # two whole rows and one cut off by a kill
    assert batch(settings, bot, source, "-o", out, "--resume") == 0
    resumed = out.read_bytes()
    assert resumed.startswith(b"".join(lines[:2]))  # the finished rows are kept byte for byte
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == [f"q{i}" for i in range(len(questions))]
    assert [r["answer"] for r in rows] == [json.loads(line)["answer"] for line in lines]  # history rebuilt
    assert batch(settings, bot, source, "-o", out, "--resume") == 0  # nothing left: nothing changes
    assert out.read_bytes() == resumed


def test_an_existing_answers_file_is_never_emptied_unasked(tmp_path, settings, bot, capsys):
    source = write_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": HEEL_DA}])
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "x", "answer": "kept"}\n', encoding="utf-8")
    assert batch(settings, bot, source, "-o", out) == 2
    assert "--resume continues it, --overwrite replaces it" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == '{"id": "x", "answer": "kept"}\n'
    assert batch(settings, bot, source, "-o", out, "--resume") == 2  # not answers to this file
    assert out.read_text(encoding="utf-8") == '{"id": "x", "answer": "kept"}\n'
    assert batch(settings, bot, source, "-o", out, "--overwrite") == 0
    assert [r["id"] for r in read_jsonl(out)] == ["a"]


def test_a_run_that_fails_before_its_first_row_leaves_no_file(tmp_path):
    source = tmp_path / "q.txt"
    source.write_text(f"{HEEL_DA}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--model", "st:/no/such/model", "batch", str(source), "-o", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "cannot load" in done.stderr
    assert not out.exists()


# Our own small checked set: one row of each kind of expectation.
CHECKED = [
    {"id": "c1", "lang": "da", "question": HEEL_DA, "expect_docs": ["no-haelspore"]},
    {"id": "c2", "lang": "en", "question": SHIN_EN, "expect_docs": ["sv-benhinnor"]},
    {"id": "c3", "lang": "sv", "question": SCIATICA_SV, "expect_docs": ["da-iskias"],
     "expect_redflag": False},
    {"id": "c4", "lang": "en", "question": "My left calf suddenly swelled up and is red and hot",
     "expect_redflag": True, "category": "blood_clot"},
    {"id": "c5", "lang": "sv", "question": "Vilken är den bästa pizzan i Stockholm?", "expect_abstain": True},
]  # fmt: skip


@pytest.fixture(scope="module")
def checked_run(tmp_path_factory, settings, bot):
    tmp = tmp_path_factory.mktemp("checked")
    source = write_jsonl(tmp / "checked.jsonl", CHECKED)
    return source, tmp / "out.jsonl", batch(settings, bot, source, "-o", tmp / "out.jsonl", "--report")


def test_report_on_a_real_run(checked_run, capsys):
    source, out, code = checked_run
    assert code == 0
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["c1", "c2", "c3", "c4", "c5"]
    assert rows[3]["red_flag"]["category"] == "blood_clot" and rows[4]["abstained"]


@pytest.mark.skipif(not SCORE_PY.exists(), reason="the shared evaluation script is not next to this checkout")
def test_real_run_scores_the_same_with_the_evaluation_script(checked_run):
    theirs = assert_agrees_with_score_py(checked_run[1])
    assert {"doc_hit@1", "redflag_recall", "redflag_false_alarm", "abstain_oos", "language_acc"} <= set(theirs)


@pytest.mark.parametrize(
    ("thresholds", "code"),
    [
        (["--fail-under", "hit@1=0", "redflag_recall=0"], 0),
        (["--fail-over", "latency_p50_ms=0"], 1),  # every reply takes some time
        (["--fail-under", "passage_hit@3=0"], 1),  # no row expects a text: not measured, so not met
        (["--fail-under", "hit@3=0", "--fail-over", "redflag_false_alarm=1", "abstain_inscope=1"], 0),
        (["--fail-under", "redflag_false_alarm=0.1"], 2),
        (["--fail-under", "hit@1"], 2),
    ],
)
def test_fail_under_and_fail_over_exit_codes(checked_run, settings, bot, tmp_path, thresholds, code):
    assert batch(settings, bot, checked_run[0], "-o", tmp_path / "out.jsonl", *thresholds) == code


def test_usage_errors_exit_2_before_any_answer(tmp_path, settings, bot, capsys):
    assert batch(settings, bot, tmp_path / "missing.jsonl") == 2
    (tmp_path / "bad.csv").write_text("text\nhello\n", encoding="utf-8")
    assert batch(settings, bot, tmp_path / "bad.csv", "-o", tmp_path / "out.jsonl") == 2
    assert not (tmp_path / "out.jsonl").exists()
    assert "no 'question' column" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["batch", "q.jsonl", "--format", "xml"])
    assert exit_.value.code == 2


def test_html_report_of_a_real_run_escapes_a_script_question(tmp_path, settings, bot):
    hostile = "<script>alert('x')</script> Jeg har ondt i hælen"
    source = write_jsonl(tmp_path / "q.jsonl", [{"id": "<x>", "lang": "da", "question": hostile}, *CHECKED[:2]])
    page_path = tmp_path / "report.html"
    assert batch(settings, bot, source, "-o", tmp_path / "out.jsonl", "--html", page_path) == 0
    page = page_path.read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "id &lt;x&gt;" in page and "<svg" in page and "no-haelspore" in page
    assert " src=" not in page and "@import" not in page  # self-contained: nothing to fetch


def test_html_report_says_why_an_emergency_without_a_category_misses():
    row = {"id": "e", "question": "q", "expect_redflag": True, "red_flag": {"category": "trauma"}}
    page = render(build_report([row]), [row], "t")
    assert "missed: category_acc" in page and "none given (counts as a category miss)" in page
