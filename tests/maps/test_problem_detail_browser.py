"""The page of one problem (/maps/problems/{id}) in headless Chromium, logged in with a password: the office takes a
report through its whole lifecycle by clicking (立案, 派遣 to one of the place's owners, 签收整改, 整改完成 with a
rectification photo; then another account, since whoever rectified may not verify: 核查通过 with a new photo, 销号)
and sees the photos; then the database is asserted. A viewer
sees no buttons, a problem of another 街道 is a 404 page, and a re-sent rectification photo shows the API's
refusal in the page. No request leaves this host."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from gis.db import transaction
from tests import crafted
from tests.conftest import scalar
from tests.images import encode, photo, street
from tests.maps.browser import CHROMIUM, account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Lanterns-over-the-Huai"
SUBDISTRICT = "411421002"
SHOTS = Path("/tmp/shots/detail")
SIZES = {"desktop": (1440, 900), "laptop": (1024, 768), "phone": (390, 844)}


def _account(login, role, region=None, name="办公室测试员"):
    return account(login, role, PASSWORD, name=name, region=region)


@pytest.fixture(scope="module")
def spots(demo):
    """Spots 50 m apart inside the largest 社区 of 街道 411421002."""
    return iter(crafted.spots(SUBDISTRICT, 50, "east_first"))


def _report(client, admin, spots):
    """A new report (not a duplicate) on a street with a person among its owners; its JSON."""
    for lon, lat in spots:
        r = client.post("/api/v1/problems", headers=admin,
                        json={"category": "0401", "lon": lon, "lat": lat, "description": "店外经营，占用人行道"})
        assert r.status_code == 201, r.text
        got = r.json()
        if got["duplicate_of"] is None and got["street_id"] and any(o["person_id"] for o in got["owners"]):
            return got
    raise AssertionError("no spot with a person among its owners")


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _login(browser, server, login, size=SIZES["desktop"]):
    """A page of a fresh browser context logged in through the form, and the list of every URL it requested."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, server, login, PASSWORD, "/maps/")
    return page, requests


def _open(page, server, pid):
    response = page.goto(f"{server}/maps/problems/{pid}")
    page.wait_for_function("document.body.dataset.ccgridReady === '1'")
    return response


def _only_this_host(requests, server):
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(server).netloc}, hosts


def _do(page, action, to_status, *, note=None, photo_bytes=None, name="photo.jpg"):
    """Fill the action's form and submit it; wait for the reloaded page to show the new status."""
    form = page.locator(f"form.ccg-act[data-action='{action}']")
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    if photo_bytes is not None:
        form.locator("input[type=file]").set_input_files(
            files=[{"name": name, "mimeType": "image/jpeg", "buffer": photo_bytes}])
    page.evaluate("window.__before_action = true")  # gone once the page has reloaded (延期 keeps the status)
    form.locator("button[type=submit]").click()
    page.wait_for_function("!window.__before_action && document.body.dataset.ccgridReady === '1'")
    assert page.locator("#ccg-status").get_attribute("data-status") == to_status


def _images_loaded(page, selector):
    """Wait until every <img> matched has loaded with pixels; return their natural widths."""
    page.wait_for_function(f"[...document.querySelectorAll({selector!r})].every(i => i.complete && "
                           "i.naturalWidth > 0)", timeout=15_000)
    return page.eval_on_selector_all(selector, "els => els.map(i => i.naturalWidth)")


def _shots(browser, server, login, pid, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page, _ = _login(browser, server, login, size)
        _open(page, server, pid)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0] + 1, f"{name} overflows sideways at {label}: {width}px"
        page.context.close()


