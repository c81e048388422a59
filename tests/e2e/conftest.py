"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Never downloads a browser: Chromium is launched from /usr/bin/chromium (tests/services.py decides skip or fail).
"""

import os
from pathlib import Path

import pytest

from tests.services import require_chromium

SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
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


@pytest.fixture
def new_page(browser, live_server, request):
    """Open a fresh browser context (its own cookies: one person at one desk); screenshot each page at the end."""
    contexts = []

    def open_page(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    SCREENSHOTS.mkdir(exist_ok=True)
    for number, context in enumerate(contexts, start=1):
        for page in context.pages:
            suffix = "" if number == 1 else f"-{number}"
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}{suffix}.png"), full_page=True)
        context.close()


def log_in(page, username: str, password: str, path: str = "/desk/"):
    """Log in through the real login form and wait until the page script has loaded its data."""
    page.goto(path)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("body[data-ready=true]")
