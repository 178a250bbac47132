"""Issue #18, the field app's daily work on a phone (390×844, touch, geolocation): a street chief logs in with a
password, finds the problem the office dispatched on /m/tasks (due time shown), 签收整改, 申请延期 with a reason
and a wished-for date, then 整改完成 with a camera photo; walks a patrol along their lane on /m/ (the fixes kept on
the phone, sent as one track) and sees the lane patrolled today; an inspector opens a point from /m/points, fails
an item with a note and a photo, and the problem it raises has the photo. Each step asserts the database; no
request leaves this host."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM
from tests.api.test_handover_api import _report_on
from tests.conftest import scalar
from tests.images import encode
from tests.images import picture as picture_of
from tests.maps.browser import CHROMIUM, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Work-in-the-street-2026"
REGION = "411421001"
SHOTS = Path(os.environ.get("CCGRID_SHOTS", "/tmp/shots/field"))


@pytest.fixture(scope="module")
def crew(client, admin):
    """A person holding a back lane as 街道级街长 with a street chief's account; an inspector's account."""
    r = client.post("/api/v1/people", json={"name": "外勤街长丁", "phone": "13700000601", "region_code": REGION},
                    headers=admin)
    person = r.json()["id"]
    lane = scalar("SELECT id FROM streets s WHERE road_class = 'back_lane' AND region_code LIKE :r "
                  "AND ST_GeometryType(geom) = 'ST_LineString' AND ST_Length(geom::geography) > 80 AND NOT EXISTS "
                  "(SELECT 1 FROM assignments a WHERE a.layer = 'streets' AND a.feature_id = s.id) "
                  "ORDER BY id DESC OFFSET 3 LIMIT 1", r=REGION + "%")
    r = client.post("/api/v1/assignments", headers=admin, json={
        "role": "街道级街长", "layer": "streets", "feature_id": lane, "person_id": person, "valid_from": "2026-11-01"})
    assert r.status_code == 201, r.text
    with transaction() as s:
        chief = users.create(s, SYSTEM, login="field-work-chief", display_name="外勤街长丁", role="street_chief",
                             region_code=REGION, person_id=person, password=PASSWORD, must_change_password=False)
        inspector = users.create(s, SYSTEM, login="field-work-inspector", display_name="测评员戊", role="inspector",
                                 region_code=REGION, password=PASSWORD, must_change_password=False)
    coords = scalar("SELECT ST_AsGeoJSON(geom)::json -> 'coordinates' FROM streets WHERE id = :i", i=lane)
    return {"person": person, "lane": lane, "coords": coords, "chief": chief["login"],
            "inspector": inspector["login"]}


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def picture(tmp_path_factory):
    path = tmp_path_factory.mktemp("camera") / "IMG_0002.jpg"
    path.write_bytes(encode(picture_of(52, (2000, 1500))))  # the phone shrinks it to 1600 px
    return str(path)


def _phone(browser, server, login, path, where):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  geolocation={"latitude": where[1], "longitude": where[0], "accuracy": 6},
                                  permissions=["geolocation"], locale="zh-CN")
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{server}/login?next={path}")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{server}{path}")
    return context, page


def _done(page, server):
    hosts = {urlsplit(u).netloc for u in page.requests if u.startswith("http")}
    assert hosts == {urlsplit(server).netloc}, hosts
    assert not page.errors, page.errors


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _status(pid):
    return scalar("SELECT status FROM problems WHERE id = :i", i=pid)


def test_a_dispatched_task_signed_for_delayed_and_rectified_with_a_photo(browser, server, crew, client, admin, picture):
    pid = _report_on(crew["lane"])
    for action in ("立案", "派遣"):
        assert client.post(f"/api/v1/problems/{pid}/actions", json={"action": action}, headers=admin).status_code == 200
    context, page = _phone(browser, server, crew["chief"], "/m/tasks", crew["coords"][0])
    card = f"#task-{pid}"
    assert "还剩" in page.text_content(f"{card} .m-due")
    _shot(page, "tasks-390")
    page.click(f"{card} button[data-act='签收整改']")
    page.wait_for_selector(f"{card} .m-task-note.m-sent")
    assert _status(pid) == "in_progress"

    page.reload()
    page.click(f"{card} button:has-text('申请延期')")
    sheet = f"{card} form[data-act='申请延期']"
    page.fill(f"{sheet} input[name=until]", "2026-12-31")
    page.fill(f"{sheet} textarea[name=note]", "需协调产权单位拆除")
    page.click(f"{sheet} button[type=submit]")
    page.wait_for_selector(f"{card} .m-task-note.m-sent")
    note = scalar("SELECT note FROM problem_events WHERE problem_id = :p AND action = '申请延期'", p=pid)
    assert "2026-12-31" in note and "需协调产权单位拆除" in note and _status(pid) == "in_progress"

    page.reload()
    page.click(f"{card} button:has-text('整改完成')")
    sheet = f"{card} form[data-act='整改完成']"
    page.click(f"{sheet} button[type=submit]")  # no photo yet: refused on the phone, nothing sent
    assert page.text_content(f"{sheet} .m-error") == "请先拍摄照片"
    page.set_input_files(f"{sheet} input[name=photo]", picture)
    page.wait_for_selector(f"{sheet} .m-thumbs img")
    _shot(page, "tasks-rectify-390")
    page.click(f"{sheet} button[type=submit]")
    page.wait_for_selector(f"{card} .m-task-note.m-sent:has-text('含照片')")
    assert _status(pid) == "rectified"
    photo = scalar("SELECT photo_id FROM problem_events WHERE problem_id = :p AND action = '整改完成'", p=pid)
    assert photo == scalar("SELECT id FROM problem_photos WHERE problem_id = :p", p=pid)
    assert scalar("SELECT array[width, height] FROM problem_photos WHERE id = :i", i=photo) == [1600, 1200]
    # Shrinking dropped the EXIF; the capture time and the phone's position came along beside the photo, and
    # the position is near the problem, so nothing is flagged.
    assert scalar("SELECT taken_at IS NOT NULL FROM problem_photos WHERE id = :i", i=photo)
    assert scalar("SELECT gps_lon IS NOT NULL AND gps_lat IS NOT NULL AND flags = '{}' FROM problem_photos "
                  "WHERE id = :i", i=photo)
    _done(page, server)
    context.close()


def test_a_patrol_along_the_lane_marks_it_patrolled_today(browser, server, crew):
    coords = crew["coords"]
    context, page = _phone(browser, server, crew["chief"], "/m/", coords[0])
    page.wait_for_selector("#m-places li .m-tag")
    assert "今日未巡查" in page.text_content("#m-places")
    page.select_option("#m-patrol-mode", "bike")
    page.click("#m-patrol-start")
    # Ride the lane: a fix every 2.5 s, each some metres on (well under 35 km/h).
    steps = []
    for (x0, y0), (x1, y1) in zip(coords, coords[1:], strict=False):
        steps += [(x0 + (x1 - x0) * k / 4, y0 + (y1 - y0) * k / 4) for k in range(4)]
    steps.append(tuple(coords[-1]))
    for lon, lat in steps[:: max(1, len(steps) // 8)] + [steps[-1]]:
        context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 6})
        page.wait_for_timeout(2500)
    page.reload()  # the patrol survives a reload: its fixes are on the phone
    assert page.is_visible("#m-patrol-stop")
    assert "进行中" in page.text_content("#m-patrol-state")
    page.click("#m-patrol-stop")
    try:
        page.wait_for_selector("body[data-patrolled]", timeout=30_000)
    except Exception as exc:  # say why: the outbox's words for the job
        jobs = page.evaluate("M_OUTBOX.list().then((j) => JSON.stringify(j.map((x) => [x.error, x.lastTry])))")
        raise AssertionError((page.text_content("#m-patrol-state"), page.text_content("#m-patrol-note"), jobs)) from exc
    patrol = int(page.get_attribute("body", "data-patrolled"))
    assert scalar("SELECT person_id FROM patrols WHERE id = :i", i=patrol) == crew["person"]
    assert scalar("SELECT count(*) FROM patrol_hits WHERE patrol_id = :i AND layer = 'streets' AND feature_id = :f",
                  i=patrol, f=crew["lane"]) == 1
    page.wait_for_selector("#m-places .m-tag:not(.red)")
    assert "今日已巡查" in page.text_content("#m-places")
    _shot(page, "home-patrolled-390")
    _done(page, server)
    context.close()


def test_an_inspector_fails_an_item_with_a_photo(browser, server, crew, picture):
    point = scalar("SELECT a.id FROM assessment_points a WHERE a.region_code LIKE :r AND EXISTS (SELECT 1 FROM "
                   "checklist_items c WHERE c.point_type = a.point_type) ORDER BY a.id LIMIT 1", r=REGION + "%")
    where = [scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM assessment_points WHERE id = :i", i=point)
             for c in "XY"]
    context, page = _phone(browser, server, crew["inspector"], "/m/points", where)
    page.wait_for_selector("#m-points-order:has-text('离我最近')")
    page.click(f"#m-points a[href='/m/visit/{point}']")
    page.wait_for_url(f"{server}/m/visit/{point}")
    items = page.locator(".m-item")
    code = items.nth(0).get_attribute("data-code")
    items.nth(0).locator("input[value='0']").check()
    items.nth(0).locator("textarea").fill("门口堆放杂物")
    items.nth(0).locator("input[type=file]").set_input_files(picture)
    page.wait_for_selector(".m-item >> nth=0 >> .m-thumbs img")
    _shot(page, "visit-390")
    before = scalar("SELECT count(*) FROM inspection_visits WHERE point_id = :p", p=point)
    page.click("#m-visit button[type=submit]")
    page.wait_for_selector("body[data-visited]", timeout=30_000)
    visit = int(page.get_attribute("body", "data-visited"))
    assert scalar("SELECT count(*) FROM inspection_visits WHERE point_id = :p", p=point) == before + 1
    problem = scalar("SELECT r.problem_id FROM inspection_results r JOIN checklist_items i ON i.id = r.item_id "
                     "WHERE r.visit_id = :v AND i.code = :c AND NOT r.passed", v=visit, c=code)
    assert problem is not None and "门口堆放杂物" in scalar("SELECT description FROM problems WHERE id = :p", p=problem)
    assert "已提交" in page.text_content("#m-visit-state")  # the job is done: the visit and its photos
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :p", p=problem) == 1
    assert scalar("SELECT count(*) FROM inspection_results WHERE visit_id = :v AND passed", v=visit) == \
        page.locator(".m-item").count() - 1
    _done(page, server)
    context.close()
