"""The incident page in a real browser (headless system Chromium driven by Playwright).

Skipped with one line when Chromium is missing (see conftest); CI installs it and requires it.
Screenshots at phone and desktop widths are kept under one temporary folder, printed at the end.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, REQUIRE_CHROMIUM, chromium_available, make_console
from tests.page_site import TITLE, give_link, incident, page_app, serving
from tests.scenarios import script_lines

SHOTS = Path(tempfile.gettempdir()) / "breachbot-page-screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LIVE_WAIT = 10_000  # ms: the page asks every 2 s


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not chromium_available():
        if REQUIRE_CHROMIUM:
            pytest.fail(f"Chromium is required in CI but missing at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture
def page_of(browser) -> Iterator[object]:
    """A fresh page (desktop width) that fails the test on any script error or dialog."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    # A 403 or 204 is logged by the browser as a failed resource: expected here, not a script error.
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    yield page
    context.close()
    assert errors == []


def test_a_link_shows_br1_live_as_the_console_runs_the_scripted_incident(sqlite_engine, page_of):
    from playwright.sync_api import expect

    console = make_console(sqlite_engine)
    lines = script_lines()
    out = io.StringIO()
    console.line(lines[0], out=out)  # alice declares BR-1 and leads it
    console.say("alice", "/breach affected CN=40", "breach-1")  # so the legal clocks run
    link = give_link(console, "--for", "partner", user="alice")
    with serving(page_app(console)) as base:
        page = page_of
        page.goto(base + link)
        expect(page.locator("#head h1")).to_contain_text(lines[0].split("declare ")[1].split(" --")[0])
        expect(page.locator("#head")).to_contain_text("Lead: alice")
        expect(page.locator("#head")).to_contain_text("Phase 1/10 · Immediate response")
        expect(page.locator("#due .countdown").first).to_have_text("59m left", timeout=LIVE_WAIT)
        expect(page.locator("#clocks")).to_contain_text("PIPL: personal information leak")
        expect(page.locator("#clocks .countdown").first).to_have_text("23h 59m left")
        page.evaluate("window.stillTheSamePage = true")  # gone if the browser reloads
        for raw in lines[1:]:
            console.line(raw, out=out)
            if "/breach decision" in raw:
                expect(page.locator("#timeline-list li").first).to_contain_text("Take the file share offline",
                                                                              timeout=LIVE_WAIT)
                expect(page.locator("#timeline-list li").first).to_contain_text("decision")
            if raw.endswith("/breach phase next"):
                expect(page.locator("#head")).to_contain_text("Phase 2/10", timeout=LIVE_WAIT)
        expect(page.locator("#head .pill.status")).to_have_text("closed", timeout=LIVE_WAIT)
        expect(page.locator("#team")).to_contain_text("bob")
        expect(page.locator("#clocks")).to_contain_text("PIPL")
        assert page.evaluate("window.stillTheSamePage") is True
        # The timeline filters by kind and searches, without asking the server.
        page.select_option("#kind-filter", "decision")
        expect(page.locator("#timeline-list li:visible")).to_have_count(1)
        page.select_option("#kind-filter", "")
        page.fill("#search", "outside IP")
        expect(page.locator("#timeline-list li:visible")).to_have_count(1)
        expect(page.locator("#response-1 h2")).to_have_text("Costs of the response and reputational impact")
        expect(page.locator("#response-5 h2")).to_have_text("Client satisfaction")
        # The switch shows the same incident in Chinese, every section in Chinese.
        page.click(".lang-switch")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("#clocks h2")).to_have_text("法定通报时限")
        expect(page.locator("#response-1 h2")).to_have_text("处置费用与声誉影响")
        expect(page.locator("#response-3 h2")).to_have_text("媒体应对")
        expect(page.locator(".lang-switch")).to_have_text("English")


def test_the_report_downloads_from_the_page(sqlite_engine, page_of):
    console = incident(sqlite_engine)
    with serving(page_app(console)) as base:
        page = page_of
        page.goto(base + give_link(console))
        with page.expect_download() as pdf:
            page.click("#downloads a:has-text('Report (PDF)')")
        assert pdf.value.suggested_filename == "BR-1-report-en.pdf"
        assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
        with page.expect_download() as md:
            page.click("#downloads a:has-text('Report (Markdown)')")
        assert TITLE in Path(md.value.path()).read_text(encoding="utf-8")


