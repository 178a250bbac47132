"""Issue #17 job (c): the coverage gap list beside the map. A city office account logs in with its password, opens
/maps/coverage, reads the true totals, assigns a 网格员 to a cell from the list by clicking, and sees the row go and
the totals fall by one; the database holds the assignment. No request leaves this host."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gis.db import transaction
from layers.access.caller import SYSTEM
from layers.registry import coverage, people
from tests.conftest import scalar
from tests.maps.browser import CHROMIUM, account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Gaps-and-the-street-chiefs"
SHOTS = Path(os.environ.get("CCGRID_SHOTS", "/tmp/shots/coverage"))


@pytest.fixture(scope="module")
def session_page(server):
    from playwright.sync_api import sync_playwright

    login = account("gaps-office", "city_office", PASSWORD, name="缺口测试")["login"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        log_in(page, server, login, PASSWORD, "/maps/coverage")
        yield page, requests
        browser.close()


def _ready(page):
    page.wait_for_function("document.body.dataset.ccgridReady === '1'", timeout=30_000)
    page.wait_for_selector("#ccg-gaps[data-ready='1']", state="attached", timeout=30_000)


def _missing(page) -> int:
    return int(page.get_attribute("#ccg-gaps-totals", "data-missing"))


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_totals_are_the_reports_not_the_maps_cap(session_page, server):
    page, requests = session_page
    _ready(page)
    with transaction() as s:
        report = coverage.ownership(s, limit=1)
    assert _missing(page) == report["totals"]["missing"] > 50  # more gaps than one page of the list shows
    assert page.locator("#ccg-gaps-list tr.ccg-gap").count() == 50
    # The 街道 table: each row's number is the report's, and they add up to the whole (no cap).
    by_region = page.locator("#ccg-gaps-by-region tbody tr")
    assert by_region.count() == len(report["by_subdistrict"])
    shown = sum(int(by_region.nth(i).locator("td.num").first.text_content().replace(",", ""))
                for i in range(by_region.count()))
    assert shown == sum(r["required"] - r["covered"] for r in report["by_subdistrict"])
    assert "缺网格员" in page.locator("#ccg-gaps-by-region").text_content()
    page.click("#ccg-gaps [data-page='1']")
    page.wait_for_selector("#ccg-gaps[data-ready='1']", state="attached")
    assert page.locator("#ccg-gaps-page").text_content().startswith("51–")
    _shot(page, "coverage-1440")
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
    assert hosts == {urlsplit(server).netloc}, hosts


def test_assign_a_grid_worker_from_the_gap_list(session_page, server):
    page, requests = session_page
    requests.clear()
    page.goto(f"{server}/maps/coverage")
    _ready(page)
    page.select_option("#ccg-gaps-filter select[name=layer]", "grid_cells")
    page.wait_for_selector("#ccg-gaps[data-ready='1']", state="attached")
    before = _missing(page)
    row = page.locator("#ccg-gaps-list tr.ccg-gap").first
    key = row.get_attribute("data-key")
    layer, cell, family = key.split(":")
    assert (layer, family) == ("grid_cells", "grid_worker")
    region = scalar("SELECT region_code FROM grid_cells WHERE id = :i", i=int(cell))
    with transaction() as s:
        worker = people.create_person(s, name="缺口网格员甲", title="专职网格员", region_code=region[:9], caller=SYSTEM)

    row.click()  # zooms the map to the cell
    page.wait_for_function(f"window.CCGRID_GAPS.zoomed === '{key}'")
    assert page.evaluate("window.CCGRID.map.getZoom()") >= 15
    row.locator(".ccg-gaps-assign").click()
    form = page.locator("form.ccg-gaps-form")
    assert form.locator("select[name=role]").input_value() == "grid_worker"  # the missing role, preselected
    form.locator("input[type=search]").fill("缺口网格员甲")
    page.wait_for_selector(f"form.ccg-gaps-form select[name=person_id] option[value='{worker}']", state="attached")
    form.locator("select[name=person_id]").select_option(str(worker))
    _shot(page, "coverage-assign-form")
    form.locator("button[type=submit]").click()
    page.wait_for_function(f"Number(document.querySelector('#ccg-gaps-totals').dataset.missing) === {before - 1}",
                           timeout=20_000)
    page.wait_for_selector("#ccg-gaps[data-ready='1']", state="attached")
    assert page.locator(f"#ccg-gaps-list tr[data-key='{key}']").count() == 0
    assert "已指派 缺口网格员甲" in page.locator("#ccg-gaps-flash").text_content()
    assert scalar("SELECT count(*) FROM assignments_on(current_date) WHERE layer = 'grid_cells' AND feature_id = :c "
                  "AND person_id = :p AND role = 'grid_worker'", c=int(cell), p=worker) == 1
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
    assert hosts == {urlsplit(server).netloc}, hosts


def test_the_list_follows_a_region_and_sits_over_the_map_on_a_phone(session_page, server):
    page, _ = session_page
    page.goto(f"{server}/maps/coverage")
    _ready(page)
    first = page.locator("#ccg-gaps-by-region tbody tr").first
    code, gaps = first.get_attribute("data-code"), int(first.locator("td.num").first.text_content().replace(",", ""))
    first.click()
    page.wait_for_function(f"Number(document.querySelector('#ccg-gaps-totals').dataset.missing) === {gaps}")
    assert page.locator("#ccg-gaps-filter select[name=region]").input_value() == code
    page.set_viewport_size({"width": 1024, "height": 768})
    _shot(page, "coverage-1024")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/maps/coverage")
    _ready(page)
    assert not page.locator("#ccg-gaps").is_visible()
    map_box = page.locator(".folium-map").bounding_box()
    assert map_box["width"] == 390  # the list does not squeeze the map
    _shot(page, "coverage-390-map")
    page.click("#ccg-gaps-toggle")
    assert page.locator("#ccg-gaps").is_visible()
    assert page.locator("#ccg-gaps").bounding_box()["width"] == 390
    _shot(page, "coverage-390-list")
    page.locator("#ccg-gaps-list tr.ccg-gap").first.click()  # a gap row closes the sheet and shows the map
    page.wait_for_function("!!window.CCGRID_GAPS.zoomed")
    assert not page.locator("#ccg-gaps").is_visible()
    page.set_viewport_size({"width": 1440, "height": 900})
