"""Parts of the web layer that need no server: rate limiter, origin rule, chat markup escaping, UI strings,
feedback records."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from bot.config import DATA_DIR, LANGUAGES
from bot.corpus import load_corpus, segments
from bot.reply import Citation, PhoneNumber, Quote, RedFlag, Reply
from bot.web.embed import welcome_numbers, widget_script
from bot.web.embed_clinic import clinic_from, load_clinic
from bot.web.feedback import FeedbackLog
from bot.web.guards import RateLimiter, same_or_allowed_origin
from bot.web.render import markdown_html, render_reply, render_user, source_view_href
from bot.web.source import highlighted, source_page
from bot.web.strings import UiStringsError, load_ui_strings, negotiate, pick_language

XSS = '<img src=x onerror=alert(1)> <script>alert(2)</script> " onmouseover="alert(3)'


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_sliding_window():
    clock = Clock()
    limiter = RateLimiter(3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.hit("a") == 0
        clock.now += 10
    assert limiter.hit("a") == 30  # the oldest hit (30 s ago) leaves the window in 30 s
    assert limiter.hit("b") == 0  # other clients are not affected
    clock.now += 30
    assert limiter.hit("a") == 0  # one slot freed, not a whole new minute
    assert limiter.hit("a") == 10  # the next slot frees when the second hit ages out


def test_rate_limiter_forgets_idle_clients():
    clock = Clock()
    limiter = RateLimiter(2, window=60, clock=clock)
    for i in range(50):
        limiter.hit(f"client-{i}")
    clock.now += 61
    limiter.hit("new")
    assert set(limiter._hits) == {"new"}


def test_rate_limit_zero_disables():
    limiter = RateLimiter(0)
    assert all(limiter.hit("a") == 0 for _ in range(100))


@pytest.mark.parametrize(
    ("origin", "host", "ok"),
    [
        (None, "painbot.example", True),  # not a browser cross-site call
        ("https://painbot.example", "painbot.example", True),  # same origin, even behind a TLS proxy
        ("http://clinic.example", "painbot.example", True),  # allowed
        ("http://clinic.example.evil.test", "painbot.example", False),
        ("http://evil.example", "painbot.example", False),
        ("null", "painbot.example", False),
    ],
)
def test_origin_rule(origin, host, ok):
    assert same_or_allowed_origin(origin, host, None, ("http://clinic.example",)) is ok


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def markup_of(html: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(html)
    return parser


OUR_TAGS = {"div", "p", "br", "strong", "span", "details", "summary", "ol", "ul", "li", "blockquote", "a"}
OUR_ATTRS = {"class", "role", "href", "target", "rel", "lang"}


def hostile_reply(kind: str) -> Reply:
    citation = Citation(1, "da-iskias", XSS, XSS, XSS, "javascript:alert(4)", "da", 0.9, XSS + "\nmore")
    flag = RedFlag("emergency", "cauda_equina", XSS, (PhoneNumber("112" + XSS, XSS),))
    return Reply(
        "da",
        kind,
        XSS,
        red_flag=flag if kind == "redflag" else None,
        citations=[citation] if kind == "answer" else [],
    )


@pytest.mark.parametrize("kind", ["answer", "redflag", "out_of_scope", "invalid"])
def test_reply_markup_escapes_every_text(kind):
    html = render_reply(hostile_reply(kind), "sv")
    found = markup_of(html)
    assert found.tags <= OUR_TAGS and found.attrs <= OUR_ATTRS
    assert "img" not in found.tags and "script" not in found.tags and "onerror" not in found.attrs
    assert 'href="javascript' not in html  # a non-http source is text, never a link
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_user_message_is_text_only():
    html = render_user(XSS + "\n*not italic*")
    assert markup_of(html).tags == {"div", "br"}
    assert "&lt;script&gt;" in html


def test_reply_markup_parts():
    flag = RedFlag("emergency", "blood_clot", "hoven", (PhoneNumber("112", "Alarm"), PhoneNumber("116 117", "Vagt")))
    html = render_reply(Reply("da", "redflag", "Ring nu.", red_flag=flag), "sv")
    assert 'class="pb-emergency pb-level-emergency" role="alert"' in html
    assert 'href="tel:112"' in html and 'href="tel:116117"' in html
    assert "Akut – søg hjælp nu" in html  # labels follow the reply's language, not the UI's
    answer = Reply(
        "en",
        "answer",
        "Text",
        citations=[
            Citation(
                1,
                "sv-halsena",
                "Hälsena",
                "Hässleholms sjukhus",
                "Träning",
                "https://example.org/a",
                "sv",
                0.8,
                "Passage",
            )
        ],
    )
    html = render_reply(answer, "sv")
    assert "<details" in html and "Sources (1)" in html and 'href="https://example.org/a"' in html
    assert "Reply language: English" in html
    oos = render_reply(Reply("de", "out_of_scope", "Nein"), "nb")
    assert "Finnes ikke i kildene mine" in oos  # no strings for German: the UI language's
    assert "Språk i svaret: de" in oos


def test_ui_strings_share_keys_in_every_language():
    strings = load_ui_strings()
    assert set(LANGUAGES) <= set(strings)
    keys = set(strings["en"])
    for code in LANGUAGES:
        assert set(strings[code]) == keys
        assert len(strings[code]["examples"]) >= 2
    assert pick_language("xx", None, "da") == "da"


def test_ui_strings_mismatch_names_the_file(tmp_path):
    for code, data in {"en": "a: x\nb: y\n", "da": "a: x\n"}.items():
        (tmp_path / code).mkdir()
        (tmp_path / code / "ui.yaml").write_text(data)
    with pytest.raises(UiStringsError, match=r"da/ui.yaml: missing keys \['b'\]"):
        load_ui_strings.__wrapped__(tmp_path)


def test_feedback_record_has_no_client_data(tmp_path):
    log = FeedbackLog(tmp_path / "sub" / "feedback.jsonl")
    log.append("Hvad er iskias?", "answer", ["da-iskias"], "up")
    log.append("Off topic", "out_of_scope", [], "down")
    lines = [json.loads(line) for line in (tmp_path / "sub" / "feedback.jsonl").read_text().splitlines()]
    assert [r["vote"] for r in lines] == ["up", "down"]
    assert set(lines[0]) == {"timestamp", "message", "kind", "doc_ids", "vote"}
    assert lines[0]["doc_ids"] == ["da-iskias"] and lines[0]["message"] == "Hvad er iskias?"


def test_reply_markdown_keeps_quotes_but_no_tags():
    html = markdown_html("**Title** <b>x</b>\n> quoted <img src=x> & more\ntext > other")
    assert html == "**Title** &lt;b&gt;x&lt;/b&gt;\n> quoted &lt;img src=x&gt; &amp; more\ntext &gt; other"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("da-DK,da;q=0.9,en;q=0.5", "da"),
        ("de-DE,nn;q=0.8,en;q=0.5", "nb"),  # Nynorsk readers get Norwegian (Bokmål), not English
        ("en-GB;q=0.2,sv;q=0.7", "sv"),  # weights, not order
        ("fr,de", "sv"),  # nothing of ours: the deployment's language
        ("", "sv"),
    ],
)
def test_ui_language_from_accept_language(header, expected):
    assert negotiate(header, "sv") == expected


def test_translated_quote_shows_label_and_original():
    citation = Citation(1, "da-iskias", "Iskias", "Smertefri", "Behandling", "Smertefri", "da", 0.9, "Gå en tur.")
    quote = Quote(1, "Take a walk <b>now</b>.", "en", "answer", "da-iskias", "abc123abc123",
                  original="Gå en tur <b>nu</b>.", translated_from="da")
    html = render_reply(Reply("en", "answer", "Text", citations=[citation], quotes=[quote]), "en")
    assert "Translated from Dansk" in html and "Show the original" in html
    assert '<blockquote class="pb-quote" lang="da">Gå en tur &lt;b&gt;nu&lt;/b&gt;.</blockquote>' in html
    assert '<blockquote class="pb-quote" lang="en">Take a walk &lt;b&gt;now&lt;/b&gt;.</blockquote>' in html
    href = source_view_href(citation, [quote])
    assert href.startswith("/source/da-iskias?unit=abc123abc123&q=G%C3%A5+en+tur")
    assert f'href="{source_view_href(citation, [quote]).replace("&", "&amp;")}"' in html


def test_welcome_names_the_country_numbers_or_every_country():
    assert [n["number"] for n in welcome_numbers("SE", "sv")] == ["112", "1177"]
    assert [n["number"] for n in welcome_numbers("NO", "nb")][0] == "113"  # never 112 (police) for Norway
    every = welcome_numbers("", "en")
    assert {"112", "113"} <= {n["number"] for n in every} and all("(" in n["label"] for n in every)


def test_widget_script_carries_fallback_texts_for_every_language():
    script = widget_script()
    preamble = json.loads(script.split("\n", 1)[0].removeprefix("var PAINBOT_BUILTIN = ").rstrip(";"))
    assert set(preamble) == set(load_ui_strings())
    assert preamble["da"]["unavailable"] == load_ui_strings()["da"]["unavailable"]
    assert preamble["nb"]["numbers"][0]["number"] == "113"


def test_clinic_settings_refuse_unreadable_colour_and_unsafe_link(tmp_path):
    ok = clinic_from({"name": "K", "country": "dk", "color": "#1f5f3f", "link_url": "tel:+45 70 11 07 07",
                      "link_label": {"da": "Ring", "en": "Call"}})
    assert (ok.country, ok.color, ok.problems) == ("DK", "#1f5f3f", ())
    assert ok.public("sv")["link_label"] == "Ring"  # a language without its own text gets the first
    bad = clinic_from({"color": "#ffff00", "link_url": "javascript:alert(1)", "country": "Sverige"})
    assert (bad.color, bad.link_url, bad.country) == ("", "", "") and len(bad.problems) == 3
    path = tmp_path / "clinic.yaml"
    path.write_text("name: Fil\ncolor: '#1f5f3f'\n", encoding="utf-8")
    env = {"PAINBOT_CLINIC": str(path), "PAINBOT_CLINIC_NAME": "Miljø"}
    assert load_clinic(env).name == "Miljø" and load_clinic(env).color == "#1f5f3f"


def test_source_page_highlights_the_quote_and_escapes_the_article():
    doc = next(d for d in load_corpus(DATA_DIR / "corpus") if d.doc_id == "da-iskias")
    segs = [s for s in segments(doc) if not s.is_heading and len(s.text) > 40]
    quoted = segs[3].text + " " + segs[4].text
    assert highlighted(segments(doc), "", quoted) == {segs[3].id, segs[4].id}
    assert highlighted(segments(doc), f"{segs[7].id}+{segs[8].id}", quoted) == {segs[7].id, segs[8].id}
    page = source_page(doc, "en", "", quoted)
    assert page.count("<mark") == 2 and 'id="pb-quoted"' in page and "<script" not in page
    assert "Publisher" in page and doc.publisher in page and "not recorded" in page


def test_source_page_escapes_hostile_text(tmp_path):
    (tmp_path / "xx-evil.md").write_text(
        f"---\nid: xx-evil\ntitle: '{XSS.replace(chr(39), '')}'\nlanguage: en\npublisher: P\nsource: P\n---\n\n"
        f"## Head\n\nA sentence with {XSS} inside it.\n",
        encoding="utf-8",
    )
    doc = load_corpus(tmp_path)[0]
    page = source_page(doc, "en", "", "")
    assert "<img" not in page and "<script>" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
