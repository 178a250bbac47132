"""Every page a user opens, as the user's browser sees it: headless Chromium opens each page cold (browser cache
cleared, logged in), N times, and prints per page the time until it is ready (its data drawn: a map page's
`ccgrid:ready` mark, a server-rendered page's load event), the bytes over the network, the number of requests
and the slowest API call behind it; p50 and p95 against the targets (ready < 1.0 s p50, < 2 s p95). Baseline in
the same run: /healthz fetched by the same browser (what a round trip costs here).

With `--under-load N` every page is then opened again while bench.load's N clients (intake, locate, heatmap,
tiles) load the same server, and the p50 under load is printed against its target (< 2 s); the load's own
figures follow, and its reports are deleted afterwards (`bench.load --forget`). Browser, server, database and load
share the machine's cores.

    python -m bench.pages [--scale small|city] [--reports N] [--repeat 5] [--under-load 50] [--workers 1]
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time

from sqlalchemy import text

from bench.common import console, parser, prepare
from bench.tiles import _port, _server
from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM

PASSWORD = "Bench-pages-2026-x"
MAP_READY = "!!document.body && document.body.dataset.ccgridReady === '1'"
LOADED = "document.readyState === 'complete'"
# The 大屏 marks ccgrid:ready once its numbers, charts and heatmap are drawn.
SCREEN_READY = "performance.getEntriesByName('ccgrid:ready').length > 0"
FIELD_READY = "!!(document.querySelector('#m-places-count') && document.querySelector('#m-places-count').textContent)"
TARGET_P50_MS, TARGET_P95_MS = 1000, 2000
TARGET_LOADED_P50_MS = 2000


def _accounts() -> tuple[str, str, int]:
    """(an admin's login, a street chief's login, the person with the most open problems), made once."""
    with transaction() as s:
        found = s.execute(text("SELECT login, role FROM users WHERE login LIKE 'bench-pages-%'")).all()
        have = {role: login for login, role in found}
        busiest = s.execute(text(
            "SELECT a.person_id FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id "
            "WHERE a.person_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        if "admin" not in have:
            have["admin"] = f"bench-pages-{secrets.token_hex(3)}"
            users.create(s, SYSTEM, login=have["admin"], display_name="基准测试管理员", role="admin",
                         password=PASSWORD, must_change_password=False)
        if "street_chief" not in have:
            person, region = s.execute(text(
                "SELECT a.person_id, p.region_code FROM assignments_on(current_date) a "
                "JOIN people p ON p.id = a.person_id WHERE a.person_id IS NOT NULL GROUP BY 1, 2 "
                "ORDER BY count(*) DESC, 1 LIMIT 1")).one()
            have["street_chief"] = f"bench-pages-{secrets.token_hex(3)}"
            users.create(s, SYSTEM, login=have["street_chief"], display_name="基准测试街长", role="street_chief",
                         region_code=region, person_id=person, password=PASSWORD, must_change_password=False)
    return have["admin"], have["street_chief"], busiest


def _context(browser, base: str, login: str, phone: bool):
    size = {"width": 390, "height": 844} if phone else {"width": 1440, "height": 900}
    # No service worker: the field app's would answer its assets from its cache, and this is the first visit.
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone, locale="zh-CN",
                                  geolocation={"latitude": 34.65, "longitude": 115.15}, permissions=["geolocation"],
                                  service_workers="block")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("load")
    return context, page


def _open(context, page, base: str, path: str, ready: str) -> tuple[float, int, int, float, str]:
    """(ms to ready, bytes over the network, requests, slowest API ms, its path) for one cold load of `path`."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.goto("about:blank")
    page.goto(f"{base}{path}", wait_until="commit")
    page.wait_for_function(ready, timeout=120_000)
    took = page.evaluate("performance.getEntriesByName('ccgrid:ready')[0]?.startTime"
                         " ?? (performance.getEntriesByType('navigation')[0]?.loadEventEnd || performance.now())")
    api = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((r) => new URL(r.name).pathname.startsWith('/api/') || r.name.includes('/tiles/'))
        .map((r) => [r.duration, new URL(r.name).pathname]).sort((a, b) => b[0] - a[0])[0] || [0, '']""")
    cdp.detach()
    return took, sum(sizes.values()), len(sizes), api[0], api[1]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _load(base: str, clients: int) -> subprocess.Popen:
    """bench.load's clients against the running server at `base`, until interrupted; started once they run."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.load", "--base", base, "--clients", str(clients),
                             "--seconds", "0", "--forget"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "COLUMNS": "200"})
    for line in proc.stdout:  # its first line comes when the clients start
        if line.startswith("load"):
            break
    else:
        sys.exit("bench.load did not start: " + (proc.stdout.read() if proc.stdout else ""))
    time.sleep(5)  # let the queues fill
    return proc


def _measure(browser, base: str, pages: list, repeat: int) -> dict[str, list]:
    results = {}
    for name, login, path, ready, phone in pages:
        context, page = _context(browser, base, login, phone)
        _open(context, page, base, path, ready)  # the server's first visit of this page: plans, caches
        results[name] = [_open(context, page, base, path, ready) for _ in range(repeat)]
        context.close()
    return results


