"""The walking reach on the coverage map and the planning indicators on the ranking page, in headless Chromium,
on the crafted river town (tests/crafted.py: river_town)."""

import pytest

from tests.crafted import river_town
from tests.maps.browser import account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Footbridge-over-the-river"


@pytest.fixture(scope="module")
def page(browser, server):
    river_town("419804", 114.15, 34.45)
    login = account("browser-network", "city_office", PASSWORD)["login"]
    p = browser.new_page(viewport={"width": 1440, "height": 900})
    log_in(p, server, login, PASSWORD, "/maps/coverage")
    p.wait_for_function("document.body.dataset.ccgridReady === '1'", timeout=30_000)
    return p


def test_the_coverage_map_draws_network_reach(page):
    page.evaluate("window.CCGRID.map.fitBounds([[34.45, 114.15], [34.478, 114.185]], {animate: false})")
    page.check("input[name=kind][value=service]")
    page.select_option("select[name=facility]", "公共厕所")
    page.select_option("select[name=method]", "network")
    page.wait_for_function("(window.CCGRID_STATE.drawn.reach || 0) > 0", timeout=30_000)
    # Reached streets coloured by the walk, the three cells out of reach (the compound, the east bank) hatched.
    hatched = page.locator(".leaflet-overlay-pane path[fill='url(#ccg-hatch)']")
    assert hatched.count() == 3
    assert page.locator("#ccg-hatch").count() == 1
    legend = page.locator(".ccg-legend").text_content()
    assert "步行路网" in legend and "0–5 分钟" in legend and "中心点不可达" in legend
    assert page.evaluate("window.CCGRID_STATE.errors") == []
    page.select_option("select[name=method]", "straight_line")  # back to the buffers: the reach layer goes
    page.wait_for_function("document.querySelector('.ccg-legend').textContent.includes('直线距离')", timeout=30_000)
    assert page.evaluate("window.CCGRID_STATE.reach === null && window.CCGRID_STATE.drawn.reach === 0")
    assert page.locator(".leaflet-overlay-pane path[fill='url(#ccg-hatch)']").count() == 0


def test_the_ranking_page_shows_planning_indicators(page, server):
    page.goto(f"{server}/maps/ranking")
    page.wait_for_function("document.body.dataset.ccgridReady === '1'", timeout=30_000)
    page.select_option("select[name=level]", "community")
    page.select_option("select[name=sort]", "road_density")
    table = page.locator("#ccg-planning-table")
    table.wait_for(state="visible", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('#ccg-planning-table tbody tr').length > 0")
    text = table.text_content()
    assert "河西社区" in text and "达标" in text and "≥ 8" in text
    assert not page.locator("#ccg-ranking-body").locator("xpath=..").is_visible()
    assert "路网密度" in page.locator(".ccg-legend").text_content()
    page.select_option("select[name=sort]", "on_time_rate")  # the 红黑榜 again
    page.wait_for_function("document.getElementById('ccg-planning-table').hidden")
    assert page.locator("#ccg-ranking-body").locator("xpath=..").is_visible()
