"""Issue #18, the field app's report (/m/report) on a phone (390×844, touch, geolocation on a demo street): a street
chief logs in with a password, picks a category, takes a photo and reports; the answer names where it went and who
owns it. Offline, the report and its photo wait in the outbox and go when the network returns; when the first send
reached the server but its answer was lost, the retry writes nothing twice. Each asserts the database."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM
from tests.conftest import scalar
from tests.images import encode
from tests.images import picture as picture_of
from tests.maps.browser import CHROMIUM, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Reports-from-the-street"
REGION = "411421001"
SHOTS = Path(os.environ.get("CCGRID_SHOTS", "/tmp/shots/field"))


@pytest.fixture(scope="module")
def chief(demo):
    """A 路长 of the demo with an account, and the middle of one of their streets (where the phone says it is)."""
    person, street = scalar(
        "SELECT array[a.person_id, a.feature_id] FROM assignments_on(current_date) a JOIN people p ON p.id = "
        "a.person_id JOIN streets s ON s.id = a.feature_id WHERE a.layer = 'streets' AND a.role = 'road_chief' "
        "AND s.region_code LIKE :r AND ST_GeometryType(s.geom) = 'ST_LineString' ORDER BY a.id LIMIT 1",
        r=REGION + "%")
    lon, lat = (scalar(f"SELECT ST_{c}(ST_LineInterpolatePoint(geom, 0.5)) FROM streets WHERE id = :i", i=street)
                for c in "XY")
    with transaction() as s:
        user = users.create(s, SYSTEM, login="field-report-chief", display_name="外勤路长", role="street_chief",
                            region_code=REGION, person_id=person, password=PASSWORD, must_change_password=False)
    return {"login": user["login"], "person": person, "street": street, "lon": lon, "lat": lat}


@pytest.fixture(scope="module")
def phone(server, chief, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    picture = tmp_path_factory.mktemp("camera") / "IMG_0001.jpg"
    picture.write_bytes(encode(picture_of(41, (1600, 1200))))  # the phone shrinks it to a 1600 px long edge
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      geolocation={"latitude": chief["lat"], "longitude": chief["lon"], "accuracy": 8},
                                      permissions=["geolocation"], locale="zh-CN")
        page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/login?next=/m/report")
        page.fill("input[name=login]", chief["login"])
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(f"{server}/m/report")
        yield {"page": page, "context": context, "requests": requests, "errors": errors, "picture": str(picture)}
        browser.close()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _counts(description):
    return (scalar("SELECT count(*) FROM problems WHERE description = :d", d=description),
            scalar("SELECT count(*) FROM problem_photos f JOIN problems p ON p.id = f.problem_id "
                   "WHERE p.description = :d", d=description))


def _until(page, condition, seconds=20):
    for _ in range(seconds * 10):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("waited in vain")


def _fill(phone, description):
    page = phone["page"]
    page.goto(page.url.split("/m/")[0] + "/m/report")
    page.wait_for_function("document.querySelector('#m-accuracy').textContent.includes('±')")
    page.click("#m-common .m-chip >> nth=0")
    page.set_input_files("input[name=photo]", phone["picture"])
    page.wait_for_selector("#m-thumbs img")
    page.fill("textarea[name=description]", description)


def test_a_street_chief_reports_with_a_photo_and_sees_where_it_went(phone, chief, server):
    page = phone["page"]
    _fill(phone, "外勤测试：人行道摆摊")
    assert "±8 米" in page.text_content("#m-accuracy")
    category = page.get_attribute("#m-common .m-chip >> nth=0", "data-code")
    _shot(page, "report-390")
    page.click("#m-report button[type=submit]")
    page.wait_for_selector("body[data-reported]", timeout=20_000)
    pid = int(page.get_attribute("body", "data-reported"))
    row = scalar("SELECT array[category_code, street_id::text, source, created_by] FROM problems WHERE id = :i", i=pid)
    assert row[0] == category and int(row[1]) == chief["street"] and row[2] == "patrol"
    assert row[3].startswith("user:")  # the account, not a token, reported it
    assert scalar("SELECT count(*) FROM problem_photos WHERE problem_id = :i", i=pid) == 1
    # The answer says where it went and who owns the place: this chief is among the owners.
    name = scalar("SELECT name FROM people WHERE id = :i", i=chief["person"])
    result = page.text_content("#m-result")
    assert f"已上报 #{pid}" in result and name in result
    assert scalar("SELECT name FROM streets WHERE id = :i", i=chief["street"]) in result
    _shot(page, "report-done-390")
    hosts = {urlsplit(u).netloc for u in phone["requests"] if u.startswith("http")}
    assert hosts == {urlsplit(server).netloc}, hosts
    assert not phone["errors"], phone["errors"]


def test_offline_the_report_waits_and_goes_once_when_the_network_returns(phone):
    page, context = phone["page"], phone["context"]
    _fill(phone, "外勤测试：离线上报")
    context.set_offline(True)
    page.click("#m-report button[type=submit]")
    page.wait_for_selector("#m-outbox-badge:not([hidden])")
    assert page.text_content("#m-outbox-badge span") == "1"
    assert "无网络" in page.text_content("#m-result")
    page.wait_for_timeout(500)
    assert _counts("外勤测试：离线上报") == (0, 0)  # nothing reached the server
    _shot(page, "report-offline-390")
    context.set_offline(False)  # the page's "online" event sends what waits
    page.wait_for_selector("body[data-reported]", timeout=30_000)
    page.wait_for_selector("#m-outbox-badge[hidden]", state="attached")
    assert _counts("外勤测试：离线上报") == (1, 1)


def test_an_answer_lost_on_the_way_back_is_not_a_second_report(phone):
    page = phone["page"]
    _fill(phone, "外勤测试：回执丢失")
    lost = {"problems": 0, "photos": 0}

    def drop_the_first_answer(route, kind):
        if lost[kind] == 0:
            lost[kind] += 1
            route.fetch()  # the server writes it ...
            route.abort("connectionreset")  # ... and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/problems", lambda r: drop_the_first_answer(r, "problems"))
    page.route("**/api/v1/problems/*/photos", lambda r: drop_the_first_answer(r, "photos"))
    page.click("#m-report button[type=submit]")
    _until(page, lambda: lost["problems"] == 1)
    page.wait_for_function("!M_OUTBOX.sending()")
    assert _counts("外勤测试：回执丢失") == (1, 0)  # written once, the phone does not know it
    page.evaluate("M_OUTBOX.flush()")  # the next retry (it would come by itself within 20 s): now the photo's
    _until(page, lambda: lost["photos"] == 1)  # answer is lost on the way
    page.wait_for_function("!M_OUTBOX.sending()")
    assert _counts("外勤测试：回执丢失") == (1, 1)
    page.evaluate("M_OUTBOX.flush()")
    page.wait_for_selector("body[data-reported]", timeout=30_000)
    assert lost == {"problems": 1, "photos": 1}
    assert _counts("外勤测试：回执丢失") == (1, 1)
    page.unroute("**/api/v1/problems")
    page.unroute("**/api/v1/problems/*/photos")


def test_a_refused_report_comes_back_to_the_form_saying_why(phone, chief):
    """A spot outside the chief's 街道: the server refuses it; the form comes back as filled, with the reason in
    Chinese, and nothing is left waiting in the outbox or written."""
    page, context = phone["page"], phone["context"]
    x, y = (scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM regions WHERE code = '411421002'") for c in "XY")
    context.set_geolocation({"latitude": y, "longitude": x, "accuracy": 8})
    try:
        _fill(phone, "外勤测试：辖区外")
        page.click("#m-report button[type=submit]")
        page.wait_for_selector("#m-error:has-text('辖区')", timeout=20_000)
        assert page.is_visible("#m-report") and not page.is_visible("#m-result")
        assert page.input_value("textarea[name=description]") == "外勤测试：辖区外"  # nothing to type again
        assert page.locator("#m-thumbs img").count() == 1
        assert page.evaluate("M_OUTBOX.list().then((j) => j.length)") == 0
        assert _counts("外勤测试：辖区外") == (0, 0)
        _shot(page, "report-refused-390")
    finally:
        context.set_geolocation({"latitude": chief["lat"], "longitude": chief["lon"], "accuracy": 8})
