"""The field app's first load on a phone: `/m/` page weight (the page and every asset, as sent over the wire) and
time to interactive (the map drawn with my places) in headless Chromium at 390×844, cold; then a second load, which
the service worker answers from its cache. Baseline in the same run: the leaders' home page `/maps/`, cold.

    python -m bench.field_app [--scale small] [--repeat 5]
"""

from __future__ import annotations

import secrets
import shutil
import statistics
import sys

from sqlalchemy import text

from bench.common import console, parser, prepare
from bench.tiles import _port, _server
from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM

PASSWORD = "Bench-field-app-2026"


def _account() -> str:
    """A street chief's account linked to the person holding the most streets (the one of an earlier run)."""
    with transaction() as s:
        earlier = s.execute(text("SELECT login FROM users WHERE login LIKE 'bench-field-%' ORDER BY id LIMIT 1"))
        login = earlier.scalar()
        if login:
            return login
        person, region = s.execute(text(
            "SELECT a.person_id, p.region_code FROM assignments_on(current_date) a JOIN people p ON p.id = a.person_id "
            "WHERE a.person_id IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC, 1 LIMIT 1")).one()
        login = f"bench-field-{secrets.token_hex(3)}"
        users.create(s, SYSTEM, login=login, display_name="基准测试街长", role="street_chief", region_code=region,
                     person_id=person, password=PASSWORD, must_change_password=False)
    return login


def _load(browser, base: str, login: str, path: str, ready: str, warm: bool) -> tuple[float, int, int]:
    """(ms to ready, bytes over the network, requests) for one load of `path`; `warm` loads it once before."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  geolocation={"latitude": 34.65, "longitude": 115.15}, permissions=["geolocation"])
    page = context.new_page()
    page.goto(f"{base}/login?next={path}")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}{path}")
    page.wait_for_function(ready, timeout=30_000)
    if warm:
        page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null",
                               timeout=30_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if not warm:
        cdp.send("Network.clearBrowserCache")
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.evaluate("performance.clearResourceTimings()")
    page.goto(f"{base}{path}")
    page.wait_for_function(ready, timeout=30_000)
    took = page.evaluate("performance.now()")
    context.close()
    return took, sum(sizes.values()), len(sizes)


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Debian's chromium is needed (make browser)")
    prepare(args.scale, None)
    login = _account()
    port = _port()
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
           "--log-level", "warning"]
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    field_ready = "document.querySelector('#m-places-count') && document.querySelector('#m-places-count').textContent"
    home_ready = "document.body.dataset.ccgridReady === '1' || !!document.querySelector('.ccg-cards, .ccg-main h1')"
    with _server(cmd, {}, f"{base}/healthz"), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        runs = {name: [_load(browser, base, login, path, ready, warm) for _ in range(args.repeat)]
                for name, path, ready, warm in [("/m/ cold", "/m/", field_ready, False),
                                                ("/m/ again (service worker)", "/m/", field_ready, True),
                                                ("/maps/ cold (baseline)", "/maps/", home_ready, False)]}
        browser.close()
    base_ms = statistics.median(r[0] for r in runs["/maps/ cold (baseline)"])
    console.print(f"[bold]field app[/bold] ({args.scale}, {args.repeat} runs each, median)")
    console.print("| load | ready | × baseline | over the network | requests |")
    console.print("|---|---|---|---|---|")
    for name, rows in runs.items():
        ms_ = statistics.median(r[0] for r in rows)
        kb = statistics.median(r[1] for r in rows) / 1024
        n = statistics.median(r[2] for r in rows)
        console.print(f"| {name} | {ms_:,.0f} ms | {ms_ / base_ms:.2f} | {kb:,.1f} KB | {n:.0f} |")


if __name__ == "__main__":
    main()
