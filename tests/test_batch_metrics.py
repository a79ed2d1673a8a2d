"""Batch reading and the quality metrics, on hand-made rows: no model needed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.batch_io import InputError, decode, input_format, read_rows
from bot.metrics import as_bool, as_list, build_report, format_report, parse_threshold, unmet
from bot.report_html import render

SCORE_PY = Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py"


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
            "hit@1": 1.0, "hit@3": 1.0, "mrr": 1.0, "passage_hit@3": 1.0, "answered": 1.0,
            "redflag_recall": 0.0, "category_acc": 0.0, "redflag_false_alarm": 1.0, "abstain_inscope": 0.0,
            "language_acc": 1.0, "latency_p50_ms": 60, "latency_p95_ms": 70,
        }
    )  # fmt: skip
    assert list(report.by_language) == ["sv", "da", "nb", "en"]
    assert report.misses == {
        "error": ["r11"],
        "hit@1": ["r2", "r3"],
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
        assert ours[names.get(key, key)] == pytest.approx(theirs[key]), key
    assert report.misses.get("hit@3", []) == theirs.get("misses", [])
    assert report.misses.get("redflag_recall", []) == theirs.get("redflag_missed", [])
    assert report.misses.get("redflag_false_alarm", []) == theirs.get("redflag_false_alarms", [])
    assert [
        f"{r['id']}:{r.get('language')}" for r in rows if r["id"] in report.misses.get("language_acc", [])
    ] == (theirs.get("language_misses", []))
    return theirs


def test_thresholds_compare_in_the_metrics_direction():
    report = build_report(ROWS)
    assert (
        unmet(report, [parse_threshold("hit@3=0.6", upper=False), parse_threshold("doc_hit@1=0.3", False)])
        == []
    )
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