def test_expired_tampered_and_revoked_links_are_refused(sqlite_engine, page_of):
    from playwright.sync_api import expect

    console = incident(sqlite_engine)
    short = give_link(console, "--hours", "1")
    kept = give_link(console)
    with serving(page_app(console)) as base:
        page = page_of
        response = page.goto(base + short[:-2] + ("xx" if not short.endswith("xx") else "yy"))
        assert response.status == 403
        expect(page.locator("h1").first).to_have_text("This link does not open anything")
        console.bot.advance(console.clock.now() + timedelta(hours=1))
        assert page.goto(base + short).status == 403
        assert page.goto(base + kept).status == 200
        console.say("carol", "/breach link revoke L-2", "breach-1")
        # The open page notices at its next update and shows the refusal instead of the incident.
        expect(page.locator("main.forbidden")).to_be_visible(timeout=LIVE_WAIT)
        assert page.goto(base + kept).status == 403


def test_script_in_user_text_is_shown_as_text(sqlite_engine, page_of):
    from playwright.sync_api import expect

    console = incident(sqlite_engine, title="Leak <script>alert('title')</script>")
    console.say("carol", "/breach decision <img src=x onerror=alert('decision')> go", "breach-1")
    with serving(page_app(console)) as base:
        page = page_of
        page.goto(base + give_link(console))
        expect(page.locator("#head h1")).to_contain_text("Leak <script>alert('title')</script>")
        expect(page.locator("#timeline-list")).to_contain_text("<img src=x onerror=alert('decision')> go")
        assert page.locator("#head script, #timeline-list img").count() == 0
    # page_of fails the test if any alert() ran


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screenshots_at_phone_and_desktop_widths(sqlite_engine, browser, lang, capsys):
    console = incident(sqlite_engine, lang=lang)
    for typed in ("/breach decision Take the share offline and rotate the service account password",
                  "/breach done 1 2 3", "/breach phase next", "/breach draft client",
                  "/breach followup Review file share permissions --owner @dave --due +14d",
                  "/breach cost 12000 forensics outside examiner", "/breach media Caixin When will clients be told?"):
        console.say("carol", typed, "breach-1")
    console.bot.advance(console.clock.now() + timedelta(hours=2))
    link = give_link(console, "--for", "insurer")
    SHOTS.mkdir(exist_ok=True)
    with serving(page_app(console, lang=lang)) as base:
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            page.goto(base + link)
            page.locator("#due .countdown").first.wait_for()
            assert page.locator("#response-1").is_visible() and page.locator("#response-3").is_visible()
            path = SHOTS / f"incident-{lang}-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            context.close()
            assert path.stat().st_size > 10_000
            assert width <= viewport["width"], f"{name}: the page scrolls sideways ({width}px)"
    with capsys.disabled():
        print(f"\nincident page screenshots: {SHOTS}")


def test_a_client_answers_the_survey_in_the_browser(sqlite_engine, tmp_path, browser):
    """The survey form under the strict CSP: chosen scores and a comment go in, the thanks come back."""
    from playwright.sync_api import expect

    from tests.test_survey_link import _app, _closed_with_survey, _incident, _letters, _links

    console = _closed_with_survey(sqlite_engine, tmp_path)
    link = _links(_letters(console))["Bo Chen"]  # a zh client: the form is in Chinese
    SHOTS.mkdir(exist_ok=True)
    with serving(_app(console)) as base:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        blocked: list[str] = []
        page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
        page.goto(base + link)
        expect(page.locator("h1")).to_have_text("请评价我们的处理")
        page.click("button[type=submit]")  # nothing chosen: said, nothing recorded
        expect(page.locator("#error")).to_contain_text("请至少为一个问题选择 1 至 5 分")
        for question, score in (("q1", "5"), ("q2", "3"), ("q3", "4")):
            page.check(f"input[name={question}][value='{score}']")
        page.fill("textarea[name=q4]", "<script>alert(1)</script> 希望更早通知")
        page.screenshot(path=str(SHOTS / "survey-zh-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.click("button[type=submit]")
        expect(page.locator("#thanks")).to_have_text("谢谢！您的意见已记录。")
        context.close()
    assert blocked == []
    [entry] = _incident(console).facts["feedback"]
    assert (entry["name"], entry["score"], entry["comment"]) == ("B* Ch**", 4, "<script>alert(1)</script> 希望更早通知")
