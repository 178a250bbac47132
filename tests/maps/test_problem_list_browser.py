"""Job (a) of issue #17 in headless Chromium: log in with a password, open the heatmap for this month, click a
cell, follow its popup's link to the problem list, and find there exactly the problems of that cell (checked
against the database by the cell's own polygon); the list's filters, pages, export and the home page's links."""

import io
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from gis.db import transaction
from tests.conftest import scalar
from tests.maps.browser import CHROMIUM, account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Paper-lanterns-on-the-Ying"
SHOTS = "/tmp/shots/list"
BEIJING = ZoneInfo("Asia/Shanghai")

# The heatmap cell nearest the map's middle with problems in it, where its popup has room (no auto-pan).
PICK_CELL = """() => {
  const layer = window.CCGRID_STATE.heat, map = layer._map, size = map.getSize();
  const box = map.getContainer().getBoundingClientRect();
  let best = null;
  layer.eachLayer((l) => {
    const f = l.feature;
    if (!f.properties.count) return;
    const pt = map.latLngToContainerPoint(l.getBounds().getCenter());
    if (pt.x < 380 || pt.x > size.x - 260 || pt.y < 340 || pt.y > size.y - 160) return;
    const d = Math.hypot(pt.x - size.x / 2, pt.y - size.y * 0.6);
    if (!best || d < best.d) best = {id: f.id, count: f.properties.count, x: box.left + pt.x, y: box.top + pt.y,
                                     geometry: JSON.stringify(f.geometry), d};
  });
  return best;
}"""


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    login = account("list-office", "city_office", PASSWORD, name="台账测试")["login"]
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        log_in(page, server, login, PASSWORD, "/maps/heatmap")
        yield page, requests
        chromium.close()


def _hosts(requests):
    return {urlsplit(u).netloc for u in requests if not u.startswith(("data:", "blob:"))}


def _listed_ids(page):
    return [int(x) for x in page.locator("#ccg-problems tbody tr[data-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.id)")]


