"""Issue #17 job (b): assigning owners on the map. A city office account logs in with its password, clicks an
unowned 背街小巷 on /maps/owners, assigns a 区级街长 in the place panel, sees the street change colour and the
coverage gap count fall by one; then, with a problem reported on the street, hands it over to another person with
its open problems (preview first). A second exclusive 路长 is refused with the rule's message in the form; a bulk
assignment over a region and over a polygon drawn on the map previews the count, then writes. Each step asserts
the database; no request leaves this host and nothing reloads the page."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import scalar
from tests.maps.browser import CHROMIUM, account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Owners-on-the-map-2026"
REGION = "411421001"
SHOTS = Path(os.environ.get("CCGRID_SHOTS", "/tmp/shots/owners"))


def _person(client, admin, name, phone):
    r = client.post("/api/v1/people", json={"name": name, "phone": phone, "region_code": REGION}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def cast(client, admin):
    """A back lane nobody has ever held (its rule wants a street chief), an arterial with its exclusive 路长, and
    the people the office will give them to."""
    street = scalar("SELECT id FROM streets s WHERE road_class = 'back_lane' AND region_code LIKE :r "
                    "AND ST_GeometryType(geom) = 'ST_LineString' AND ST_Length(geom::geography) > 60 "
                    "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.layer = 'streets' AND a.feature_id = s.id) "
                    "ORDER BY id DESC LIMIT 1", r=REGION + "%")
    assert street is not None
    arterial, chief = scalar("SELECT array[s.id::text, p.name] FROM streets s JOIN assignments_on(current_date) a "
                             "ON a.layer = 'streets' AND a.feature_id = s.id AND a.role = 'road_chief' "
                             "JOIN people p ON p.id = a.person_id WHERE s.road_class = 'arterial' "
                             "AND s.region_code LIKE :r AND ST_GeometryType(s.geom) = 'ST_LineString' "
                             "ORDER BY s.id LIMIT 1", r=REGION + "%")
    return {"street": street, "arterial": int(arterial), "chief": chief,
            "first": _person(client, admin, "地图街长甲", "13700000301"),
            "second": _person(client, admin, "地图街长乙", "13700000302"),
            "patron": _person(client, admin, "地图包保丙", "13700000303")}


@pytest.fixture(scope="module")
def session_page(server):
    from playwright.sync_api import sync_playwright

    login = account("owners-map-office", "city_office", PASSWORD, name="责任人地图测试")["login"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, server, login, PASSWORD, "/maps/owners")
        yield page, requests, errors
        browser.close()


def _ready(page):
    page.wait_for_function("document.body.dataset.ccgridReady === '1'", timeout=30_000)


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _drawn(page, fid):
    """The street as the map's vector tiles hold it: its tile attributes, once the redraw after the last move has
    landed."""
    page.wait_for_function("CCGRID_STATE.drawnSeq === CCGRID_STATE.seq", timeout=30_000)
    page.wait_for_function("(fid) => CCGRID_STATE.ownerFeatures && CCGRID_STATE.ownerFeatures()[fid]", arg=fid,
                           timeout=30_000)
    return page.evaluate("(fid) => CCGRID_STATE.ownerFeatures()[fid]", fid)


def _middle(fid):
    """The point halfway along the street, as [lat, lng]."""
    return [float(v) for v in scalar(
        "SELECT array[ST_Y(p), ST_X(p)] FROM (SELECT ST_LineInterpolatePoint(geom, 0.5) AS p FROM streets "
        "WHERE id = :f) q", f=fid)]


def _go_to(page, fid, zoom):
    page.evaluate("([ll, z]) => CCGRID.map.setView(ll, z, { animate: false })", [_middle(fid), zoom])
    page.wait_for_timeout(300)
    return _drawn(page, fid)


def _click_street(page, fid):
    """Centre the map on the segment and click its middle with the mouse, as a person does."""
    _go_to(page, fid, 18)
    x, y = page.evaluate("""(ll) => { const m = CCGRID.map, box = m.getContainer().getBoundingClientRect();
        const a = m.latLngToContainerPoint(ll); return [box.left + a.x, box.top + a.y]; }""", _middle(fid))
    page.mouse.click(x, y)
    page.wait_for_selector(f"#ccg-place-panel[data-ready='1'] .ccg-place[data-fid='{fid}']", timeout=15_000)


def _pick(page, scope, name):
    page.fill(f"{scope} .ccg-picker-q", name[:3])
    page.click(f"{scope} .ccg-picker-option:has-text('{name}')")


def _preview(page):
    """预览 in the bulk form; the form's error, if any, fails the test with its words."""
    page.click("#ccg-bulk [data-bulk-preview]")
    page.wait_for_selector("#ccg-bulk .ccg-preview[data-ready='1'], #ccg-bulk .ccg-form-error:not(:empty)")
    error = page.locator("#ccg-bulk .ccg-form-error")
    assert error.count() == 0 or not error.text_content(), error.text_content()


