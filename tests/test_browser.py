"""Real headless Chromium (Debian's) against the real server: the Gradio page at /, the widget on a clinic's
page (another origin), /embed alone and in an iframe, the source view; at desktop (1366x800) and phone
(390x844) sizes, with axe-core (zero serious or critical violations) and the failure states (server down,
server hung, origin refused). Screenshots go to test-output/screenshots/.

Every wait is on a DOM condition; nothing asserts on time. Without Chromium or Playwright these tests skip,
except under CI=true, where that is a failure."""

from __future__ import annotations

import json
import os
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from live_server import ROOT, painbot_server, static_server

from bot.web.strings import load_ui_strings

SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
REPLY_TIMEOUT_MS = 30_000
WIDGET_TIMEOUT_S = 15  # the widget gives up on a reply after this long
XSS = "<img src=x onerror=alert(1)>"
DA_QUESTION = "Hvad kan man selv gøre for at få det bedre med iskias?"
SV_QUESTION = "Hur ska jag träna när hälsenan gör ont?"
RED_FLAG = "Jeg har mistet følelsen i skridtet og kan ikke tisse, og det stråler ned i benet"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
UI = load_ui_strings()
CLINIC_YAML = """name: Kliniken Exempel
country: SE
color: "#1f5f3f"
link_url: "https://klinik.example/boka"
link_label: {sv: Boka tid eller ring oss, en: Book an appointment or call us}
"""
HOSTILE_CSS = "* {font-size: 22px !important; color: #eee; line-height: 3; font-family: serif} body {background: #222}"
IFRAME_SNIPPET = (
    '<div style="width:100%;max-width:480px;height:min(640px,85vh)">'
    '<iframe src="{base}/embed?lang=sv" title="Fråga kliniken" style="width:100%;height:100%;border:0"></iframe>'
    "</div>"
)


def require(ok: bool, reason: str) -> None:
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: browser tests may not be skipped)")
        pytest.skip(reason)


