"""The campaign's documents in headless Chromium, by clicks: the 创城办 publishes a 通报 (then withdraws and reissues
it), issues a 交办单 to a street chief, and the street chief records a reply on it; each step is checked in the
database."""

import re
from io import BytesIO

import docx
from sqlalchemy import text

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM
from layers.ledger import intake as problems
from layers.ledger import lifecycle
from tests.conftest import scalar
from tests.images import as_role
from tests.maps.browser import account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Banners-over-the-square"


def _page(browser, server, login, path):
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    log_in(page, server, login, PASSWORD, path)
    return page


def _open(page, details):
    """Open a folded form by its summary (it starts open when the register is empty)."""
    if page.locator(details).get_attribute("open") is None:
        page.click(f"{details} summary")


def test_the_office_publishes_a_notice_and_reissues_it(browser, server, demo):
    office = account("nt-office", "city_office", PASSWORD, name="创城办（浏览器）")["login"]
    page = _page(browser, server, office, "/maps/notices")
    _open(page, "#ccg-notice-new")
    page.fill("#ccg-notice-form input[name=period]", "2026-W44")
    page.uncheck("#ccg-notice-form input[data-level=owner]")
    page.once("dialog", lambda d: d.accept())  # 发布后通报即编号并冻结，确认发布？
    page.click("#ccg-notice-publish")
    page.wait_for_url(re.compile(r".*/maps/notices/\d+$"))
    notice_id = int(page.url.rsplit("/", 1)[1])
    row = scalar("SELECT row(period, state, scope IS NULL, published_by LIKE '%创城办（浏览器）%')::text FROM notices "
                 "WHERE id = :i", i=notice_id)
    assert row == "(2026-W44,published,t,t)"
    levels = scalar("SELECT snapshot -> 'options' -> 'levels' FROM notices WHERE id = :i", i=notice_id)
    assert levels == ["subdistrict", "community", "department"]
    number = scalar("SELECT number FROM notices WHERE id = :i", i=notice_id)
    assert number in page.locator("#ccg-notice-doc").inner_text()
    got = page.request.get(f"{server}/api/v1/notices/{notice_id}/document.docx")
    assert got.status == 200 and got.body()[:2] == b"PK"
    assert docx.Document(BytesIO(got.body())).paragraphs[0].text == number

    page.goto(f"{server}/maps/notices")
    row = page.locator(f"#ccg-notices tr[data-id='{notice_id}']")
    row.locator("details[data-action=withdraw] summary").click()
    row.locator("textarea[name=reason]").fill("红黑榜口径有误")
    row.locator("input[name=reissue]").check()
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        row.locator("details[data-action=withdraw] button[type=submit]").click()
    old = scalar("SELECT row(state, withdraw_reason, replaced_by IS NOT NULL)::text FROM notices WHERE id = :i",
                 i=notice_id)
    assert old == "(withdrawn,红黑榜口径有误,t)"
    new = scalar("SELECT replaced_by FROM notices WHERE id = :i", i=notice_id)
    assert scalar("SELECT row(state, replaces, period)::text FROM notices WHERE id = :i", i=new) == \
        f"(published,{notice_id},2026-W44)"
    assert page.locator(f"#ccg-notices tr[data-id='{new}']").is_visible()


def _fresh_problems(n: int) -> list[int]:
    lon, lat = (scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM regions WHERE code = '411421002001'")
                for c in "XY")
    out = []
    with transaction() as s:
        for i in range(n):
            pid = problems.intake(s, problems.Report(category="乱堆物料", source="patrol", lon=lon + 0.0012 * i,
                                                     lat=lat - 0.0012), caller=SYSTEM)
            for action in ("立案", "派遣"):
                lifecycle.transition(s, pid, action, caller=as_role("admin"))
            out.append(pid)
    return out


def test_the_office_issues_a_dispatch_sheet_and_the_recipient_replies(browser, server, demo):
    with transaction() as s:
        person, name = s.execute(text("SELECT id, name FROM people WHERE region_code LIKE '411421002%' AND active "
                                      "ORDER BY id LIMIT 1")).one()
    pids = _fresh_problems(2)
    office = account("nt-office2", "city_office", PASSWORD, name="创城办交办")["login"]
    page = _page(browser, server, office, "/maps/dispatches")
    _open(page, "#ccg-dispatch-new")
    page.fill("#ccg-dispatch-form .ccg-picker-q", name)
    page.click(f"#ccg-dispatch-form .ccg-picker-option:has-text('{name}') >> nth=0")
    page.select_option("#ccg-dispatch-source", "selection")
    page.fill("#ccg-dispatch-form [data-ids]", f"{pids[0]}, {pids[1]}")
    page.fill("#ccg-dispatch-form input[name=note]", "请于一周内整改到位")
    page.click("#ccg-dispatch-create")
    page.wait_for_url(re.compile(r".*/maps/dispatches/\d+$"))
    sheet = int(page.url.rsplit("/", 1)[1])
    assert scalar("SELECT row(person_id, source, note)::text FROM dispatch_sheets WHERE id = :i", i=sheet) == \
        f"({person},selection,请于一周内整改到位)"
    assert scalar("SELECT array_agg(problem_id ORDER BY problem_id) FROM dispatch_items WHERE sheet_id = :i",
                  i=sheet) == sorted(pids)
    number = scalar("SELECT number FROM dispatch_sheets WHERE id = :i", i=sheet)
    assert page.locator("#ccg-dispatch-number").inner_text() == number

    with transaction() as s:  # the street chief the sheet was sent to, with an account of their own
        users.create(s, SYSTEM, login="nt-chief", display_name=name, role="street_chief", region_code="411421002",
                     person_id=person, password=PASSWORD, must_change_password=False)
    chief = _page(browser, server, "nt-chief", f"/maps/dispatches/{sheet}")
    item = chief.locator(f"#ccg-dispatch-items tr[data-problem='{pids[0]}']")
    item.locator("textarea[name=reply]").fill("已清理完毕，请核查")
    with chief.expect_navigation():
        item.locator("button[type=submit]").click()
    assert scalar("SELECT reply || '|' || via || '|' || (replied_by LIKE 'user:%') FROM dispatch_replies r "
                  "JOIN dispatch_items i ON i.id = r.item_id WHERE i.sheet_id = :s", s=sheet) == \
        "已清理完毕，请核查|page|true"
    counts = chief.locator("#ccg-dispatch-counts").inner_text()
    assert "1\n已回复待核查" in counts and "1\n未回复" in counts
    assert chief.locator(f"#ccg-dispatch-items tr[data-problem='{pids[0]}']").get_attribute("data-state") == "replied"