def _missing_on_coverage(page, server) -> int:
    page.goto(f"{server}/maps/coverage")
    page.wait_for_selector("#ccg-gaps[data-ready='1']", state="attached", timeout=30_000)
    return int(page.get_attribute("#ccg-gaps-totals", "data-missing"))


def _hosts_ok(requests, server):
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
    assert hosts == {urlsplit(server).netloc}, hosts


def test_assign_a_street_chief_on_the_map(session_page, server, cast):
    page, requests, errors = session_page
    fid = cast["street"]
    gaps_before = _missing_on_coverage(page, server)
    page.goto(f"{server}/maps/owners")
    _ready(page)
    _click_street(page, fid)
    assert _drawn(page, fid)["owned"] == 0 and _drawn(page, fid).get("missing")
    panel = page.locator("#ccg-place-panel")
    assert "目前无人负责" in panel.text_content()
    # The form offers first the role a coverage rule misses here.
    assert page.input_value(".ccg-assign select[name=role]") == "city_street_chief"
    page.evaluate("window.__sameDocument = true")
    page.select_option(".ccg-assign select[name=role]", "district_street_chief")
    _pick(page, ".ccg-assign", "地图街长甲")
    _shot(page, "owners-assign-1440")
    page.click(".ccg-assign button[type=submit]")
    page.wait_for_selector("#ccg-side-flash:has-text('已指派')")
    page.wait_for_selector("#ccg-place-panel[data-ready='1'] .ccg-owners:has-text('地图街长甲')")
    assert scalar("SELECT count(*) FROM assignments WHERE layer = 'streets' AND feature_id = :f AND person_id = :p "
                  "AND role = 'district_street_chief' AND valid_to IS NULL", f=fid, p=cast["first"]) == 1
    # The map redrew without a reload: the street now wears its owner's colour.
    page.wait_for_function("(fid) => CCGRID_STATE.drawnSeq === CCGRID_STATE.seq && CCGRID_STATE.ownerFeatures "
                           "&& (CCGRID_STATE.ownerFeatures()[fid] || {}).owned === 1", arg=fid, timeout=30_000)
    assert not _drawn(page, fid).get("missing")
    assert page.evaluate("window.__sameDocument") is True
    assert _missing_on_coverage(page, server) == gaps_before - 1
    assert not errors, errors
    _hosts_ok(requests, server)


def test_hand_the_street_over_with_its_open_problems(session_page, server, cast):
    from tests.api.test_handover_api import _report_on

    page, requests, _ = session_page
    fid = cast["street"]
    problem = _report_on(fid)
    held = scalar("SELECT id FROM assignments WHERE feature_id = :f AND person_id = :p AND valid_to IS NULL "
                  "AND layer = 'streets'", f=fid, p=cast["first"])
    assert scalar("SELECT count(*) FROM problem_owners WHERE problem_id = :q AND assignment_id = :a",
                  q=problem, a=held) == 1
    page.goto(f"{server}/maps/owners")
    _ready(page)
    _click_street(page, fid)
    page.click(f"[data-toggle='handover-{held}']")
    form = f"#handover-{held} form"
    _pick(page, form, "地图街长乙")
    assert page.is_checked(f"{form} input[name=move_open_problems]")  # the problems go along unless unticked
    page.click(f"{form} [data-preview-button]")

    page.wait_for_selector(f"{form} .ccg-preview[data-ready='1']")
    preview = page.text_content(f"{form} .ccg-preview")
    assert "将移交 1 处" in preview and f"#{problem}" in preview
    assert scalar("SELECT count(*) FROM assignments WHERE person_id = :p", p=cast["second"]) == 0  # a preview
    _shot(page, "owners-handover-1440")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#ccg-side-flash:has-text('已移交')")
    page.wait_for_selector("#ccg-place-panel[data-ready='1'] .ccg-owners:has-text('地图街长乙')")
    assert scalar("SELECT valid_to FROM assignments WHERE id = :a", a=held) == scalar("SELECT current_date")
    new = scalar("SELECT id FROM assignments WHERE feature_id = :f AND person_id = :p AND valid_to IS NULL "
                 "AND role = 'district_street_chief'", f=fid, p=cast["second"])
    assert new is not None
    owned_through = scalar("SELECT array_agg(assignment_id) FROM problem_owners WHERE problem_id = :q", q=problem)
    assert new in owned_through and held not in owned_through  # the problem went along (its other owners stay)
    _hosts_ok(requests, server)