def axe_script() -> Path | None:
    try:
        import axe_playwright_python
    except ImportError:
        return None
    return Path(axe_playwright_python.__file__).parent / "axe.min.js"


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (pip install playwright)")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(Path(chromium).exists(), "Debian chromium is missing (apt-get install chromium chromium-driver)")
    require(axe_script() is not None, "axe-playwright-python (axe-core) is not installed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def widget_page(base: str, title: str, extra: str = "", attrs: str = "", src: str = "") -> str:
    return (
        f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{title}</title>{extra}</head><body>'
        f"<h1>{title}</h1><p>Vår mottagning.</p><a id='book' href='book.html'>Boka tid</a>"
        f'<script src="{src or base + "/widget.js"}" {attrs}></script></body></html>'
    )


@pytest.fixture(scope="module")
def servers(browser, settings, index, tmp_path_factory):
    """painbot with a clinic's settings, the clinic's site on a second origin that may use its API, and a third
    origin that may not."""
    logs = tmp_path_factory.mktemp("browser-servers")
    site_dir = tmp_path_factory.mktemp("clinic-site")
    refused_dir = tmp_path_factory.mktemp("other-site")
    feedback = logs / "feedback.jsonl"
    clinic = logs / "clinic.yaml"
    clinic.write_text(CLINIC_YAML, encoding="utf-8")
    with static_server(site_dir, logs) as site, static_server(refused_dir, logs) as refused:
        env = {
            "PAINBOT_ALLOWED_ORIGINS": site,
            "PAINBOT_FEEDBACK": str(feedback),
            "PAINBOT_UI_LANG": "sv",
            "PAINBOT_CLINIC": str(clinic),
        }
        with painbot_server(settings, logs, env) as base:
            with socket.socket() as s:  # a port nobody listens on: a painbot server that is down
                s.bind(("127.0.0.1", 0))
                down = f"http://127.0.0.1:{s.getsockname()[1]}"
            pages = {
                "index.html": widget_page(base, "Kliniken"),
                "book.html": widget_page(base, "Boka tid"),
                "dark.html": widget_page(base, "Mörk klinik", f"<style>{HOSTILE_CSS}</style>"),
                "nolang.html": widget_page(base, "Klinik"),
                "down.html": widget_page(base, "Klinik", attrs=f'data-server="{down}"', src="widget.js"),
                "embed.html": "<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>Klinik</title>"
                f"</head><body><h1>Kliniken</h1>{IFRAME_SNIPPET.format(base=base)}</body></html>",
            }
            for name, html in pages.items():
                (site_dir / name).write_text(html, encoding="utf-8")
            (refused_dir / "widget.html").write_text(widget_page(base, "Annan sajt"), encoding="utf-8")
            (refused_dir / "frame.html").write_text(pages["embed.html"], encoding="utf-8")
            # A clinic that serves its own copy of widget.js still shows "chat unavailable" when painbot is down.
            (site_dir / "widget.js").write_text(httpx.get(f"{base}/widget.js").text, encoding="utf-8")
            yield {"base": base, "site": site, "refused": refused, "feedback": feedback}


@contextmanager
def opened(browser, size: str = "desktop", locale: str = "sv-SE", **options):
    """A fresh browser context (a new tab with empty storage) that records JavaScript dialogs."""
    context = browser.new_context(locale=locale, bypass_csp=True, **{**SIZES[size], **options})
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page
    finally:
        context.close()


def assert_accessible(page, name: str) -> None:
    """axe-core over the whole page (open shadow roots and same-origin frames included)."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{name}: {bad}"


def in_view(locator) -> bool:
    return locator.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight; }"
    )


def wait_in_view(page, selector: str) -> None:
    """Wait until the first element matching `selector` (in the page or the widget) is fully on screen."""
    page.wait_for_function(
        """sel => {
            const roots = [document, ...[...document.querySelectorAll('[id^=painbot-]')].map(h => h.shadowRoot)];
            const e = roots.map(r => r && r.querySelector(sel)).find(Boolean);
            if (!e) return false;
            const r = e.getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight;
        }""",
        arg=selector,
        timeout=REPLY_TIMEOUT_MS,
    )


def stored(page, kind: str) -> str:
    return page.evaluate(f"JSON.stringify(Object.entries({kind}))")


def shot(page, name: str, full_page: bool = False) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


# ------------------------------------------------------------------------------------------------ Gradio page


def gradio_ask(page, message: str):
    box = page.locator("#pb-input textarea")
    box.fill(message)
    box.press("Enter")
    bot = page.locator("[data-testid='bot']")
    bot.last.locator(".pb-lang").wait_for(timeout=REPLY_TIMEOUT_MS)
    return bot.last


def open_gradio(page, base: str, query: str = "") -> None:
    page.goto(f"{base}/{query}")
    page.locator("#pb-input textarea").wait_for()
    page.locator("#pb-chat .pb-welcome").wait_for()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_gradio_welcome_in_the_browser_language(browser, servers, size):
    with opened(browser, size, locale="da-DK") as page:
        open_gradio(page, servers["base"])
        page.wait_for_function("document.documentElement.lang === 'da'")
        welcome = page.locator("#pb-chat .pb-welcome")
        assert UI["da"]["welcome_body"] in welcome.inner_text()
        first = welcome.locator(".pb-number").first
        assert first.inner_text() == "112" and first.get_attribute("href") == "tel:112"
        assert in_view(welcome.locator(".pb-welcome-title")) and in_view(first)
        assert in_view(page.locator("#pb-disclaimer"))  # above the fold
        examples = page.locator(".pb-example")
        assert examples.all_inner_texts() == UI["da"]["examples"][:4]
        assert page.locator("footer a").count() == 0  # no "Runs", "API", "Settings" links
        font = page.locator("#pb-input textarea").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert font >= 16  # phones do not zoom into the box
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]
        assert_accessible(page, f"/ welcome {size}")
        shot(page, f"gradio-welcome-{size}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_gradio_emergency_in_view(browser, servers, size):
    with opened(browser, size, locale="da-DK") as page:
        open_gradio(page, servers["base"])
        message = gradio_ask(page, RED_FLAG)
        block = message.locator(".pb-emergency")
        assert block.get_attribute("role") == "alert"
        wait_in_view(page, "#pb-chat .pb-emergency .pb-number")  # the number is on screen, not scrolled past
        numbers = block.locator(".pb-number")
        assert numbers.first.inner_text() == "112" and numbers.first.get_attribute("href") == "tel:112"
        assert all(n.get_attribute("href", timeout=1000).startswith("tel:") for n in numbers.all())
        size_px = numbers.first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        second_px = numbers.nth(1).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size_px >= 1.5 * second_px  # one main number, large
        assert message.get_attribute("lang") == "da"
        live = page.locator("#pb-live")
        live.wait_for(state="attached")
        said = live.inner_text()
        assert said.startswith(UI["da"]["emergency_title"]) and "**" not in said and "<" not in said
        assert "<" not in (message.get_attribute("aria-label") or "")
        assert_accessible(page, f"/ emergency {size}")
        shot(page, f"gradio-emergency-{size}")


def test_gradio_answer_sources_feedback_source_view_and_nothing_kept(browser, servers):
    with opened(browser, "desktop", locale="da-DK") as page:
        open_gradio(page, servers["base"])
        message = gradio_ask(page, DA_QUESTION)
        assert "Svarets sprog: Dansk" in message.inner_text() and message.get_attribute("lang") == "da"
        sources = message.locator("details.pb-sources")
        sources.locator("summary").click()
        view = sources.locator("a.pb-source-view").first
        view.wait_for()
        href = view.get_attribute("href")
        assert href.startswith("/source/da-iskias?")
        sources.evaluate("e => e.scrollIntoView({block: 'start'})")
        assert_accessible(page, "/ answer desktop")
        shot(page, "gradio-answer-sources")

        page.locator("#pb-chat").get_by_role("button", name="Like", exact=True).last.click()
        page.get_by_text("Tak for din tilbagemelding!").wait_for()
        record = json.loads(servers["feedback"].read_text(encoding="utf-8").splitlines()[-1])
        assert record["vote"] == "up" and record["message"] == DA_QUESTION and record["kind"] == "answer"
        assert "da-iskias" in record["doc_ids"]

        # Nothing of the conversation is kept in the browser: no run history, and a reload starts empty.
        assert DA_QUESTION[:20] not in stored(page, "localStorage")
        assert "iskias" not in stored(page, "localStorage").lower()
        page.reload()
        page.locator("#pb-chat .pb-welcome").wait_for()
        assert page.locator("[data-testid='user']").count() == 0
        assert DA_QUESTION[:20] not in stored(page, "localStorage") + stored(page, "sessionStorage")

        source = page.context.new_page()
        source.goto(servers["base"] + href)
        mark = source.locator("mark")
        mark.first.wait_for()
        assert mark.count() >= 1 and source.locator("article").get_attribute("lang") == "da"
        assert "Smertefribevægelse" in source.locator(".pb-source-meta").inner_text()
        assert_accessible(source, "/source")
        mark.first.scroll_into_view_if_needed()
        shot(source, "source-view")


def test_gradio_language_switch_and_reply_language(browser, servers):
    with opened(browser, "desktop", locale="sv-SE") as page:
        open_gradio(page, servers["base"])
        page.wait_for_function("document.documentElement.lang === 'sv'")
        page.locator("#pb-ui-lang input").click()
        page.get_by_role("option", name="English").click()
        page.wait_for_function("document.documentElement.lang === 'en'")
        page.get_by_label(UI["en"]["input_label"]).wait_for()
        assert UI["en"]["welcome_body"] in page.locator("#pb-chat .pb-welcome").inner_text()
        assert page.locator(".pb-example").first.inner_text() == UI["en"]["examples"][0]
        message = gradio_ask(page, SV_QUESTION)
        assert message.get_attribute("lang") == "sv"  # a Swedish reply on an English page says so
        shot(page, "gradio-english-ui-swedish-reply")


def test_gradio_shows_html_as_text(browser, servers):
    with opened(browser) as page:
        open_gradio(page, servers["base"], "?lang=da")
        gradio_ask(page, f"Ondt i hælen {XSS} <b>fed</b>")
        user = page.locator("[data-testid='user']").last
        assert XSS in user.inner_text() and "<b>fed</b>" in user.inner_text()
        assert page.locator("[data-testid='user'] img, [data-testid='user'] b").count() == 0
        page.wait_for_timeout(500)  # give a broken image's onerror time to fire
        assert page.dialogs == []
        # Control: the same markup through innerHTML does fire, so the listener above would have seen it.
        page.evaluate(f"document.body.insertAdjacentHTML('beforeend', {json.dumps(XSS)})")
        page.wait_for_timeout(500)
        assert page.dialogs == ["1"]


# ------------------------------------------------------------------------------------------------ widget


def open_widget(page, url: str):
    page.goto(url)
    launcher = page.locator(".pb-launcher")
    launcher.click()
    page.locator(".pb-panel .pb-welcome").wait_for()
    return launcher


def widget_ask(page, message: str, nth: int):
    box = page.locator(".pb-input")
    box.fill(message)
    box.press("Enter")
    reply = page.locator(".pb-log .pb-bot:not(.pb-welcome)").nth(nth)
    reply.locator(".pb-lang").wait_for(timeout=REPLY_TIMEOUT_MS)
    return reply


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_widget_welcome_answer_and_feedback(browser, servers, size):
    with opened(browser, size) as page:
        launcher = open_widget(page, f"{servers['site']}/index.html")
        assert launcher.get_attribute("aria-expanded") == "true"
        panel = page.locator(".pb-panel")
        assert panel.get_attribute("lang") == "sv"
        assert page.locator(".pb-title").inner_text() == "Fråga Kliniken Exempel"
        assert page.locator(".pb-log").get_attribute("role") == "log"
        welcome = page.locator(".pb-welcome")
        assert UI["sv"]["welcome_body"] in welcome.inner_text()
        assert welcome.locator(".pb-number").all_inner_texts() == ["112", "1177"]  # the clinic's country
        assert welcome.locator(".pb-example").count() >= 3
        assert in_view(page.locator(".pb-disclaimer"))
        assert page.locator(".pb-input").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
        assert_accessible(page, f"widget open {size}")
        shot(page, f"widget-welcome-{size}")

        welcome.locator(".pb-example").first.click()
        reply = page.locator(".pb-log .pb-bot:not(.pb-welcome)").first
        reply.locator(".pb-sources").wait_for(timeout=REPLY_TIMEOUT_MS)
        reply.locator(".pb-sources > summary").click()
        assert reply.locator(".pb-source-view").first.get_attribute("href").startswith(f"{servers['base']}/source/")
        link = reply.locator(".pb-clinic-link a")
        assert link.inner_text() == "Boka tid eller ring oss" and link.get_attribute("href") == "https://klinik.example/boka"
        said = page.locator("[aria-live=polite]").inner_text()
        assert said.startswith("painbot:") and "**" not in said
        assert_accessible(page, f"widget answered {size}")
        reply.locator(".pb-vote-up").click()
        reply.locator(".pb-vote-thanks").wait_for()
        record = json.loads(servers["feedback"].read_text(encoding="utf-8").splitlines()[-1])
        assert record["vote"] == "up" and record["message"] == UI["sv"]["examples"][0]
        assert set(record) == {"timestamp", "message", "kind", "doc_ids", "vote"} and record["doc_ids"]
        shot(page, f"widget-answer-{size}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_widget_emergency_pinned_in_view(browser, servers, size):
    with opened(browser, size) as page:
        open_widget(page, f"{servers['site']}/index.html")
        reply = widget_ask(page, RED_FLAG, 0)
        assert reply.locator(".pb-emergency").get_attribute("role") == "alert"
        assert reply.get_attribute("lang") == "da"
        pinned = page.locator(".pb-pinned")
        wait_in_view(page, ".pb-pinned .pb-number")
        number = pinned.locator(".pb-number").first
        assert number.get_attribute("href").startswith("tel:") and number.inner_text()
        assert all(a.get_attribute("href").startswith("tel:") for a in reply.locator(".pb-emergency a").all())
        assert page.locator("[aria-live=polite]").inner_text().startswith("painbot: " + UI["da"]["emergency_title"])
        assert_accessible(page, f"widget emergency {size}")
        shot(page, f"widget-emergency-{size}")
        pinned.locator(".pb-dismiss").click()
        assert pinned.is_hidden() and reply.locator(".pb-emergency").is_visible()


def test_widget_shows_html_as_text(browser, servers):
    with opened(browser) as page:
        open_widget(page, f"{servers['site']}/index.html")
        widget_ask(page, f"Hälsena {XSS} <b>fet</b>", 0)
        user = page.locator(".pb-user").last
        assert XSS in user.inner_text() and "<b>fet</b>" in user.inner_text()
        assert page.locator(".pb-log img, .pb-user b").count() == 0
        page.wait_for_timeout(500)  # give a broken image's onerror time to fire
        assert page.dialogs == []


def test_widget_keeps_the_conversation_in_the_tab_only(browser, servers):
    with opened(browser) as page:
        open_widget(page, f"{servers['site']}/index.html")
        widget_ask(page, SV_QUESTION, 0)
        assert SV_QUESTION in stored(page, "sessionStorage")
        assert stored(page, "localStorage") == "[]"
        page.locator("#book").click()  # the visitor moves to the clinic's booking page
        page.wait_for_url("**/book.html")
        page.locator(".pb-log .pb-bot:not(.pb-welcome) .pb-lang").wait_for()
        assert page.locator(".pb-panel").is_visible()  # still open, conversation still there
        assert page.locator(".pb-user").inner_text().endswith(SV_QUESTION)
        assert stored(page, "localStorage") == "[]"

        # An emergency keeps escalating while it is in the history; "start over" sends no history.
        sent = []
        page.on("request", lambda r: sent.append(r.post_data_json) if r.url.endswith("/api/chat") else None)
        widget_ask(page, RED_FLAG, 1)
        page.locator(".pb-restart").click()
        assert page.locator(".pb-log .pb-user").count() == 0 and page.locator(".pb-pinned").is_hidden()
        assert SV_QUESTION not in stored(page, "sessionStorage") and RED_FLAG not in stored(page, "sessionStorage")
        after = widget_ask(page, SV_QUESTION, 0)
        assert sent[-1]["history"] == [] and "pb-kind-redflag" not in after.get_attribute("class")
    with opened(browser) as page:  # a new tab: nothing of the old one
        open_widget(page, f"{servers['site']}/book.html")
        assert page.locator(".pb-log .pb-user").count() == 0 and stored(page, "sessionStorage").count(SV_QUESTION) == 0


def test_widget_language_from_the_browser_and_switcher(browser, servers):
    with opened(browser, locale="nb-NO") as page:
        page.goto(f"{servers['site']}/nolang.html")
        launcher = page.locator(".pb-launcher")
        launcher.wait_for()
        assert launcher.get_attribute("aria-label") == UI["nb"]["open_chat"]
        launcher.click()
        page.locator(".pb-lang-select").select_option("en")
        page.locator(".pb-panel[lang=en]").wait_for()
        assert page.locator(".pb-restart").inner_text() == UI["en"]["start_over"]
        assert UI["en"]["welcome_body"] in page.locator(".pb-welcome").inner_text()
        reply = widget_ask(page, SV_QUESTION, 0)
        assert reply.get_attribute("lang") == "sv" and "Språk i svaret: Svenska" in reply.inner_text()


def test_widget_isolated_from_host_css_and_usable_at_200_percent(browser, servers):
    with opened(browser) as page:
        open_widget(page, f"{servers['site']}/dark.html")
        widget_ask(page, SV_QUESTION, 0)
        style = page.locator(".pb-panel").evaluate(
            "e => { const s = getComputedStyle(e); return [s.fontSize, s.color, s.lineHeight, s.fontFamily]; }"
        )
        assert style[:3] == ["16px", "rgb(28, 28, 28)", "23.2px"] and style[3] != "serif"
        text = page.locator(".pb-log .pb-bot .pb-text").first
        assert text.evaluate("e => getComputedStyle(e).color") == "rgb(28, 28, 28)"
        shot(page, "widget-hostile-host-css")
    # 200% zoom of a 1366x800 screen: a 683x400 CSS-pixel viewport at device scale 2.
    with opened(browser, viewport={"width": 683, "height": 400}, device_scale_factor=2) as page:
        page.context.set_default_timeout(REPLY_TIMEOUT_MS)
        page.goto(f"{servers['site']}/index.html")
        page.locator(".pb-launcher").click()
        for part in (".pb-input", ".pb-send", ".pb-close", ".pb-title"):
            assert in_view(page.locator(part)), part
        assert page.locator(".pb-log").evaluate("e => e.getBoundingClientRect().height") >= 80
        widget_ask(page, SV_QUESTION, 0)
        shot(page, "widget-zoom-200")


# ------------------------------------------------------------------------------------------------ failures


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_widget_server_down_shows_unavailable_with_number(browser, servers, size):
    with opened(browser, size) as page:
        page.goto(f"{servers['site']}/down.html")
        launcher = page.locator(".pb-launcher-unavailable")
        launcher.wait_for()
        assert UI["sv"]["unavailable"] in launcher.inner_text()
        launcher.click()
        note = page.locator(".pb-unavailable-note")
        note.wait_for()
        assert UI["sv"]["unavailable"] in note.inner_text()
        assert note.locator(".pb-number").first.get_attribute("href") == "tel:112"
        assert_accessible(page, f"widget unavailable {size}")
        shot(page, f"widget-server-down-{size}")


def test_refused_origin_cannot_use_the_api_and_says_unavailable(browser, servers):
    with opened(browser) as page:
        page.goto(f"{servers['refused']}/widget.html")
        outcome = page.evaluate(
            """base => fetch(base + '/api/chat', {method: 'POST', headers: {'Content-Type': 'application/json'},
                         body: JSON.stringify({message: 'hej'})}).then(() => 'allowed', () => 'blocked')""",
            servers["base"],
        )
        assert outcome == "blocked"
        page.locator(".pb-launcher-unavailable").wait_for()
        assert page.locator(".pb-panel").count() == 0


def test_widget_error_keeps_the_question_and_retries(browser, servers):
    with opened(browser) as page:
        open_widget(page, f"{servers['site']}/index.html")
        chat = f"{servers['base']}/api/chat"
        page.route(chat, lambda route: route.abort("connectionrefused"))
        box = page.locator(".pb-input")
        box.fill(SV_QUESTION)
        box.press("Enter")
        error = page.locator(".pb-error")
        error.wait_for()
        assert error.get_attribute("role") == "alert" and UI["sv"]["error"] in error.inner_text()
        assert error.locator(".pb-number").first.get_attribute("href") == "tel:112"
        assert box.input_value() == SV_QUESTION  # nothing typed is lost
        shot(page, "widget-error-retry")
        page.unroute(chat)
        error.locator(".pb-retry").click()
        page.locator(".pb-log .pb-bot:not(.pb-welcome) .pb-sources").wait_for(timeout=REPLY_TIMEOUT_MS)
        assert page.locator(".pb-error").count() == 0 and box.input_value() == ""


def test_widget_hung_server_times_out(browser, servers):
    with opened(browser, "phone") as page:
        open_widget(page, f"{servers['site']}/index.html")
        held = []
        page.route(f"{servers['base']}/api/chat", lambda route: held.append(route))  # never answered
        box = page.locator(".pb-input")
        box.fill(SV_QUESTION)
        box.press("Enter")
        page.locator(".pb-thinking").wait_for()
        error = page.locator(".pb-error")
        error.wait_for(timeout=(WIDGET_TIMEOUT_S + 15) * 1000)
        assert UI["sv"]["timeout"].format(seconds=WIDGET_TIMEOUT_S) in error.inner_text()
        assert page.locator(".pb-thinking").count() == 0 and box.input_value() == SV_QUESTION
        assert error.locator(".pb-retry").is_visible() and held
        shot(page, "widget-timeout")


# ------------------------------------------------------------------------------------------------ /embed


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_embed_page(browser, servers, size):
    with opened(browser, size, locale="da-DK") as page:
        page.goto(f"{servers['base']}/embed")
        page.locator(".pb-panel .pb-welcome").wait_for()
        assert page.evaluate("document.documentElement.lang") == "da"  # from the browser, not a parameter
        assert page.locator(".pb-launcher").count() == 0 and page.locator(".pb-close").count() == 0
        assert_accessible(page, f"/embed open {size}")
        reply = widget_ask(page, DA_QUESTION, 0)
        reply.locator(".pb-sources").wait_for()
        reply.locator(".pb-vote-down").click()
        reply.locator(".pb-vote-thanks").wait_for()
        assert json.loads(servers["feedback"].read_text(encoding="utf-8").splitlines()[-1])["vote"] == "down"
        assert_accessible(page, f"/embed answered {size}")
        shot(page, f"embed-answer-{size}")
        widget_ask(page, RED_FLAG, 1)
        wait_in_view(page, ".pb-pinned .pb-number")
        assert_accessible(page, f"/embed emergency {size}")
        shot(page, f"embed-emergency-{size}")


def test_embed_in_an_iframe_allowed_and_refused(browser, servers):
    with opened(browser) as page:
        page.goto(f"{servers['site']}/embed.html")
        frame = page.frame_locator("iframe")
        frame.locator(".pb-panel .pb-welcome").wait_for()
        assert_accessible(page, "/embed in an iframe")
        shot(page, "embed-iframe-allowed")
    with opened(browser) as page:
        page.goto(f"{servers['refused']}/frame.html")
        refused = page.frame_locator("iframe").locator(".pb-refused")
        refused.wait_for()
        text = refused.inner_text()
        assert servers["refused"] in text and "PAINBOT_ALLOWED_ORIGINS" in text
        assert refused.locator(".pb-number").first.get_attribute("href") == "tel:112"
        assert page.frame_locator("iframe").locator(".pb-panel").count() == 0
        shot(page, "embed-iframe-refused")



def test_embed_shows_a_translated_quote_with_its_original(browser, servers):
    """The reply's shape as the API gives it, with a quote translated from Danish (the translations are
    another part's data; here the widget's rendering of them is under test)."""
    quote = {"n": 1, "text": "Take a <b>walk</b> every day.", "language": "en", "role": "answer",
             "doc_id": "da-iskias", "unit_id": "", "original": "Gå en tur hver dag.", "translated_from": "da"}
    citation = {"n": 1, "doc_id": "da-iskias", "title": "Iskiassmerter", "publisher": "Smertefribevægelse",
                "section": "Behandling", "source": "Smertefribevægelse", "language": "da", "score": 0.9,
                "text": "Gå en tur hver dag."}
    reply = {"language": "en", "kind": "answer", "text": "From my sources:\n\n> Take a walk every day. [1]",
             "red_flag": None, "abstained": False, "citations": [citation], "quotes": [quote], "latency_ms": 1.0}
    with opened(browser, locale="en-GB") as page:
        page.route(f"{servers['base']}/api/chat", lambda route: route.fulfill(json=reply))
        page.goto(f"{servers['base']}/embed")
        page.locator(".pb-panel .pb-welcome").wait_for()
        answer = widget_ask(page, "What helps sciatica?", 0)
        answer.locator(".pb-sources > summary").click()
        label = answer.locator(".pb-translated")
        assert label.inner_text() == UI["en"]["translated_from"].format(language="Dansk")
        assert answer.locator(".pb-quote[lang=en]").first.inner_text() == quote["text"]  # markup shown as text
        original = answer.locator(".pb-original")
        assert not original.locator(".pb-quote").is_visible()
        original.locator("summary").click()
        shown = original.locator(".pb-quote[lang=da]")
        shown.wait_for()
        assert shown.inner_text() == quote["original"]
        href = answer.locator(".pb-source-view").get_attribute("href")
        assert href.startswith(f"{servers['base']}/source/da-iskias?q=G%C3%A5+en+tur")
        assert_accessible(page, "/embed translated quote")
        shot(page, "embed-translated-quote")
