"""Each map page in headless Chromium (Debian's `chromium`, driven by Playwright): log in through the form, wait
for the layers to be drawn, and check that no request left this host and that region names are not HTML."""

from urllib.parse import urlsplit

import pytest
from shapely.geometry import box

from tests.conftest import scalar
from tests.crafted import put
from tests.maps.browser import CHROMIUM, account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Lanterns-over-the-Huai"
EVIL = '<img src=x onerror="window.__xss=1">恶意社区'


@pytest.fixture(scope="module")
def browser_page(server):
    from playwright.sync_api import sync_playwright

    # A region whose name is markup: it must show as text on every map.
    put("regions", [({"code": "419951", "name": "转义测试区"}, box(115.9, 35.9, 115.92, 35.92)),
                    ({"code": "419951001", "name": EVIL}, box(115.9, 35.9, 115.92, 35.92))])
    login = account("browser-city_office", "city_office", PASSWORD)["login"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        # No session yet: an account's password login (the token form is folded away).
        log_in(page, server, login, PASSWORD, "/maps/heatmap")
        yield page, requests
        browser.close()


def _open(page, server, path):
    page.goto(f"{server}{path}")
    page.wait_for_function("document.body.dataset.ccgridReady === '1'", timeout=30_000)
    return page.evaluate("() => ({drawn: window.CCGRID_STATE.drawn, errors: window.CCGRID_STATE.errors,"
                         " xss: window.__xss || null})")


@pytest.mark.parametrize("path, layer", [("/maps/heatmap", "heat"), ("/maps/coverage", "gaps"),
                                         ("/maps/owners", "owners"), ("/maps/ranking", "ranking")])
def test_each_map_page_draws_its_layers_offline(browser_page, server, path, layer):
    page, requests = browser_page
    requests.clear()
    state = _open(page, server, path)
    assert state["errors"] == []
    drawn = state["drawn"]
    assert drawn.get(layer, 0) > 0 and drawn.get("regions", 0) > 0 and drawn.get("labels", 0) > 0, (path, drawn)
    assert page.locator(".ccg-legend").count() == 1
    # Shapes really are on the map: SVG paths, or one canvas when a layer has thousands of them.
    assert page.locator(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas").count() > 0
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
    assert hosts == {urlsplit(server).netloc}, hosts
    assert state["xss"] is None
    assert page.locator(".ccg-label", has_text="恶意社区").first.text_content() == EVIL


def test_filters_reload_from_the_api(browser_page, server):
    page, requests = browser_page
    _open(page, server, "/maps/heatmap")
    communities = page.evaluate("window.CCGRID_STATE.drawn.heat")
    requests.clear()
    page.select_option("select[name=cell]", "community")
    page.wait_for_function(f"window.CCGRID_STATE.drawn.heat !== {communities}", timeout=15_000)
    assert any("cell=community" in u for u in requests if "/analytics/heatmap" in u)
    assert "社区" in page.locator(".ccg-legend").text_content()
    assert "加载失败" not in page.locator("#ccg-status").text_content()


def test_a_popup_stays_open_after_its_auto_pan(browser_page, server):
    # A cell clicked near the map's top edge: its popup pans the map to fit, and that pan does not redraw the layer
    # (which closed the popup within a few seconds).
    page, _ = browser_page
    _open(page, server, "/maps/heatmap")
    x, y = page.evaluate("""() => {
        const m = CCGRID.map, l = CCGRID_STATE.heat.getLayers()[0], c = l.getBounds().getCenter();
        m.setView(c, m.getZoom(), { animate: false });
        const p = m.latLngToContainerPoint(c), box = m.getContainer().getBoundingClientRect();
        m.panBy([0, p.y - 12], { animate: false });  // the cell's centre 12 px below the top edge
        const q = m.latLngToContainerPoint(c);
        return [box.left + q.x, box.top + q.y]; }""")
    page.wait_for_function("CCGRID_STATE.drawnSeq === CCGRID_STATE.seq", timeout=15_000)
    seq = page.evaluate("CCGRID_STATE.seq")
    page.mouse.click(x, y)
    page.wait_for_selector(".leaflet-popup", timeout=5_000)
    page.wait_for_timeout(3_000)
    assert page.locator(".leaflet-popup").count() == 1
    assert page.evaluate("CCGRID_STATE.seq") == seq  # no reload


def test_choosing_a_region_flies_the_map_to_it(browser_page, server):
    page, _ = browser_page
    _open(page, server, "/maps/heatmap")
    code = page.evaluate("Object.keys(CCGRID_STATE.regionBounds)"
                         ".find((c) => c.length === 12 && c.startsWith('411421'))")
    page.select_option("select[name=region]", code)
    page.wait_for_function("CCGRID_STATE.drawnSeq === CCGRID_STATE.seq", timeout=15_000)
    inside = page.evaluate(f"""() => {{ const b = CCGRID_STATE.regionBounds['{code}'], v = CCGRID.map.getBounds();
        return v.contains(b.getCenter()) && b.pad(0.5).contains(v.getCenter()); }}""")
    assert inside


def test_the_heatmap_legend_classes_are_distinct(browser_page, server):
    page, _ = browser_page
    _open(page, server, "/maps/heatmap")
    swatches = page.eval_on_selector_all(".ccg-legend i", "els => els.map((e) => getComputedStyle(e).backgroundColor)")
    assert len(swatches) >= 2 and len(set(swatches)) == len(swatches), swatches
    # Each drawn cell with reports wears one of the legend's colours.
    fills = page.evaluate("CCGRID_STATE.heat.getLayers().filter((l) => l.feature.properties.count)"
                          ".map((l) => l.options.fillColor)")
    as_rgb = {f"rgb({int(h[1:3], 16)}, {int(h[3:5], 16)}, {int(h[5:7], 16)})" for h in fills}
    assert fills and as_rgb <= set(swatches)


def test_the_city_streets_and_their_names_without_a_basemap(browser_page, server):
    """No basemap configured: the city's own streets come from /tiles/basemap, and close up their names."""
    page, requests = browser_page
    requests.clear()
    _open(page, server, "/maps/heatmap")
    page.evaluate("CCGRID.map.setView([34.648, 115.146], 16, { animate: false })")
    page.wait_for_function("(window.CCGRID_STATE.drawn.street_names || 0) > 0", timeout=15_000)
    names = set(page.locator(".ccg-street-name").all_text_contents())
    west, south, east, north = page.evaluate("(() => { const b = CCGRID.map.getBounds(); "
                                             "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    in_view = set(scalar("SELECT array_agg(DISTINCT name) FROM streets WHERE name IS NOT NULL AND "
                         "geom && ST_MakeEnvelope(:w, :s, :e, :n, 4490)", w=west, s=south, e=east, n=north))
    assert names and names <= in_view
    assert any("/tiles/basemap/16/" in u for u in requests)
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
    assert hosts == {urlsplit(server).netloc}, hosts


def test_landing_page_and_logout(browser_page, server):
    page, _ = browser_page
    page.goto(f"{server}/maps/")
    assert page.locator(".ccg-card").count() == 6 and "责任覆盖率" in page.content()
    page.click("text=退出")
    page.goto(f"{server}/maps/owners")
    assert "/login" in page.url


