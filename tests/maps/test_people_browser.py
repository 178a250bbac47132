"""The people and units pages (/maps/people, /maps/people/{id}, /maps/units/{id}) in headless Chromium: a city office
account logs in with its password, searches, adds a person (a duplicate phone is refused in the form, naming the
field), edits a title, empties it again, deactivates the person and opens their 督导单; adds a unit, opens it from
the units list, renames it, clears its phone and deactivates it; each step is checked in the database. A viewer
sees no phone numbers. No request leaves this host."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import scalar
from tests.maps.browser import account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "People-of-the-old-town"
SHOTS = Path(os.environ.get("CCGRID_SHOTS", "/tmp/shots/coverage"))
PHONE = "13655598765"


def _login(browser, server, role):
    login = account(f"people-{role}", role, PASSWORD, name=f"人员测试{role}")["login"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, server, login, PASSWORD, "/maps/people")
    return page, requests


@pytest.fixture(scope="module")
def office(browser, server):
    return _login(browser, server, "city_office")


def _shots(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (1024, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def _only_here(requests, server):
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
    assert hosts == {urlsplit(server).netloc}, hosts


def test_search_and_a_persons_current_places(office, server):
    page, requests = office
    busy = scalar("SELECT p.id FROM people p JOIN assignments_on(current_date) a ON a.person_id = p.id "
                  "WHERE p.active GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1")
    name = scalar("SELECT name FROM people WHERE id = :i", i=busy)
    page.fill("#ccg-people-search input[name=q]", name)
    page.click("#ccg-people-search button[type=submit]")
    page.wait_for_load_state()
    assert "q=" in page.url and "phone=" not in page.url  # empty fields stay out of the address
    rows = page.locator("#ccg-people-table tbody tr")
    assert rows.count() >= 1 and all(name in rows.nth(i).locator("td").first.text_content()
                                     for i in range(rows.count()))
    _shots(page, "people-list")
    page.click(f"#ccg-people-table tr[data-id='{busy}'] a >> nth=0")
    page.wait_for_url(f"{server}/maps/people/{busy}")
    current = scalar("SELECT count(*) FROM assignments_on(current_date) WHERE person_id = :i", i=busy)
    assert page.locator("#ccg-person-current tbody tr").count() == current > 0
    assert page.locator("#ccg-person-current a[href^='/maps/places/']").count() == current
    _shots(page, "people-detail")
    _only_here(requests, server)


def test_add_edit_deactivate_and_the_supervision_sheet(office, server):
    page, requests = office
    requests.clear()
    page.goto(f"{server}/maps/people")
    form = page.locator("#ccg-person-new")
    form.locator("input[name=name]").fill("页面新增人")
    form.locator("input[name=phone]").fill(PHONE)
    form.locator("input[name=title]").fill("志愿者")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server}/maps/people/*")
    pid = int(page.url.rsplit("/", 1)[1])
    assert scalar("SELECT name || '|' || phone || '|' || title FROM people WHERE id = :i", i=pid) == \
        f"页面新增人|{PHONE}|志愿者"

    page.goto(f"{server}/maps/people")  # the same phone again: refused in the form, naming the field
    form = page.locator("#ccg-person-new")
    form.locator("input[name=name]").fill("重号的人")
    form.locator("input[name=phone]").fill(PHONE)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#ccg-person-new .ccg-form-error:not(:empty)")
    assert "phone" in form.locator(".ccg-form-error").text_content()
    assert form.locator("input[name=phone]").get_attribute("aria-invalid") == "true"
    assert scalar("SELECT count(*) FROM people WHERE name = '重号的人'") == 0

    page.goto(f"{server}/maps/people/{pid}")
    edit = page.locator("#ccg-person-edit")
    edit.locator("input[name=title]").fill("街道级街长")
    with page.expect_navigation():
        edit.locator("button[type=submit]").click()
    assert page.locator("#ccg-person-title").text_content() == "街道级街长"
    assert scalar("SELECT title FROM people WHERE id = :i", i=pid) == "街道级街长"
    page.locator("#ccg-person-edit input[name=title]").fill("")  # emptied on purpose: cleared, not ignored
    with page.expect_navigation():
        page.locator("#ccg-person-edit button[type=submit]").click()
    assert scalar("SELECT title FROM people WHERE id = :i", i=pid) is None

    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("#ccg-person-deactivate button[type=submit]")
    assert page.locator("#ccg-person-inactive").is_visible()
    assert scalar("SELECT active FROM people WHERE id = :i", i=pid) is False

    with page.expect_popup() as opened:
        page.click("#ccg-sheet-html")
    sheet = opened.value
    sheet.wait_for_load_state()
    assert "创建全国文明城市问题督导单" in sheet.content() and "页面新增人" in sheet.content()
    href = page.get_attribute("#ccg-sheet-html", "href")
    r = page.request.get(f"{server}{href}")
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    r = page.request.get(f"{server}{page.get_attribute('#ccg-sheet-xlsx', 'href')}")
    assert r.status == 200 and "spreadsheetml" in r.headers["content-type"]
    sheet.close()
    _only_here(requests, server)


def test_add_a_unit_then_edit_and_deactivate_it(office, server):
    page, requests = office
    requests.clear()
    page.goto(f"{server}/maps/people")
    form = page.locator("#ccg-unit-new")
    form.locator("input[name=name]").fill("页面新增单位")
    form.locator("input[name=phone]").fill("0370-5551234")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    uid = scalar("SELECT id FROM units WHERE name = '页面新增单位'")
    page.click(f"#ccg-units-table a[href='/maps/units/{uid}']")
    page.wait_for_url(f"{server}/maps/units/{uid}")
    edit = page.locator("#ccg-unit-edit")
    edit.locator("input[name=name]").fill("页面改名单位")
    edit.locator("select[name=kind]").select_option("patron_unit")
    edit.locator("input[name=phone]").fill("")
    with page.expect_navigation():
        edit.locator("button[type=submit]").click()
    assert page.locator("h1").text_content().strip().startswith("页面改名单位")
    assert scalar("SELECT name || '|' || kind || '|' || coalesce(phone, '-') FROM units WHERE id = :i", i=uid) == \
        "页面改名单位|patron_unit|-"
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click("#ccg-unit-deactivate button[type=submit]")
    assert page.locator("#ccg-unit-inactive").is_visible()
    assert scalar("SELECT active FROM units WHERE id = :i", i=uid) is False
    _shots(page, "unit")
    _only_here(requests, server)


def test_a_viewer_sees_no_phone_numbers_and_no_forms(browser, server):
    page, requests = _login(browser, server, "viewer")
    phone = scalar("SELECT phone FROM people WHERE phone IS NOT NULL AND active ORDER BY id LIMIT 1")
    assert page.locator("#ccg-people-table tbody tr").count() > 0
    assert phone not in page.content() and "手机号" not in page.content()
    assert page.locator("#ccg-person-new").count() == 0
    first = page.locator("#ccg-people-table tbody tr").first.get_attribute("data-id")
    page.goto(f"{server}/maps/people/{first}")
    assert page.locator("#ccg-person-edit").count() == 0 and page.locator("#ccg-sheet-html").count() == 1
    _only_here(requests, server)
    page.context.close()
