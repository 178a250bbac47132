"""规则设置 (/maps/rules) in headless Chromium: an admin logs in with a password, opens the page from the top bar,
edits a category's deadline in its row (the database has it), is refused deleting a category in use with the
reason shown in the row, retires a category, sets a day of the calendar and loads a year's file after its preview.
A viewer has no link and gets 无权访问. No request leaves this host."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gis.db import transaction
from layers.access.caller import SYSTEM
from layers.rules import edit
from tests.conftest import scalar
from tests.maps.browser import account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Rules-of-the-old-town"
SHOTS = Path(os.environ.get("CCGRID_SHOTS", "/tmp/shots/rules"))
CODE = "0692"


@pytest.fixture(scope="module")
def admin_page(browser, server):
    with transaction() as s:
        edit.create(s, "categories", {"code": CODE, "parent_code": "06", "name": "浏览器测试类",
                                      "deadline_amount": 5, "deadline_unit": "days"}, caller=SYSTEM)
    login = account("rules-admin", "admin", PASSWORD, name="规则管理员")["login"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: d.accept())
    log_in(page, server, login, PASSWORD, "/maps/")
    return page, requests


def _shots(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def _row(page, table, key):
    return page.locator(f"#ccg-rules-{table} tr.ccg-rule-edit[data-key='{key}']")


def test_an_admin_edits_a_deadline_in_its_row(admin_page, server):
    page, requests = admin_page
    page.click(".ccg-bar a[href='/maps/rules']")
    page.wait_for_url(f"{server}/maps/rules")
    page.click(f"#ccg-rules-categories tr[data-key='{CODE}'] .ccg-rule-edit-btn")
    form = _row(page, "categories", CODE).locator("form[data-method=PATCH]")
    form.locator("input[name=deadline_amount]").fill("8")
    form.locator("select[name=deadline_unit]").select_option("hours")
    form.locator("input[name=duplicate_radius_m]").fill("")  # emptied on purpose: cleared
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert scalar("SELECT deadline_amount FROM problem_categories WHERE code = :c", c=CODE) == 8
    assert scalar("SELECT deadline_unit FROM problem_categories WHERE code = :c", c=CODE) == "hours"
    assert scalar("SELECT duplicate_radius_m FROM problem_categories WHERE code = :c", c=CODE) is None
    assert "8 工作小时" in page.locator(f"#ccg-rules-categories tr[data-key='{CODE}']").first.text_content()
    _shots(page, "rules-categories")
    assert {urlsplit(u).netloc for u in requests if not u.startswith("data:")} == {urlsplit(server).netloc}


def test_a_category_in_use_is_not_deleted_and_one_is_retired(admin_page, server):
    page, _ = admin_page
    page.goto(f"{server}/maps/rules")
    page.click("#ccg-rules-categories tr[data-key='0101'] .ccg-rule-edit-btn")
    row = _row(page, "categories", "0101")
    row.locator(".ccg-rule-delete button").click()
    error = row.locator(".ccg-rule-delete .ccg-form-error")
    error.wait_for()
    assert "in use by problems" in error.text_content() and "只能停用" in error.text_content()
    assert scalar("SELECT count(*) FROM problem_categories WHERE code = '0101'") == 1
    page.click(f"#ccg-rules-categories tr[data-key='{CODE}'] .ccg-rule-edit-btn")
    with page.expect_navigation():
        _row(page, "categories", CODE).locator(".ccg-rule-retire button").click()
    assert scalar("SELECT active FROM problem_categories WHERE code = :c", c=CODE) is False
    assert page.locator(f"#ccg-rules-categories tr[data-key='{CODE}'].ccg-retired").count() == 1


def test_the_calendar_sets_a_day_and_loads_a_file_after_its_preview(admin_page, server, tmp_path):
    page, _ = admin_page
    page.goto(f"{server}/maps/rules?tab=calendar&year=2035")
    assert page.locator("#ccg-cal-missing").count() == 1  # 2035 has no holidays yet
    page.fill("#ccg-cal-set-day", "2035-05-07")
    page.select_option("#ccg-cal-set select[name=is_workday]", "false")
    page.fill("#ccg-cal-set input[name=note]", "浏览器测试假日")
    with page.expect_navigation():
        page.click("#ccg-cal-set button[type=submit]")
    assert scalar("SELECT is_workday FROM work_calendar WHERE day = '2035-05-07'") is False
    assert page.locator("#ccg-cal-days tr[data-day='2035-05-07']").count() == 1
    csv = tmp_path / "2035.csv"
    csv.write_text("day,kind,note\n2035-10-01,放假,国庆节\n2035-10-13,上班,国庆节调休\n", encoding="utf-8")
    page.set_input_files("#ccg-cal-file input[name=file]", str(csv))
    confirm = page.locator("#ccg-cal-file button[type=submit]")
    assert confirm.is_disabled()
    page.click("#ccg-cal-preview")
    page.locator("#ccg-cal-plan:not([hidden])").wait_for()
    assert page.locator("#ccg-cal-rows tbody tr").count() == 2 and confirm.is_enabled()
    assert scalar("SELECT count(*) FROM work_calendar WHERE day = '2035-10-01'") == 0  # a preview writes nothing
    _shots(page, "rules-calendar")
    with page.expect_navigation():
        confirm.click()
    assert scalar("SELECT count(*) FROM work_calendar WHERE day IN ('2035-10-01', '2035-10-13')") == 2
    assert page.locator("#ccg-cal-missing").count() == 0


def test_a_viewer_has_no_link_and_no_page(browser, server):
    login = account("rules-viewer", "viewer", PASSWORD, name="只读")["login"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    log_in(page, server, login, PASSWORD, "/maps/rules", wait=False)
    page.wait_for_load_state()
    assert "无权访问" in page.content() and page.locator(".ccg-bar a[href='/maps/rules']").count() == 0
