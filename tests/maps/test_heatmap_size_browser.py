"""The heatmap page picks its hexagon size from the zoom, and at every city zoom that size is one of the pre-binned
ones (answered from bins: the answer's `clipped` is false, the cells counted whole); the size control still
overrides it."""

from urllib.parse import parse_qs, urlsplit

import pytest

from layers.ledger import bins
from tests.maps.browser import account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Hexagons-by-the-zoom-7"


@pytest.fixture(scope="module")
def heatmap_page(browser, server):
    login = account("browser-heat-size", "city_office", PASSWORD)["login"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server, login, PASSWORD, "/maps/heatmap")
    page.wait_for_function("document.body.dataset.ccgridReady === '1'", timeout=30_000)
    return page


def _asked(page, action: str, *args) -> tuple[dict, dict]:
    """(query, answer) of the heatmap request that `action` (a page method, with its arguments) makes."""
    with page.expect_response(lambda r: "/api/v1/analytics/heatmap" in r.url, timeout=15_000) as info:
        getattr(page, action)(*args)
    response = info.value
    assert response.ok
    page.wait_for_function("CCGRID_STATE.drawnSeq === CCGRID_STATE.seq", timeout=15_000)
    return parse_qs(urlsplit(response.url).query), response.json()


def test_the_default_size_follows_the_zoom_and_is_pre_binned(heatmap_page):
    page = heatmap_page
    query, body = _asked(page, "reload")
    assert "size_m" in query and float(query["size_m"][0]) in bins.HEX_GRIDS and body["clipped"] is False, query
    sizes = set()
    for zoom in (9, 10, 11, 12, 13, 14):
        query, body = _asked(page, "evaluate", f"CCGRID.map.setZoom({zoom}, {{ animate: false }})")
        size = float(query["size_m"][0])
        sizes.add(size)
        assert size in bins.HEX_GRIDS and body["clipped"] is False and body["size_m"] == size, (zoom, query)
    assert len(sizes) >= 5  # a size per zoom, from 10 km down to 250 m


def test_the_size_control_still_chooses_the_size(heatmap_page):
    page = heatmap_page
    query, body = _asked(page, "select_option", "select[name=size_m]", "100")
    # 100 m is not pre-binned: counted from the reports in view.
    assert query["size_m"] == ["100"] and body["size_m"] == 100 and body["clipped"] is True
    query, body = _asked(page, "select_option", "select[name=size_m]", "500")
    assert query["size_m"] == ["500"] and body["clipped"] is False
