"""The browser the page tests share: one headless Debian chromium per test module (never `playwright install`)."""

import pytest

from tests.maps.browser import CHROMIUM


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()
