"""Issue 17 against the real server (`painbot serve` in a subprocess, no network guard bypassed): bounded work per
request, every door with the same limits, nothing leaving the server, headers, slow clients, hostile input."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import httpx
import pytest
from live_server import painbot_server

from bot import bounds
from bot.validate import MAX_CHARS
from bot.web.api import MAX_BODY_BYTES, MAX_HISTORY_TURNS
from bot.web.feedback import MESSAGE_CHARS, FeedbackLog

TESTS = Path(__file__).resolve().parent
ALLOWED = "http://clinic.example"
WAIT_S = 120  # only for waiting on a busy machine; nothing here asserts on time
WORST_TURN = "a," * (MAX_CHARS // 2)  # the costliest text per character for the language models and the encoder


def worst_history() -> list[dict]:
    """As many maximal user turns as the body limit allows (with a maximal message beside them)."""
    history: list[dict] = []
    while len(history) < MAX_HISTORY_TURNS:
        turn = {"role": "user" if len(history) % 2 == 0 else "assistant", "content": WORST_TURN}
        body = json.dumps({"message": WORST_TURN, "history": [*history, turn]})
        if len(body.encode()) > MAX_BODY_BYTES:
            break
        history.append(turn)
    return history


@pytest.fixture(scope="module")
def server(settings, index, tmp_path_factory):
    logs = tmp_path_factory.mktemp("hardening-server")
    netlog = logs / "outbound.log"
    env = {
        "PAINBOT_ALLOWED_ORIGINS": ALLOWED,
        "PAINBOT_FEEDBACK": str(logs / "feedback.jsonl"),
        "PAINBOT_RATE_LIMIT": "60",
        # Any connection or name lookup beyond this machine is logged and fails (tests/netguard); the server
        # must keep itself offline: none of the switches that would do it for it are passed on.
        "PYTHONPATH": str(TESTS / "netguard"),
        "PAINBOT_NETLOG": str(netlog),
        "GRADIO_ANALYTICS_ENABLED": None,
        "HF_HUB_OFFLINE": None,
        "TRANSFORMERS_OFFLINE": None,
        "PAINBOT_TRUSTED_PROXIES": None,
    }
    with painbot_server(settings, logs, env) as url:
        yield url, netlog


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server[0], timeout=WAIT_S) as c:
        yield c


# -- nothing leaves the server ------------------------------------------------------------------------------
def test_the_network_guard_sees_an_outbound_attempt(tmp_path):
    """The guard itself works: a process under it that calls out is logged and fails."""
    import subprocess

    log = tmp_path / "out.log"
    code = (
        "import urllib.request\ntry:\n    urllib.request.urlopen('http://192.0.2.1/', timeout=5)\n"
        "except OSError:\n    pass"
    )
    env = {"PYTHONPATH": str(TESTS / "netguard"), "PAINBOT_NETLOG": str(log)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=WAIT_S)
    assert "'192.0.2.1'" in log.read_text()


def test_no_outbound_connection_at_start_or_while_serving(server, client):
    assert client.get("/").status_code == 200
    assert client.get("/config").status_code == 200
    assert client.post("/api/chat", json={"message": "Jeg har ondt i hælen om morgenen"}).status_code == 200
    assert client.get("/docs").status_code == 200
    netlog = server[1]
    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()[:3000]


def test_docs_load_nothing_from_elsewhere(client):
    page = client.get("/docs").text
    assert "swagger-ui-bundle.js" in page
    for marker in ("http://", "https://", "//cdn"):
        assert marker not in page.replace("http-equiv", "")
    assert client.get("/docs/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/../openapi.json").status_code in (200, 404)  # normalised by the client; never a file
    assert client.get("/docs/secret.txt").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/gradio_api/upload"),
        ("GET", "/gradio_api/runs"),
        ("GET", "/gradio_api/run-history/records"),
        ("GET", "/gradio_api/deep_link?session_hash=x"),
        ("GET", "/gradio_api/file=/etc/passwd"),
        ("GET", "/gradio_api/proxy=http://example.org/"),
        ("POST", "/gradio_api/call/respond"),
        ("POST", "/gradio_api/run/predict"),
        ("GET", "/monitoring"),
        ("GET", "/gradio_api/mcp/sse"),
        ("POST", "/gradio_api/process_recording"),
        ("GET", "/gradio_api/openapi.json"),
    ],
)
def test_gradio_doors_not_needed_by_the_page_are_closed(client, method, path):
    r = client.request(method, path, content=b"x" * 100 if method == "POST" else None)
    assert r.status_code == 404 and r.json()["error"] == "not_found"


# -- every door has the same limits ------------------------------------------------------------------------
def _event(data: list, fn_index: int = 0) -> dict:
    return {"data": data, "fn_index": fn_index, "session_hash": "hardeningtest", "event_data": None, "trigger_id": 1}


def test_gradio_events_get_the_message_limit(client):
    r = client.post("/gradio_api/queue/join", json=_event(["a" * (MAX_CHARS + 1), None, "sv"]))
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert "a" * 100 not in r.text


def test_gradio_events_get_the_body_limit(client):
    r = client.post("/gradio_api/queue/join", json=_event(["a" * (MAX_BODY_BYTES + 10)]))
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"
    chunks = (b"x" * 8192 for _ in range(10))
    assert client.post("/gradio_api/queue/join", content=chunks).status_code == 413


def test_gradio_events_refuse_deep_nesting_and_malformed_json(client):
    nested: list = []
    for _ in range(50):
        nested = [nested]
    assert client.post("/gradio_api/queue/join", json=_event([nested])).status_code == 422
    r = client.post("/gradio_api/queue/join", content=b'{"data": [', headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "Traceback" not in r.text


def test_gradio_errors_do_not_echo_their_input(client):
    r = client.post("/gradio_api/queue/join", json={"data": ["SECRET-INPUT"], "fn_index": "not a number"})
    assert 400 <= r.status_code < 500
    assert "SECRET-INPUT" not in r.text and "fn_index" not in r.text and "Traceback" not in r.text


def test_the_worst_message_through_gradio_is_answered(server):
    """The longest message the textbox allows, through Gradio's own client protocol, gets its reply."""
    from gradio_client import Client

    gradio = Client(server[0], verbose=False, download_files=False, ssl_verify=False)
    info = gradio.view_api(print_info=False, return_format="dict")
    name = next(n for n in info["named_endpoints"] if "respond" in n)
    result = gradio.predict("Jeg har ondt i hælen. " + WORST_TURN[: MAX_CHARS - 22], [], "da", api_name=name)
    assert result and result[0] == ""  # the textbox is emptied once the reply is in


