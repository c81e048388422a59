"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Never downloads a browser: Chromium is launched from /usr/bin/chromium (tests/services.py decides skip or fail).
"""

import os
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.services import require_chromium

SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 820, "height": 1180}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls of the test itself are still
    # plain synchronous code, so Django's "you are in async code" guard is lifted for these modules only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=executable, args=["--headless", "--no-sandbox"])
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageProblems:
    """What went wrong in the pages of one test: script errors, console errors, and API answers of 4xx/5xx.

    A browser logs every refused request as a console error ("Failed to load resource"); those are kept apart as
    `refusals`, which a test that provokes a refusal (a 409 on a drop) checks and clears; any other fails the test.
    """

    def __init__(self):
        self.errors: list[str] = []
        self.refusals: list[str] = []

    def watch(self, page):
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on(
            "console",
            lambda message: message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and self.errors.append(f"console: {message.text}"),
        )
        page.on(
            "response",
            lambda response: response.status >= 400
            and "/api/" in response.url
            and (self.errors if response.status >= 500 else self.refusals).append(f"{response.status} {response.url}"),
        )


@pytest.fixture
def clinic_daytime():
    """The server's clock (this process: the live server is a thread of it) and every page's clock at 13:00 London
    time today, ticking from there: the desk's times (check-in opens 2 hours before the start, no-show and complete
    from the start) then hold whatever time of day the suite runs, midnight included."""
    instant = datetime.combine(datetime.now(ZoneInfo("Europe/London")).date(), time(13), ZoneInfo("Europe/London"))
    with time_machine.travel(instant, tick=True):
        yield


@pytest.fixture
def page_problems():
    return PageProblems()


@pytest.fixture
def new_page(browser, live_server, request, page_problems):
    """Open a fresh browser context (its own cookies: one person at one desk); screenshot each page at the end.

    Every test using it fails on a script error, a console error or a 5xx from the API."""
    contexts = []

    def open_page(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        if "clinic_daytime" in request.fixturenames:
            page.clock.install(time=datetime.now(UTC))
        page_problems.watch(page)
        return page

    yield open_page
    SCREENSHOTS.mkdir(exist_ok=True)
    for number, context in enumerate(contexts, start=1):
        for page in context.pages:
            suffix = "" if number == 1 else f"-{number}"
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}{suffix}.png"), full_page=True)
        context.close()
    assert page_problems.errors == [], page_problems.errors
    assert page_problems.refusals == [], f"requests the desk should not have made: {page_problems.refusals}"


def log_in(page, username: str, password: str, path: str = "/desk/"):
    """Log in through the real login form and wait until the page script has loaded its data."""
    page.goto(path)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("body[data-ready=true]")
