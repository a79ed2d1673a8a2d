"""Real headless Chromium (Debian's) against the real server: the Gradio page, the widget on another
origin, /embed, and HTML injection shown as text. Screenshots go to test-output/screenshots/.

Without Chromium or Playwright these tests skip, except under CI=true, where that is a failure."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from live_server import ROOT, painbot_server, static_server

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
REPLY_TIMEOUT_MS = 30_000
XSS = "<img src=x onerror=alert(1)>"
DA_QUESTION = "Hvad kan man selv gøre for at få det bedre med iskias?"
SV_QUESTION = "Hur ska jag träna när hälsenan gör ont?"
RED_FLAG = "Jeg har mistet følelsen i skridtet og kan ikke tisse, og det stråler ned i benet"


def require(ok: bool, reason: str) -> None:
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: browser tests may not be skipped)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (pip install playwright)")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(Path(chromium).exists(), "Debian chromium is missing (apt-get install chromium chromium-driver)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def servers(browser, settings, index, tmp_path_factory):
    """painbot, plus a second origin (python -m http.server) that is allowed to use its API."""
    logs = tmp_path_factory.mktemp("browser-servers")
    site_dir = tmp_path_factory.mktemp("clinic-site")
    feedback = logs / "feedback.jsonl"
    with static_server(site_dir, logs) as site:
        env = {"PAINBOT_ALLOWED_ORIGINS": site, "PAINBOT_FEEDBACK": str(feedback), "PAINBOT_UI_LANG": "sv"}
        with painbot_server(settings, logs, env) as base:
            (site_dir / "index.html").write_text(
                '<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Klinik</title></head>'
                "<body>"
                "<h1>Kliniken</h1><p>Vår mottagning.</p><a href='#'>Kontakt</a>"
                f'<script src="{base}/widget.js" data-lang="sv" data-title="Fråga kliniken"></script>'
                "</body></html>",
                encoding="utf-8",
            )
            yield {"base": base, "site": site, "feedback": feedback}


@pytest.fixture
def page(browser):
    """A fresh page that records every JavaScript dialog (an alert() would mean injected script ran)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    pg.dialogs = []

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()


def gradio_ask(page, message: str):
    box = page.locator("#pb-input textarea")
    box.fill(message)
    box.press("Enter")
    bot = page.locator("[data-testid='bot']")
    bot.last.locator(".pb-lang").wait_for(timeout=REPLY_TIMEOUT_MS)
    return bot.last


def open_gradio(page, base: str, lang: str = "da") -> None:
    page.goto(f"{base}/?lang={lang}")
    page.locator("#pb-input textarea").wait_for()


def test_gradio_danish_answer_with_sources_and_feedback(page, servers):
    open_gradio(page, servers["base"])
    page.get_by_label("Dit spørgsmål").wait_for()  # the UI strings follow ?lang=da
    message = gradio_ask(page, DA_QUESTION)
    assert "Svarets sprog: Dansk" in message.inner_text()
    sources = message.locator("details.pb-sources")
    assert sources.locator("summary").inner_text().startswith("Kilder")
    sources.locator("summary").click()
    quote = sources.locator(".pb-quote").first
    quote.wait_for()
    assert quote.inner_text().strip()
    sources.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=SCREENSHOTS / "gradio-danish-answer.png", full_page=True)

    page.locator("#pb-chat").get_by_role("button", name="Like", exact=True).last.click()
    page.get_by_text("Tak for din tilbagemelding!").wait_for()
    record = json.loads(servers["feedback"].read_text(encoding="utf-8").splitlines()[-1])
    assert record["vote"] == "up" and record["message"] == DA_QUESTION and record["kind"] == "answer"
    assert "da-iskias" in record["doc_ids"]
    assert set(record) == {"timestamp", "message", "kind", "doc_ids", "vote"}


def test_gradio_red_flag_shows_emergency_block(page, servers):
    open_gradio(page, servers["base"])
    message = gradio_ask(page, RED_FLAG)
    block = message.locator(".pb-emergency")
    block.wait_for()
    assert block.get_attribute("role") == "alert"
    numbers = block.locator(".pb-number")
    assert "112" in numbers.all_inner_texts()
    assert numbers.first.get_attribute("href") == "tel:112"
    size = float(numbers.first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    body = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
    assert size >= 1.5 * body  # the number is large
    assert message.locator("details.pb-sources").count() == 0
    block.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=SCREENSHOTS / "gradio-redflag.png", full_page=True)