def _shots(page, name):
    for w, h in ((1440, 900), (1024, 768), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        page.screenshot(path=f"{SHOTS}/{name}-{w}.png", full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def test_heatmap_cell_clicks_through_to_exactly_its_problems(browser, server):
    page, requests = browser
    page.wait_for_function("document.body.dataset.ccgridReady === '1'", timeout=30_000)
    today = datetime.now(BEIJING).date()
    first = today.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    requests.clear()
    page.fill("input[name=since]", first.isoformat())
    with page.expect_response(lambda r: "/analytics/heatmap" in r.url and "until=" in r.url):
        page.fill("input[name=until]", following.isoformat())
    page.wait_for_function("document.getElementById('ccg-status').textContent.startsWith('共')", timeout=15_000)
    page.wait_for_timeout(300)
    cell = page.evaluate(PICK_CELL)
    assert cell is not None, "no cell with problems this month in the middle of the map"
    page.mouse.click(cell["x"], cell["y"])
    link = page.locator(".leaflet-popup a.ccg-cell-list")
    link.wait_for(timeout=5_000)
    assert link.text_content() == f"查看这些问题 ({cell['count']})"
    link.click()
    page.wait_for_url(f"{server}/maps/problems?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["cell_key"] == [cell["id"]] and query["since"] == [first.isoformat()]
    assert int(page.locator("#ccg-total").text_content()) == cell["count"]
    listed = _listed_ids(page)
    # The database's own answer: this month's first reports whose point lies in the cell's polygon (and in the
    # map's view when the heatmap counted only that).
    view = ""
    if "bbox" in query:
        x0, y0, x1, y1 = query["bbox"][0].split(",")
        view = f"AND geom && ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4490)"
    with transaction() as s:
        from sqlalchemy import text

        expected = s.execute(text(f"""SELECT id FROM problems WHERE duplicate_of IS NULL
            AND reported_at >= CAST(:a AS timestamp) AT TIME ZONE 'Asia/Shanghai'
            AND reported_at < CAST(:b AS timestamp) AT TIME ZONE 'Asia/Shanghai'
            AND ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4490), geom) {view} ORDER BY reported_at DESC, id DESC"""),
            {"a": first, "b": following, "g": cell["geometry"]}).scalars().all()
    assert listed == expected and len(expected) == cell["count"]
    assert page.locator(".ccg-chip", has_text="热力图").count() == 1
    _shots(page, "cell-list")
    assert _hosts(requests) == {urlsplit(server).netloc}


def test_home_numbers_open_their_lists(browser, server):
    page, requests = browser
    requests.clear()
    page.goto(f"{server}/maps/")
    card = page.locator("a.ccg-card-link", has_text="已超期")
    number = int(card.locator(".n").text_content())
    card.click()
    page.wait_for_url(f"{server}/maps/problems?*")
    assert int(page.locator("#ccg-total").text_content()) == number == scalar(
        """SELECT count(*) FROM problems WHERE duplicate_of IS NULL AND due_at < now()
           AND status NOT IN ('closed', 'rejected', 'rectified', 'verified')""") > 0
    assert page.locator("td.ccg-overdue").count() == len(_listed_ids(page))
    _shots(page, "overdue")
    assert _hosts(requests) == {urlsplit(server).netloc}


def test_filters_pages_and_export(browser, server):
    page, requests = browser
    requests.clear()
    page.goto(f"{server}/maps/problems")
    page.select_option("select[name=status]", "open")
    page.select_option("select[name=sort]", "due")
    page.select_option("select[name=limit]", "20")
    page.click("#ccg-plist-form button[type=submit]")
    page.wait_for_url("**status=open**")
    assert "category=" not in page.url  # empty fields are not sent: the URL says only what is filtered
    total = int(page.locator("#ccg-total").text_content())
    assert total == scalar("""SELECT count(*) FROM problems WHERE duplicate_of IS NULL
                              AND status NOT IN ('closed', 'rejected')""") > 20
    first_page = _listed_ids(page)
    page.click(".ccg-pager a[rel=next]")
    page.wait_for_url("**offset=20**")
    second_page = _listed_ids(page)
    assert len(first_page) == 20 and not set(first_page) & set(second_page)
    with page.expect_download() as got:
        page.click("#ccg-export-xlsx")
    rows = list(load_workbook(io.BytesIO(open(got.value.path(), "rb").read()), read_only=True)
                .active.iter_rows(values_only=True))
    assert len(rows) - 1 == total and [r[0] for r in rows[1:21]] == first_page
    _shots(page, "open-list")
    assert _hosts(requests) == {urlsplit(server).netloc}


def test_owner_is_picked_by_name(browser, server):
    page, requests = browser
    pid, name = scalar("""SELECT a.person_id || '|' || pp.name FROM problem_owners po
        JOIN assignments a ON a.id = po.assignment_id JOIN people pp ON pp.id = a.person_id
        GROUP BY a.person_id, pp.name ORDER BY count(*) DESC, a.person_id LIMIT 1""").split("|")
    requests.clear()
    page.goto(f"{server}/maps/problems")
    page.fill("#ccg-owner-name", name)
    option = page.locator(f"#ccg-owner-options option[value$='#{pid}']")
    option.wait_for(state="attached", timeout=5_000)
    page.fill("#ccg-owner-name", option.get_attribute("value"))  # as choosing it from the list does
    page.click("#ccg-plist-form button[type=submit]")
    page.wait_for_url(f"**owner_person_id={pid}**")
    assert int(page.locator("#ccg-total").text_content()) == scalar(f"""SELECT count(DISTINCT p.id) FROM problems p
        JOIN problem_owners po ON po.problem_id = p.id JOIN assignments a ON a.id = po.assignment_id
        WHERE a.person_id = {pid} AND p.duplicate_of IS NULL""") > 0
    assert page.locator(".ccg-chip", has_text=f"责任人：{name}").count() == 1
    assert page.input_value("#ccg-owner-name") == name
    assert _hosts(requests) == {urlsplit(server).netloc}
