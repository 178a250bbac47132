"""What the browser tests share: Debian's chromium (driven by Playwright, never `playwright install`), an account
with a password, and logging in through the form as a person does."""

from __future__ import annotations

import shutil

import pytest

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed (make setup)")


def account(login: str, role: str, password: str, *, name: str = "浏览器测试", region: str | None = None) -> dict:
    """An account that may log in at once (no forced password change); its row as users.create answers it."""
    with transaction() as s:
        return users.create(s, SYSTEM, login=login, display_name=name, role=role, region_code=region,
                            password=password, must_change_password=False)


def log_in(page, server: str, login: str, password: str, path: str, *, wait: bool = True) -> None:
    """Open `path` without a session (the page sends the browser to the form), log in there and, with `wait`,
    land back on `path`."""
    page.goto(f"{server}{path}")
    assert "/login" in page.url
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit] >> nth=0")
    if wait:
        page.wait_for_url(f"{server}{path}")