def test_the_office_takes_a_report_through_its_lifecycle_in_the_browser(browser, server, client, admin, spots):
    office = _account("detail-office", "city_office", name="王办事员")
    problem = _report(client, admin, spots)
    pid = problem["id"]
    owner = next(o for o in problem["owners"] if o["person_id"])
    page, requests = _login(browser, server, office["login"])
    _open(page, server, pid)
    assert page.locator("#ccg-status").get_attribute("data-status") == "reported"
    assert page.locator("body").get_attribute("data-map-drawn") in ("2", "3", "4")  # point, street (and more)
    assert page.locator("#ccg-problem-map .leaflet-overlay-pane path").count() >= 2
    assert owner["holder"] in page.locator("#ccg-owners").text_content()
    assert "尚未派遣" in page.locator("#ccg-deadline").text_content()

    _do(page, "立案", "registered", note="属实，予以立案")
    page.locator("form.ccg-act[data-action='派遣'] select[name=assignee]").select_option(
        f"assignee_person_id:{owner['person_id']}")
    _do(page, "派遣", "dispatched")
    assert page.locator("#ccg-assignee").text_content() == owner["holder"]
    assert "个工作日" in page.locator("#ccg-deadline").text_content() or "今日到期" in page.content()
    _do(page, "签收整改", "in_progress")
    assert "最多延长" in page.locator("form.ccg-act[data-action='延期']").text_content()
    fixed = encode(street(31))
    checked = encode(street(77))  # the re-inspection: a new photo of the spot, not the rectification photo again
    _do(page, "整改完成", "rectified", note="已清理", photo_bytes=fixed, name="fix.jpg")
    # Whoever marked it rectified may not verify it (the category's verifier_must_differ): the page says so.
    assert page.locator("form.ccg-act[data-action='核查通过']").count() == 0
    assert "须由他人核查" in page.locator(".ccg-act-blocked[data-action='核查通过']").text_content()
    _only_this_host(requests, server)
    page.context.close()
    checker = _account("detail-checker", "city_office", name="赵核查员")
    page, requests = _login(browser, server, checker["login"])
    _open(page, server, pid)
    _do(page, "核查通过", "verified", photo_bytes=checked, name="check.jpg")
    _do(page, "销号", "closed")
    assert page.locator("form.ccg-act").count() == 0  # final: nothing left to do

    widths = _images_loaded(page, "#ccg-photos img")
    assert len(widths) == 2 and min(widths) > 0
    assert _images_loaded(page, "#ccg-timeline img") and page.locator("#ccg-timeline img").count() == 2
    page.locator("#ccg-photos a.ccg-thumb").first.click()  # full size, in the page
    assert _images_loaded(page, "#ccg-lightbox img")[0] == 640
    timeline = page.locator("#ccg-timeline").text_content()
    assert "王办事员" in timeline and "赵核查员" in timeline and f"派遣给 {owner['holder']}" in timeline
    _only_this_host(requests, server)
    page.context.close()

    actions = ["上报", "立案", "派遣", "签收整改", "整改完成", "核查通过", "销号"]
    with transaction() as s:
        assert s.execute(text("SELECT status FROM problems WHERE id = :p"), {"p": pid}).scalar() == "closed"
        events = s.execute(text("SELECT action, actor_user_id, assignee_person_id, photo_id FROM problem_events "
                                "WHERE problem_id = :p ORDER BY id"), {"p": pid}).mappings().all()
        assert [e["action"] for e in events] == actions
        assert [e["actor_user_id"] for e in events[1:]] == [office["id"]] * 4 + [checker["id"]] * 2
        assert events[2]["assignee_person_id"] == owner["person_id"]
        photos = s.execute(text("SELECT id, created_by FROM problem_photos WHERE problem_id = :p ORDER BY id"),
                           {"p": pid}).all()
    assert [f.created_by.split(" ")[0] for f in photos] == [f"user:{office['id']}", f"user:{checker['id']}"]
    assert [events[4]["photo_id"], events[5]["photo_id"]] == [f.id for f in photos]
    _shots(browser, server, office["login"], pid, "closed")


def test_a_resent_rectification_photo_is_refused_in_the_page(browser, server, client, admin, spots):
    office = _account("detail-office-2", "city_office", name="李核查员")
    pid = _report(client, admin, spots)["id"]
    for action in ("立案", "派遣", "签收整改"):
        assert client.post(f"/api/v1/problems/{pid}/actions", json={"action": action}, headers=admin).is_success
    fixed = photo(4242)
    fid = client.post(f"/api/v1/problems/{pid}/photos", files={"file": ("f.jpg", fixed, "image/jpeg")},
                      headers=admin).json()["id"]
    assert client.post(f"/api/v1/problems/{pid}/actions", json={"action": "整改完成", "photo_id": fid},
                       headers=admin).is_success
    page, requests = _login(browser, server, office["login"])
    _open(page, server, pid)
    form = page.locator("form.ccg-act[data-action='核查通过']")
    form.locator("input[type=file]").set_input_files(files=[{"name": "again.jpg", "mimeType": "image/jpeg",
                                                             "buffer": fixed}])
    form.locator("button[type=submit]").click()
    error = form.locator(".ccg-form-error")
    error.wait_for(state="visible")
    assert "same file" in error.text_content() and "虚假整改" in error.text_content()
    assert page.locator("#ccg-status").get_attribute("data-status") == "rectified"
    assert scalar("SELECT status FROM problems WHERE id = :p", p=pid) == "rectified"
    assert scalar("SELECT count(*) FROM problem_events WHERE problem_id = :p AND action = '核查通过'", p=pid) == 0
    # 退回 needs its reason: the browser will not send the form without it, the API names the field when sent.
    page.locator("form.ccg-act[data-action='退回'] button[type=submit]").click()
    assert page.locator("form.ccg-act[data-action='退回'] textarea:invalid").count() == 1
    _only_this_host(requests, server)
    page.context.close()
    _shots(browser, server, office["login"], pid, "rectified")


