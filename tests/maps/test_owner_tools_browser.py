"""Issue #17's handover and roster jobs in a browser. A city office account logs in with its password, opens a
person leaving the job, chooses 全部交接给他人, picks the successor, previews (every place and the open problem
listed, nothing written), confirms, and the database has the successor holding each place with the problem; then
uploads a roster whose preview shows the matched, created and refused rows, imports the good rows (after ticking
跳过有误的行 and previewing again) and finds exactly those in the database. No request leaves this host."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import scalar
from tests.maps.browser import CHROMIUM, account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Owner-tools-page-2026"
REGION = "411421001"
SHOTS = Path(os.environ.get("CCGRID_SHOTS", "/tmp/shots/owners"))


def _person(client, admin, name, phone):
    r = client.post("/api/v1/people", json={"name": name, "phone": phone, "region_code": REGION}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _free_cells(n, offset=0):
    return [scalar("SELECT code FROM grid_cells g WHERE region_code LIKE :r AND NOT EXISTS (SELECT 1 FROM "
                   "assignments a WHERE a.layer = 'grid_cells' AND a.feature_id = g.id AND a.role = 'area_chief') "
                   "ORDER BY id DESC "
                   "OFFSET :o LIMIT 1", r=REGION + "%", o=offset + i) for i in range(n)]


@pytest.fixture(scope="module")
def leaving(client, admin):
    """交接离任人 holds two grid cells as 片长 and a back lane as 路长; a problem is open on the lane. (Every
    cell has its one 网格员 already: 片长 is a role a cell may have beside it.)"""
    from tests.api.test_handover_api import _report_on

    old = _person(client, admin, "交接离任人", "13700000401")
    new = _person(client, admin, "交接接任人", "13700000402")
    lane = scalar("SELECT id FROM streets s WHERE road_class = 'back_lane' AND region_code LIKE :r "
                  "AND ST_GeometryType(geom) = 'ST_LineString' AND NOT EXISTS (SELECT 1 FROM assignments a "
                  "WHERE a.layer = 'streets' AND a.feature_id = s.id) ORDER BY id LIMIT 1", r=REGION + "%")
    for body in [{"role": "片长", "layer": "grid_cells", "code": c} for c in _free_cells(2)] + \
                [{"role": "路长", "layer": "streets", "feature_id": lane}]:
        r = client.post("/api/v1/assignments", json={**body, "person_id": old, "valid_from": "2026-11-01"},
                        headers=admin)
        assert r.status_code == 201, r.text
    return {"old": old, "new": new, "lane": lane, "problem": _report_on(lane)}


@pytest.fixture(scope="module")
def office_page(server):
    from playwright.sync_api import sync_playwright

    login = account("owner-tools-office", "city_office", PASSWORD, name="交接导入测试")["login"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, server, login, PASSWORD, "/maps/people")
        yield page, requests, errors
        assert not errors, errors
        hosts = {urlsplit(u).netloc for u in requests if not u.startswith("data:")}
        assert hosts == {urlsplit(server).netloc}, hosts
        browser.close()


def _current(person):
    return scalar("SELECT count(*) FROM assignments_on(current_date) WHERE person_id = :p", p=person)


def test_hand_everything_a_person_holds_to_the_successor(office_page, server, leaving):
    page, _, _ = office_page
    old, new = leaving["old"], leaving["new"]
    page.goto(f"{server}/maps/people/{old}")
    page.click("#ccg-person-handover")
    page.wait_for_url(f"{server}/maps/owners/handover?from_person_id={old}")
    assert page.input_value("#ccg-handover input[name=from_person_id]") == str(old)
    confirm = "#ccg-handover button[type=submit]"
    assert page.is_disabled(confirm)  # nothing to confirm before a preview
    page.fill("#ccg-handover [data-prefix=to_] .ccg-picker-q", "交接接任")
    page.click("#ccg-handover [data-prefix=to_] .ccg-picker-option:has-text('交接接任人')")
    page.click("[data-handover-preview]")
    page.wait_for_selector("#ccg-handover-preview:not([hidden]) #ccg-handover-places tbody tr")
    assert page.locator("#ccg-handover-places tbody tr").count() == 3
    assert "将移交 3 处地点" in page.text_content("#ccg-handover-preview .ccg-preview-title")
    assert page.locator(f"#ccg-handover-problems a:has-text('#{leaving['problem']}')").count() == 1
    assert _current(old) == 3 and _current(new) == 0  # a preview writes nothing
    page.screenshot(path=str(SHOTS / "handover-preview-1440.png"), full_page=True)

    # A change after the preview asks for a new one; previewing again enables 确认移交.
    page.select_option("#ccg-handover select[name=layer]", "grid_cells")
    assert page.is_disabled(confirm)
    page.select_option("#ccg-handover select[name=layer]", "")
    page.click("[data-handover-preview]")
    page.wait_for_selector(f"{confirm}:not([disabled])")
    page.click(confirm)
    page.wait_for_selector("#ccg-handover-flash:has-text('已移交 3 处地点')")
    assert _current(old) == 0 and _current(new) == 3
    owned_by = scalar("SELECT array_agg(a.person_id) FROM problem_owners o JOIN assignments a "
                      "ON a.id = o.assignment_id WHERE o.problem_id = :q", q=leaving["problem"])
    assert new in owned_by and old not in owned_by
    assert page.is_disabled(confirm)  # done: a second click would need a new preview


def test_import_a_roster_after_its_preview(office_page, server, leaving, tmp_path):
    page, _, _ = office_page
    first, second = _free_cells(2, offset=10)
    roster = tmp_path / "花名册.csv"
    roster.write_text("姓名,电话,角色,图层,编码\n"
                      f"名册新片长,13700000411,片长,网格,{first}\n"
                      f"交接接任人,13700000402,片长,网格,{second}\n"
                      "名册错行,13700000413,片长,网格,NO-SUCH-CELL\n", encoding="utf-8")
    before = scalar("SELECT count(*) FROM assignments")
    page.goto(f"{server}/maps/owners/import")
    page.set_input_files("#ccg-roster input[name=file]", str(roster))
    page.click("[data-roster-preview]")
    page.wait_for_selector("#ccg-roster-preview:not([hidden])")
    assert page.locator("#ccg-roster-rejected tbody tr").count() == 1
    assert "NO-SUCH-CELL" in page.text_content("#ccg-roster-rejected") or \
        "4" in page.text_content("#ccg-roster-rejected td.num")
    rows = page.locator("#ccg-roster-rows tbody tr")
    assert rows.count() == 2
    assert "新建" in rows.nth(0).text_content() and "已有" in rows.nth(1).text_content()
    assert page.is_disabled("#ccg-roster button[type=submit]")  # a refused row stops the whole file
    assert scalar("SELECT count(*) FROM assignments") == before
    page.screenshot(path=str(SHOTS / "import-preview-1440.png"), full_page=True)

    page.check("#ccg-roster input[name=skip_invalid]")
    assert page.is_disabled("#ccg-roster button[type=submit]")  # ticking asks for a new preview
    page.click("[data-roster-preview]")
    page.wait_for_selector("#ccg-roster button[type=submit]:not([disabled])")
    page.click("#ccg-roster button[type=submit]")
    page.wait_for_selector("#ccg-roster-flash:has-text('已导入 2 行')")
    assert scalar("SELECT count(*) FROM assignments") == before + 2
    assert scalar("SELECT count(*) FROM assignments_on(current_date) a JOIN grid_cells g ON g.id = a.feature_id "
                  "JOIN people p ON p.id = a.person_id WHERE a.layer = 'grid_cells' AND g.code = :c "
                  "AND p.name = '名册新片长' AND a.role = 'area_chief'", c=first) == 1
    assert scalar("SELECT count(*) FROM assignments_on(current_date) a JOIN grid_cells g ON g.id = a.feature_id "
                  "WHERE a.layer = 'grid_cells' AND g.code = :c AND a.person_id = :p AND a.role = 'area_chief'",
                  c=second, p=leaving["new"]) == 1
    assert scalar("SELECT count(*) FROM people WHERE name = '名册错行'") == 0
