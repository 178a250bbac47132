"""/docs and /redoc in headless Chromium with no other host reachable: Swagger UI and ReDoc come from the package,
the operations render, and "Authorize" knows the bearer scheme."""

import shutil
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium is not installed (make setup)")


@pytest.fixture(scope="module")
def offline_page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        own = urlsplit(server).netloc
        # Anything for another host fails, as it would on a network without internet.
        page.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).netloc == own
                   else route.abort())
        yield page, requests, own
        browser.close()


def test_swagger_ui_renders_every_operation_offline(offline_page, server, client):
    page, requests, own = offline_page
    requests.clear()
    page.goto(f"{server}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    operations = sum(len(ops) for ops in client.app.openapi()["paths"].values())
    assert page.locator(".opblock").count() == operations
    assert page.locator("button.authorize").count() == 1
    page.click("button.authorize")
    assert page.locator(".auth-container", has_text="bearer").count() >= 1
    assert {urlsplit(u).netloc for u in requests if not u.startswith("data:")} == {own}


def test_redoc_renders_offline(offline_page, server):
    page, requests, own = offline_page
    requests.clear()
    page.goto(f"{server}/redoc")
    page.wait_for_selector("[data-section-id^='operation/']", state="attached", timeout=30_000)
    assert page.locator("[data-section-id^='operation/']").count() >= 25
    assert {urlsplit(u).netloc for u in requests if not u.startswith("data:")} == {own}


def test_the_schema_declares_the_bearer_scheme(client):
    schema = client.app.openapi()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "API token (`ccgrid token create`, starts with ccg_)"}
    assert {"bearer": []} in schema["paths"]["/api/v1/problems"]["post"]["security"]
    assert "security" not in schema["paths"]["/healthz"]["get"]