def test_a_viewer_sees_no_buttons_and_another_region_sees_a_404_page(browser, server, client, admin, spots):
    pid = _report(client, admin, spots)["id"]
    viewer = _account("detail-viewer", "viewer", name="只读访客")
    page, requests = _login(browser, server, viewer["login"])
    response = _open(page, server, pid)
    assert response.status == 200 and page.locator("#ccg-status").get_attribute("data-status") == "reported"
    assert page.locator("form.ccg-act").count() == 0 and page.locator("#ccg-actions").count() == 0
    assert page.locator("button", has_text="立案").count() == 0
    assert page.locator("#ccg-problem-map .leaflet-overlay-pane path").count() >= 1
    for missing in (999_999_999, "abc", "9" * 40):
        r = page.goto(f"{server}/maps/problems/{missing}")
        assert r.status == 404 and "不存在" in page.content()
    _only_this_host(requests, server)
    page.context.close()

    other = _account("detail-staff-001", "subdistrict_staff", region="411421001", name="邻街工作人员")
    page, _ = _login(browser, server, other["login"])
    r = page.goto(f"{server}/maps/problems/{pid}")
    assert r.status == 404 and "不在您的管辖范围内" in page.content() and "店外经营" not in page.content()
    photo_id = client.post(f"/api/v1/problems/{pid}/photos", files={"file": ("x.jpg", photo(99), "image/jpeg")},
                           headers=admin).json()["id"]
    r = page.goto(f"{server}/api/v1/problems/{pid}/photos/{photo_id}?size=thumb")
    assert r.status == 404  # the thumbnail is scope-checked too
    page.context.close()

    mine = _account("detail-staff-002", "subdistrict_staff", region=SUBDISTRICT, name="本街工作人员")
    page, _ = _login(browser, server, mine["login"])
    r = page.goto(f"{server}/api/v1/problems/{pid}/photos/{photo_id}?size=thumb")
    assert r.status == 200 and r.headers["content-type"] == "image/jpeg"
    page.context.close()


def test_dispatch_to_a_person_found_by_name(browser, server, client, admin, spots):
    office = _account("detail-office-3", "city_office", name="赵派遣员")
    problem = _report(client, admin, spots)
    pid = problem["id"]
    assert client.post(f"/api/v1/problems/{pid}/actions", json={"action": "立案"}, headers=admin).is_success
    with transaction() as s:  # someone of the 街道 who owns nothing at this spot
        person = s.execute(text("INSERT INTO people (name, region_code) VALUES ('钱多多（临时）', :r) RETURNING id"),
                           {"r": f"{SUBDISTRICT}001"}).scalar_one()
    page, requests = _login(browser, server, office["login"])
    _open(page, server, pid)
    form = page.locator("form.ccg-act[data-action='派遣']")
    form.locator(".ccg-person-q").fill("钱多多")
    page.wait_for_selector(f"form.ccg-act[data-action='派遣'] option[value='assignee_person_id:{person}']",
                           state="attached")
    assert form.locator("select[name=assignee]").input_value() == f"assignee_person_id:{person}"
    _do(page, "派遣", "dispatched")
    assert page.locator("#ccg-assignee").text_content() == "钱多多（临时）"
    assert any("/api/v1/people?" in u and "q=" in u for u in requests)
    _only_this_host(requests, server)
    page.context.close()
    assert scalar("SELECT assignee_person_id FROM problem_events WHERE problem_id = :p AND action = '派遣'",
                  p=pid) == person
    assert scalar("SELECT actor_user_id FROM problem_events WHERE problem_id = :p AND action = '派遣'",
                  p=pid) == office["id"]


def test_extension_within_the_limit_and_linked_duplicates(browser, server, client, admin, spots):
    office = _account("detail-office-4", "city_office", name="孙延期员")
    problem = _report(client, admin, spots)
    pid = problem["id"]
    for action in ("立案", "派遣", "签收整改"):
        assert client.post(f"/api/v1/problems/{pid}/actions", json={"action": action}, headers=admin).is_success
    again = client.post("/api/v1/problems", headers=admin, json={"category": "0401", "lon": problem["lon"],
                                                                 "lat": problem["lat"]}).json()
    assert again["duplicate_of"] == pid
    page, requests = _login(browser, server, office["login"])
    _open(page, server, pid)
    assert f"#{again['id']}" in page.locator("#ccg-links").text_content()
    form = page.locator("form.ccg-act[data-action='延期']")
    latest = form.locator("input[name=due_at]").get_attribute("max")
    assert latest and "最多延长" in form.text_content()
    form.locator("input[name=due_at]").fill(latest)
    _do(page, "延期", "in_progress", note="需协调城管与市场监管")
    assert page.locator("#ccg-timeline tr[data-action='延期']").count() == 1
    with transaction() as s:
        row = s.execute(text("SELECT to_char(due_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI') AS due, "
                             "extension_count FROM problems WHERE id = :p"), {"p": pid}).one()
    assert row.due == latest and row.extension_count == 1
    # The duplicate's page points at its master and offers nothing to do.
    _open(page, server, again["id"])
    assert f"#{pid}" in page.locator("#ccg-links").text_content()
    assert page.locator("form.ccg-act").count() == 0
    _only_this_host(requests, server)
    page.context.close()
