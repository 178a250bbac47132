"""The 大屏 (/maps/screen) in headless Chromium at the wall's 1920×1080: a leader logs in through the form, the
charts (ECharts) hold the overview's data, the heatmap is drawn, every request stays on this host, names from the
database stay text, the page fits the screen (and a 1440×900 laptop's), and it draws itself again each minute
without reloading."""

from urllib.parse import urlsplit

import pytest
from shapely.geometry import box

from tests.crafted import put
from tests.maps.browser import CHROMIUM, account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Walls-of-the-command-centre"
EVIL = '<img src=x onerror="window.__xss=1">恶意街道'
WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    # A 街道 whose name is markup (in a district of its own, away from the demo's): the 街道 chart lists it (quiet
    # ones too), and its tooltip must not run it.
    put("regions", [({"code": "419952", "name": "大屏转义测试区"}, box(115.95, 35.95, 115.97, 35.97)),
                    ({"code": "419952001", "name": EVIL}, box(115.95, 35.95, 115.97, 35.97))])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def leader():
    return account("screen-leader", "city_office", PASSWORD, name="大屏测试")["login"]


def _open(browser, server, login, viewport, clock=False):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    if clock:
        page.clock.install()  # timers the test moves on: a minute passes without waiting for it
    log_in(page, server, login, PASSWORD, "/maps/screen")
    page.wait_for_function("document.body.dataset.screenReady === '1'", timeout=30_000)
    return page, requests


SERIES = """(id) => {
    const chart = echarts.getInstanceByDom(document.getElementById(id));
    return chart.getOption().series.map((s) => ({ name: s.name, type: s.type,
        total: s.data.reduce((a, d) => a + Number(d && d.value !== undefined ? d.value : d), 0), n: s.data.length }));
}"""


def test_the_wall_draws_its_charts_and_map_from_this_host_only(browser, server, leader):
    page, requests = _open(browser, server, leader, WALL)
    state = page.evaluate("() => ({ errors: CCGRID_SCREEN.errors, refreshes: CCGRID_SCREEN.refreshes, "
                          "data: CCGRID_SCREEN.data, drawn: CCGRID_STATE.drawn, xss: window.__xss || null })")
    assert state["errors"] == [] and state["refreshes"] == 1
    data = state["data"]
    trend = page.evaluate(SERIES, "chart-trend")
    assert [(s["name"], s["type"], s["n"]) for s in trend] == [("上报", "line", 30), ("销号", "line", 30)]
    assert trend[0]["total"] == sum(t["reported"] for t in data["trend"]) > 0
    assert trend[1]["total"] == sum(t["closed"] for t in data["trend"]) > 0
    for chart, rows in (("chart-categories", data["by_category"]), ("chart-areas", data["by_area"])):
        series = page.evaluate(SERIES, chart)
        assert [s["name"] for s in series] == ["已办结", "办理中", "已超期"]
        assert sum(s["total"] for s in series) == sum(r["reported"] for r in rows) > 0, chart
    # Today's numbers as the API gave them, large.
    assert page.locator("#kpi-open").text_content() == f"{data['open']:,}"
    assert page.locator("#kpi-overdue").text_content() == f"{data['overdue']:,}"
    assert page.locator("#kpi-today").text_content() == f"{data['today']['reported']:,}"
    assert float(page.eval_on_selector("#kpi-open", "e => parseFloat(getComputedStyle(e).fontSize)")) >= 48
    # The demo's 双月测评 in progress: its score rate on the gauge, its name and progress under it.
    assert not page.locator("#round-empty").is_visible()
    gauge = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-round')).getOption().series[0]"
                          ".data[0].value")
    assert gauge == pytest.approx(data["round"]["score_rate"], abs=0.1)
    note = page.locator("#round-note").text_content()
    assert data["round"]["name"] in note and f"/{data['round']['sampled']} 个点位" in note
    # The heatmap: maps.js's layer on the city's outlines, with its legend.
    assert state["drawn"].get("heat", 0) > 0 and state["drawn"].get("regions", 0) > 0
    assert page.locator("#scr-map .leaflet-overlay-pane path, #scr-map .leaflet-overlay-pane canvas").count() > 0
    assert "问题数" in page.locator("#scr-map .ccg-legend").text_content()
    # Every request went to this host (no CDN, no web font, no basemap elsewhere).
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(server).netloc}, hosts
    assert any("/vendor/echarts/echarts.min.js" in u for u in requests)
    # One screen: nothing scrolls.
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [
        1920, 1080]
    # A name that is markup is text in the chart's tooltip: the wall of its own district lists it (the city's wall
    # shows its busiest 15 街道, and a quiet one may not be among them).
    page.goto(f"{server}/maps/screen?region=419952")
    page.wait_for_function("document.body.dataset.screenReady === '1'", timeout=30_000)
    shown = page.evaluate(f"""() => {{
        const chart = echarts.getInstanceByDom(document.getElementById('chart-areas'));
        const names = chart.getOption().yAxis[0].data, i = names.indexOf({EVIL!r});
        chart.dispatchAction({{ type: 'showTip', seriesIndex: 0, dataIndex: i }});
        return i; }}""")
    assert shown >= 0
    page.wait_for_function("Array.from(document.querySelectorAll('div')).some((d) => "
                           "d.textContent.includes('恶意街道') && d.style.position === 'absolute')", timeout=5_000)
    assert page.evaluate("window.__xss || null") is None
    page.context.close()


