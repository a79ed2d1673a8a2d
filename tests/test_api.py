"""The JSON API, the widget files and the error policy, against the real server (`painbot serve`)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from live_server import painbot_server

from bot.validate import MAX_CHARS

ALLOWED = "http://clinic.example"
RATE_LIMIT = 5
DA_QUESTION = "Hvilke øvelser anbefales når man har iskias?"
RED_FLAG = "Jeg har mistet følelsen i skridtet og kan ikke tisse, og det stråler ned i benet"
OFF_TOPIC = "Hvordan skifter jeg dæk på min bil?"

_client_counter = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def base(settings, index, tmp_path_factory):
    logs = tmp_path_factory.mktemp("api-server")
    env = {
        "PAINBOT_RATE_LIMIT": str(RATE_LIMIT),
        "PAINBOT_ALLOWED_ORIGINS": ALLOWED,
        "PAINBOT_UI_LANG": "sv",
        "PAINBOT_FEEDBACK": str(logs / "feedback.jsonl"),
        "PAINBOT_TRUSTED_PROXIES": "127.0.0.1",  # the tests play a local proxy naming many clients
    }
    with painbot_server(settings, logs, env) as url:
        yield url


@pytest.fixture
def client(base):
    """Each test is its own client address (X-Forwarded-For from a trusted proxy, here the tests), so the low
    rate limit of this server only bites where a test means it to."""
    ip = f"10.0.0.{next(_client_counter)}"
    with httpx.Client(base_url=base, timeout=30, headers={"X-Forwarded-For": ip}) as c:
        yield c


def chat(client: httpx.Client, message: str, **extra) -> httpx.Response:
    return client.post("/api/chat", json={"message": message, **extra})


def test_answer_has_citations_in_the_question_language(client):
    r = chat(client, DA_QUESTION)
    assert r.status_code == 200
    reply = r.json()
    assert reply["kind"] == "answer" and reply["language"] == "da" and not reply["abstained"]
    assert reply["red_flag"] is None
    assert reply["citations"], reply
    for n, c in enumerate(reply["citations"], 1):
        assert c["n"] == n and c["doc_id"] and c["title"] and c["text"]
    assert "da-iskias" in {c["doc_id"] for c in reply["citations"]}


def test_red_flag_escalates_without_citations(client):
    reply = chat(client, RED_FLAG).json()
    assert reply["kind"] == "redflag" and reply["citations"] == []
    assert reply["red_flag"]["level"] == "emergency"
    assert "112" in {p["number"] for p in reply["red_flag"]["numbers"]}


def test_out_of_scope_abstains(client):
    reply = chat(client, OFF_TOPIC).json()
    assert reply["kind"] == "out_of_scope" and reply["abstained"] is True and reply["citations"] == []


def test_history_travels_with_the_request(client):
    """Stateless: a red flag told in an earlier turn still escalates a vague follow-up."""
    follow_up = "Hvad skal jeg gøre nu?"
    assert chat(client, follow_up).json()["kind"] != "redflag"
    history = [{"role": "user", "content": RED_FLAG}, {"role": "assistant", "content": "..."}]
    assert chat(client, follow_up, history=history).json()["kind"] == "redflag"


def test_lang_forces_the_reply_language(client):
    assert chat(client, DA_QUESTION, lang="en").json()["language"] == "en"


@pytest.mark.parametrize("message", ["", "   \n ", "\x00\x01\x02\x03binary\x04\x05"])
def test_unusable_message_gets_an_invalid_reply(client, message):
    r = chat(client, message)
    assert r.status_code == 200
    reply = r.json()
    assert reply["kind"] == "invalid" and reply["abstained"] is True and reply["text"]


def test_too_long_message_is_a_clear_422(client):
    r = chat(client, "a" * (MAX_CHARS + 1))
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_request"
    assert body["detail"][0]["loc"] == ["body", "message"]
    assert str(MAX_CHARS) in body["detail"][0]["msg"]
    assert "a" * 100 not in r.text  # the input is not echoed back
    assert chat(client, "a" * MAX_CHARS).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"message": "hej"',  # malformed JSON
        b'{"history": []}',  # no message
        b'{"message": 42}',
        b'{"message": "hej", "history": "not a list"}',
        b'{"message": "hej", "history": [{"role": "system", "content": "x"}]}',
        b'{"message": "hej", "lang": "de"}',
    ],
)
def test_malformed_requests_get_422_json(client, body):
    r = client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == "invalid_request"


def test_too_large_body_is_413(client):
    big = json.dumps({"message": "x", "history": [{"role": "user", "content": "y" * 70_000}]})
    r = client.post("/api/chat", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


def test_too_large_chunked_body_is_413(client):
    """Without a Content-Length header the limit still holds."""
    chunks = (b"x" * 8192 for _ in range(10))
    r = client.post("/api/chat", content=chunks, headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


def test_rate_limit_per_client(client, base):
    for _ in range(RATE_LIMIT):
        assert chat(client, "hælspore").status_code == 200
    r = chat(client, "hælspore")
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["error"] == "rate_limited"
    with httpx.Client(base_url=base, timeout=30, headers={"X-Forwarded-For": "10.9.9.9"}) as other:
        assert chat(other, "hælspore").status_code == 200
    assert client.get("/api/health").status_code == 200  # only the chat is limited


def test_cors_allowed_origin(client):
    pre = client.options(
        "/api/chat",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == ALLOWED
    r = client.post("/api/chat", json={"message": DA_QUESTION}, headers={"Origin": ALLOWED})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED


def test_cors_refused_origin(client):
    evil = "http://evil.example"
    pre = client.options(
        "/api/chat",
        headers={
            "Origin": evil,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 400 and "access-control-allow-origin" not in pre.headers
    # A request a browser sends without preflight is refused outright, not just made unreadable.
    r = client.post("/api/chat", json={"message": DA_QUESTION}, headers={"Origin": evil})
    assert r.status_code == 403 and r.json()["error"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in r.headers


def test_serving_origin_may_always_call(client, base):
    r = client.post("/api/chat", json={"message": DA_QUESTION}, headers={"Origin": base})
    assert r.status_code == 200


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/chat" in spec["paths"] and "/api/health" in spec["paths"]
    schema = spec["components"]["schemas"]["ChatRequest"]["properties"]["message"]
    assert schema["maxLength"] == MAX_CHARS


def test_unknown_api_route_is_json_404(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_ui_strings_for_the_widget(client):
    da, en = client.get("/api/ui/da").json(), client.get("/api/ui/en").json()
    assert da["lang"] == "da" and da["strings"]["sources"] == "Kilder"
    assert set(da["strings"]) == set(en["strings"])
    assert da["max_message_chars"] == MAX_CHARS
    assert client.get("/api/ui/xx").status_code == 404


def test_widget_files(client):
    js = client.get("/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "innerHTML" not in js.text and "insertAdjacentHTML" not in js.text
    assert "textContent" in js.text
    css = client.get("/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_embed_page(client):
    r = client.get("/embed", params={"lang": "nb"})
    assert r.status_code == 200
    assert 'data-mode="inline"' in r.text and 'lang="nb"' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and f"frame-ancestors 'self' {ALLOWED}" in csp
    odd = client.get("/embed", params={"lang": '"><script>alert(1)</script>'}).text
    assert re.search(r'<html lang="(sv|da|nb|en)"', odd) and "alert" not in odd  # unknown: a supported language


def test_gradio_page_is_served_at_root(client):
    r = client.get("/")
    assert r.status_code == 200 and "gradio" in r.text.lower()