def test_a_second_exclusive_owner_is_refused_in_the_form(session_page, server, cast):
    page, _, _ = session_page
    before = scalar("SELECT count(*) FROM assignments")
    page.goto(f"{server}/maps/owners")
    _ready(page)
    _click_street(page, cast["arterial"])
    page.select_option(".ccg-assign select[name=role]", "road_chief")
    _pick(page, ".ccg-assign", "地图街长乙")
    page.click(".ccg-assign button[type=submit]")
    error = page.locator(".ccg-assign .ccg-form-error")
    error.wait_for()
    assert cast["chief"] in error.text_content()  # the rule's message names who holds it
    assert scalar("SELECT count(*) FROM assignments") == before


def test_bulk_assign_a_region_then_a_drawn_polygon(session_page, server, cast):
    page, requests, _ = session_page
    community = scalar("SELECT code FROM regions WHERE level = 'community' AND code LIKE :r ORDER BY code LIMIT 1",
                       r=REGION + "%")
    expected = scalar("SELECT count(*) FROM streets WHERE region_code LIKE :c", c=community + "%")
    page.goto(f"{server}/maps/owners")
    _ready(page)
    page.click("#ccg-bulk-open")
    page.select_option("#ccg-bulk select[name=region]", community)
    page.select_option("#ccg-bulk select[name=role]", "patron_leader")
    _pick(page, "#ccg-bulk", "地图包保丙")
    _preview(page)
    assert f"范围内共 {expected} 处：将新指派 {expected} 处" in page.text_content("#ccg-bulk .ccg-preview")
    assert scalar("SELECT count(*) FROM assignments WHERE person_id = :p", p=cast["patron"]) == 0
    _shot(page, "owners-bulk-1440")
    page.click("#ccg-bulk button[type=submit]")
    page.wait_for_selector(f"#ccg-side-flash:has-text('已批量指派 {expected} 处')")
    assert scalar("SELECT count(*) FROM assignments WHERE person_id = :p AND role = 'patron_leader' "
                  "AND valid_to IS NULL", p=cast["patron"]) == expected

    # A polygon drawn by clicking four corners around the handed-over street: its places, no more.
    _go_to(page, cast["street"], 17)
    page.click("#ccg-bulk input[value=polygon]")
    page.select_option("#ccg-bulk select[name=layer]", "streets")
    page.select_option("#ccg-bulk select[name=role]", "patron_leader")
    page.fill("#ccg-bulk .ccg-picker-q", "")
    _pick(page, "#ccg-bulk", "地图街长甲")
    page.click("#ccg-bulk [data-draw=start]")
    box = page.locator(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(cx - 150, cy - 150), (cx + 150, cy - 150), (cx + 150, cy + 150), (cx - 150, cy + 150)]
    for x, y in corners:
        page.mouse.click(x, y)
        page.wait_for_timeout(120)  # not a double click
    page.click("#ccg-draw-bar [data-draw=finish]")
    ring = page.evaluate("JSON.parse(document.querySelector('#ccg-bulk input[name=polygon]').value)")
    wkt = "POLYGON((" + ",".join(f"{x} {y}" for x, y in ring["coordinates"][0]) + "))"
    inside = scalar("SELECT count(*) FROM streets WHERE region_code LIKE :r AND "
                    "ST_Intersects(ST_GeomFromText(:w, 4490), ST_PointOnSurface(geom))", r="4114%", w=wkt)
    assert inside >= 1
    _preview(page)
    assert f"范围内共 {inside} 处：将新指派 {inside} 处。" in page.text_content("#ccg-bulk .ccg-preview")
    _shot(page, "owners-polygon-1440")
    page.click("#ccg-bulk button[type=submit]")
    page.wait_for_selector(f"#ccg-side-flash:has-text('已批量指派 {inside} 处')")
    assert scalar("SELECT count(*) FROM assignments WHERE person_id = :p AND role = 'patron_leader' "
                  "AND valid_to IS NULL", p=cast["first"]) == inside
    # Again over the same polygon: nothing new, each place already his.
    _preview(page)
    assert f"将新指派 0 处，{inside} 处已由其负责（不变）" in page.text_content("#ccg-bulk .ccg-preview")
    _hosts_ok(requests, server)