def test_feedback_store_has_field_caps_a_vote_rate_and_a_total_cap(tmp_path, caplog):
    log = FeedbackLog(tmp_path / "feedback.jsonl", max_bytes=4000, votes_per_minute=1000)
    record = log.append("Ring mig på 0701234567 eller mail a.b@example.org " + "x" * 5000, "answer" * 50,
                        ["doc"] * 500, "up", client="1.2.3.4")  # fmt: skip
    assert len(record["message"]) <= MESSAGE_CHARS + 20
    assert "0701234567" not in record["message"] and "a.b@example.org" not in record["message"]
    assert len(record["kind"]) <= 32 and len(record["doc_ids"]) <= 10
    assert "1.2.3.4" not in (tmp_path / "feedback.jsonl").read_text()
    for i in range(300):
        log.append(f"question {i}", "answer", ["doc"], "down", client=f"c{i}")
    sizes = [p.stat().st_size for p in tmp_path.iterdir()]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback.jsonl", "feedback.jsonl.1"]
    assert all(size <= 4000 for size in sizes)
    assert "rotated" in caplog.text
    limited = FeedbackLog(tmp_path / "rate.jsonl", votes_per_minute=3)
    kept = [limited.append("q", "answer", [], "up", client="same") for _ in range(5)]
    assert [r is not None for r in kept] == [True, True, True, False, False]
    assert limited.append("q", "answer", [], "up", client="other") is not None


# -- bounded work per request ------------------------------------------------------------------------------
def test_only_the_last_few_user_turns_reach_the_bot_each_capped():
    history = worst_history() + [{"role": "user", "content": "x" * 100_000}]
    message, earlier = bounds.bounded("hej", history)
    assert len(earlier) == bounds.EARLIER_USER_TURNS
    assert all(len(t) <= bounds.TURN_CHARS for t in earlier)
    assert earlier[-1] == "x" * bounds.TURN_CHARS  # the newest turn, cut
    assert bounds.bounded("a\ud800b", [{"role": "user", "content": "\udfff"}]) == ("a\ufffdb", ["\ufffd"])


def test_the_bot_reads_no_more_than_the_bound_of_the_worst_history(bot, monkeypatch):
    """Whatever the history, the text the language step reads is the message plus the bounded turns."""
    seen: list[int] = []
    detect = bot.detector.detect

    def spy(text, previous=None):
        seen.append(len(text))
        return detect(text, previous)

    monkeypatch.setattr(bot.detector, "detect", spy)
    reply = bot.reply("Jeg har ondt under hælen om morgenen", worst_history())
    assert reply.text
    assert sum(seen) <= MAX_CHARS + bounds.EARLIER_USER_TURNS * bounds.TURN_CHARS
    assert len(seen) <= 1 + bounds.EARLIER_USER_TURNS