def test_it_fits_a_laptop_too(browser, server, leader):
    page, _ = _open(browser, server, leader, {"width": 1440, "height": 900})
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == [
        1440, 900]
    boxes = page.eval_on_selector_all(".scr-panel, .scr-kpi", "els => els.map((e) => e.getBoundingClientRect())"
                                      ".map((r) => [r.right, r.bottom, r.width, r.height])")
    assert all(r <= 1440 and b <= 900 and w > 100 and h > 80 for r, b, w, h in boxes), boxes
    page.context.close()


def test_it_refreshes_every_minute_and_switches_to_90_days(browser, server, leader):
    page, requests = _open(browser, server, leader, WALL, clock=True)
    page.evaluate("window.__sameDocument = true")
    asked = sum("/api/v1/analytics/overview" in u for u in requests)
    page.clock.fast_forward("01:01")
    page.wait_for_function("CCGRID_SCREEN.refreshes >= 2", timeout=15_000)
    assert sum("/api/v1/analytics/overview" in u for u in requests) > asked
    assert any("/api/v1/analytics/heatmap" in u for u in requests)
    assert page.evaluate("window.__sameDocument") is True  # drawn again in place, not reloaded

    page.click(".scr-window button[data-days='90']")
    page.wait_for_function("echarts.getInstanceByDom(document.getElementById('chart-trend'))"
                           ".getOption().xAxis[0].data.length === 90", timeout=15_000)
    assert any("days=90" in u for u in requests if "/analytics/overview" in u)
    assert "近90天" in page.locator("#trend-title").text_content()
    assert page.locator(".scr-window button[data-days='90']").get_attribute("aria-pressed") == "true"
    assert "days=90" in page.url and page.evaluate("window.__sameDocument") is True
    page.context.close()


def test_readers_find_it_in_the_top_bar(browser, server, leader):
    page, _ = _open(browser, server, leader, WALL)
    page.goto(f"{server}/maps/")
    page.click(".ccg-nav a[href='/maps/screen']")
    page.wait_for_function("document.body.dataset.screenReady === '1'", timeout=30_000)
    assert page.url.endswith("/maps/screen")
    page.context.close()


def test_a_subdistrict_wall_shows_its_communities_and_no_other_region(browser, server):
    login = account("screen-street", "subdistrict_staff", PASSWORD, name="街道大屏", region="411421001")["login"]
    page, _ = _open(browser, server, login, WALL)
    assert page.locator(".scr-title").text_content().startswith("城关街道")
    assert page.locator("#areas-title").text_content().startswith("各社区问题")
    names = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-areas')).getOption().yAxis[0].data")
    assert names and all("社区" in n for n in names)
    response = page.goto(f"{server}/maps/screen?region=411421002")
    assert response.status == 403 and "无权查看" in page.content()
    page.context.close()