def test_gradio_shows_html_as_text(page, servers):
    open_gradio(page, servers["base"])
    gradio_ask(page, f"Ondt i hælen {XSS} <b>fed</b>")
    user = page.locator("[data-testid='user']").last
    assert XSS in user.inner_text() and "<b>fed</b>" in user.inner_text()
    assert page.locator("[data-testid='user'] img, [data-testid='user'] b").count() == 0
    page.wait_for_timeout(500)  # give a broken image's onerror time to fire
    assert page.dialogs == []
    page.screenshot(path=SCREENSHOTS / "gradio-html-as-text.png", full_page=True)
    # Control: the same markup through innerHTML does fire, so the listener above would have seen it.
    page.evaluate(f"document.body.insertAdjacentHTML('beforeend', {json.dumps(XSS)})")
    page.wait_for_timeout(500)
    assert page.dialogs == ["1"]


def test_gradio_fits_a_phone(browser, servers):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_gradio(page, servers["base"], "sv")
        gradio_ask(page, SV_QUESTION).locator("details.pb-sources").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=SCREENSHOTS / "gradio-phone.png")
    finally:
        context.close()


def shadow_active_class(page) -> str:
    return page.evaluate("document.querySelector('[id^=painbot-]').shadowRoot.activeElement?.className ?? ''")


def test_widget_on_another_origin(page, servers):
    page.goto(f"{servers['site']}/index.html")
    launcher = page.locator(".pb-launcher")
    launcher.wait_for()
    assert launcher.get_attribute("aria-label") == "Öppna chatten om smärta i ben och fot"
    assert launcher.get_attribute("aria-expanded") == "false"
    # Keyboard only: open, type, send, read, close.
    launcher.focus()
    page.keyboard.press("Enter")
    panel = page.locator(".pb-panel")
    panel.wait_for()
    assert panel.get_attribute("role") == "dialog"
    assert page.locator(".pb-title").inner_text() == "Fråga kliniken"
    assert shadow_active_class(page) == "pb-input"
    page.keyboard.type(SV_QUESTION)
    page.keyboard.press("Enter")
    reply = page.locator(".pb-bot").last
    reply.locator(".pb-sources").wait_for(timeout=REPLY_TIMEOUT_MS)
    assert "Språk i svaret: Svenska" in reply.inner_text()
    live = page.locator("[aria-live=polite]")
    assert live.inner_text().startswith("painbot:")
    reply.locator("summary").click()
    assert reply.locator(".pb-citation").count() >= 1 and reply.locator(".pb-quote").first.inner_text()
    reply.locator("summary").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=SCREENSHOTS / "widget-cited-answer.png")
    page.keyboard.press("Escape")
    assert panel.is_hidden() and shadow_active_class(page) == "pb-launcher"
    assert launcher.get_attribute("aria-expanded") == "false"


def test_widget_shows_emergency_and_html_as_text(page, servers):
    page.goto(f"{servers['site']}/index.html")
    page.locator(".pb-launcher").click()
    box = page.locator(".pb-input")
    box.fill(f"Hälsena {XSS}")
    box.press("Enter")
    page.locator(".pb-bot").first.wait_for(timeout=REPLY_TIMEOUT_MS)
    user = page.locator(".pb-user").last
    assert XSS in user.inner_text()
    assert page.locator(".pb-log img").count() == 0
    user.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "widget-html-as-text.png")
    box.fill(RED_FLAG)
    box.press("Enter")
    emergency = page.locator(".pb-bot").nth(1).locator(".pb-emergency")
    emergency.wait_for(timeout=REPLY_TIMEOUT_MS)
    assert "112" in emergency.locator(".pb-number").all_inner_texts()
    page.wait_for_timeout(500)
    assert page.dialogs == []
    page.screenshot(path=SCREENSHOTS / "widget-emergency.png")


def test_refused_origin_cannot_use_the_api(page, servers):
    """A page on an origin that is not allowed: the browser blocks its calls, so no widget appears."""
    page.route(
        "http://not-allowed.test/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<!doctype html><script src="{servers["base"]}/widget.js" data-lang="sv"></script>',
        ),
    )
    page.goto("http://not-allowed.test/")
    outcome = page.evaluate(
        """base => fetch(base + '/api/chat', {method: 'POST', headers: {'Content-Type': 'application/json'},
                     body: JSON.stringify({message: 'hej'})}).then(() => 'allowed', () => 'blocked')""",
        servers["base"],
    )
    assert outcome == "blocked"
    page.wait_for_timeout(500)
    assert page.locator(".pb-launcher").count() == 0


def test_embed_page(page, servers):
    page.goto(f"{servers['base']}/embed?lang=da")
    panel = page.locator(".pb-panel")
    panel.wait_for()
    assert page.locator(".pb-launcher").count() == 0 and page.locator(".pb-close").count() == 0
    box = page.locator(".pb-input")
    box.fill(DA_QUESTION)
    box.press("Enter")
    page.locator(".pb-bot .pb-sources").wait_for(timeout=REPLY_TIMEOUT_MS)
    page.screenshot(path=SCREENSHOTS / "embed-page.png")