def test_the_worst_history_the_limits_allow_is_answered(client):
    """The history is this layer's to bound (the message's own cost is the encoder's input bound)."""
    body = {"message": "Jeg har ondt under hælen om morgenen", "history": worst_history()}
    assert len(json.dumps(body).encode()) <= MAX_BODY_BYTES
    assert len(body["history"]) >= 30
    r = client.post("/api/chat", json=body)
    assert r.status_code == 200 and r.json()["kind"]


def test_a_user_turn_longer_than_a_message_is_a_clear_422(client):
    r = client.post("/api/chat", json={"message": "hej", "history": [{"role": "user", "content": "a" * 2001}]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "history"]
    long_reply = {"role": "assistant", "content": "a" * 5000}
    assert client.post("/api/chat", json={"message": "hej", "history": [long_reply]}).status_code == 200


# -- hostile input: never a 500, never an echo of internals -------------------------------------------------
HOSTILE = {
    "lone surrogate": "Ont i hälen \ud800 på morgonen",
    "lone low surrogate only": "\udfff",
    "rtl override": "\u202eJag har ont i hälen\u202c",
    "zero-width flood": "hæl" + "\u200b" * (MAX_CHARS - 3),
    "combining flood": "a" + "\u0301" * (MAX_CHARS - 1),
    "2000 multibyte characters": "ø" * MAX_CHARS,
    "2000 astral characters": "\U0001f9b6" * MAX_CHARS,
    "control characters": "\x1b[31m\x07 hæl \x7f",
    "script tag": "<script>alert(1)</script> ondt i hælen",
}


@pytest.mark.parametrize("message", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_messages_get_an_answer_not_an_error(client, message):
    history = [{"role": "user", "content": message[:MAX_CHARS]}, {"role": "assistant", "content": message}]
    surrogate = "\ud800" in message or "\udfff" in message
    body = json.dumps({"message": message, "history": history}, ensure_ascii=surrogate)  # "\ud800" escaped
    r = client.post("/api/chat", content=body.encode(), headers={"Content-Type": "application/json"})
    if surrogate:  # not text: refused by the schema, by name, not a crash
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "string_unicode", r.text[:500]
    else:
        assert r.status_code == 200 and r.json()["kind"] and r.json()["text"], r.text[:500]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 20_000 + b"]" * 20_000,
        b'{"message": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"message": {"$ne": 1}}',
        b'{"message": "hej", "history": [[[[[]]]]]}',
        b'{"message": "\\ud800", "lang": "\\udfff"}',
        b"\xff\xfe\x00\x00",
        b'{"message": "hej"}' + b" " * 60_000,
    ],
    ids=["deep array", "deep message", "object message", "nested history", "surrogate lang", "not utf-8", "padding"],
)
def test_hostile_bodies_get_a_4xx_without_internals(client, body):
    r = client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, r.text[:500]
    assert "Traceback" not in r.text and "/work" not in r.text and "site-packages" not in r.text


# -- headers and slow clients --------------------------------------------------------------------------------
def test_security_headers(client):
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    api = client.get("/api/health")
    for r in (page, api):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert api.headers["cache-control"] == "no-store"
    assert client.post("/api/chat", json={"message": "hej"}).headers["cache-control"] == "no-store"
    embed = client.get("/embed")
    assert "x-frame-options" not in embed.headers
    assert f"frame-ancestors 'self' {ALLOWED}" in embed.headers["content-security-policy"]


def test_a_client_that_never_finishes_its_headers_is_cut_off(server):
    host, port = server[0].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=WAIT_S) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert s.recv(1024) == b""  # the server closed the connection (recv would time out otherwise)


def test_a_client_that_never_finishes_its_body_gets_408(server):
    host, port = server[0].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=WAIT_S) as s:
        s.sendall(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n{")
        assert s.recv(1024).startswith(b"HTTP/1.1 408")


# Last: it spends this server's rate budget for 127.0.0.1.
def test_forwarded_for_is_not_believed_from_an_untrusted_peer(client):
    """Without --trusted-proxies every request from this socket is one client, whatever it claims."""
    statuses = []
    for n in range(61):
        statuses.append(client.post("/api/chat", json={"message": ""}, headers={"X-Forwarded-For": f"10.1.{n}.1"}))
        if statuses[-1].status_code == 429:
            break
    assert statuses[-1].status_code == 429