def _pages(admin: str, chief: str, busiest: int) -> list[tuple]:
    """Every page a person opens: (name, login, path, ready expression, phone)."""
    return [("/healthz (baseline)", admin, "/healthz", LOADED, False),
             ("首页 /maps/", admin, "/maps/", LOADED, False),
             ("热力图 /maps/heatmap", admin, "/maps/heatmap", MAP_READY, False),
             ("热力图 (phone)", admin, "/maps/heatmap", MAP_READY, True),
             ("覆盖缺口 /maps/coverage", admin, "/maps/coverage", MAP_READY, False),
             ("覆盖缺口 (phone)", admin, "/maps/coverage", MAP_READY, True),
             ("责任人 /maps/owners", admin, "/maps/owners", MAP_READY, False),
             ("责任人 (phone)", admin, "/maps/owners", MAP_READY, True),
             ("大屏 /maps/screen", admin, "/maps/screen", SCREEN_READY, False),
             ("红黑榜 /maps/ranking", admin, "/maps/ranking", MAP_READY, False),
             ("问题台账 /maps/problems", admin, "/maps/problems", LOADED, False),
             ("通报约谈 /maps/escalations", admin, "/maps/escalations", LOADED, False),
             ("规则设置 /maps/rules", admin, "/maps/rules", LOADED, False),
             ("测评 /maps/rounds", admin, "/maps/rounds", LOADED, False),
             ("通报 /maps/notices", admin, "/maps/notices", LOADED, False),
             ("交办单 /maps/dispatches", admin, "/maps/dispatches", LOADED, False),
             ("负面清单 /maps/negative-list", admin, "/maps/negative-list", LOADED, False),
             ("督导单 (busiest person)", admin, f"/api/v1/supervision-sheet?person_id={busiest}&format=html",
              LOADED, False),
             ("外勤 /m/ (phone)", chief, "/m/", FIELD_READY, True)]


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.set_defaults(reports=None, repeat=5)
    ap.add_argument("--under-load", type=int, default=0, metavar="CLIENTS",
                    help="open every page again while bench.load's CLIENTS clients load the same server")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (as ccgrid serve --workers)")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Debian's chromium is needed (make browser)")
    prepare(args.scale, args.reports)
    admin, chief, busiest = _accounts()
    port = _port()
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
           "--log-level", "warning", "--workers", str(args.workers)]
    base = f"http://127.0.0.1:{port}"
    pages = _pages(admin, chief, busiest)
    from playwright.sync_api import sync_playwright

    loaded: dict[str, list] = {}
    load_report = ""
    with _server(cmd, {}, f"{base}/healthz"), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        results = _measure(browser, base, pages, args.repeat)
        if args.under_load:
            load = _load(base, args.under_load)
            try:
                loaded = _measure(browser, base, pages, args.repeat)
            finally:
                load.send_signal(signal.SIGINT)
                load_report = load.communicate(timeout=300)[0]
        browser.close()
    console.print(f"[bold]pages[/bold] ({args.scale}, {args.repeat} cold loads each, {args.workers} worker(s); "
                  f"target ready p50 < {TARGET_P50_MS} ms, p95 < {TARGET_P95_MS} ms"
                  + (f"; under {args.under_load} load clients p50 < {TARGET_LOADED_P50_MS} ms)" if loaded else ")"),
                  soft_wrap=True)
    head = "| page | ready p50 | ready p95 | target |"
    if loaded:
        head += f" p50 under load ({args.under_load}) | p95 under load | target |"
    head += " over the network | requests | slowest API call |"
    if loaded:
        head += " slowest API call under load |"
    console.print(head, soft_wrap=True)
    console.print("|---" * (head.count("|") - 1) + "|", soft_wrap=True)

    def slowest(rows: list) -> str:
        slow = max(rows, key=lambda r: r[3])
        return f"{slow[3]:,.0f} ms {slow[4]}" if slow[4] else "—"

    for name, rows in results.items():
        ready = [r[0] for r in rows]
        p50, p95 = statistics.median(ready), _pct(ready, 0.95)
        line = f"| {name} | {p50:,.0f} ms | {p95:,.0f} ms | "
        line += "met" if p50 < TARGET_P50_MS and p95 < TARGET_P95_MS else "missed"
        if loaded:
            busy = [r[0] for r in loaded[name]]
            lp50 = statistics.median(busy)
            line += (f" | {lp50:,.0f} ms | {_pct(busy, 0.95):,.0f} ms | "
                     + ("met" if lp50 < TARGET_LOADED_P50_MS else "missed"))
        kb = statistics.median(r[1] for r in rows) / 1024
        n = statistics.median(r[2] for r in rows)
        line += f" | {kb:,.1f} KB | {n:.0f} | {slowest(rows)} |"
        if loaded:
            line += f" {slowest(loaded[name])} |"
        console.print(line, soft_wrap=True)
    if load_report:
        console.print(load_report.rstrip(), soft_wrap=True, markup=False, highlight=False)


if __name__ == "__main__":
    main()
