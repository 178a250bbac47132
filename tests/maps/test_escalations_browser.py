"""The escalation page (/maps/escalations) in headless Chromium: the city office filters the 约谈 records still
pending, schedules one (date, place, attendees) and records its minutes, and issues a 通报; each step is checked in
the database. A street chief sees the records but no buttons."""


from tests.conftest import scalar
from tests.maps.browser import account, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Ladders-of-the-old-town"


def _page(browser, server, role, region=None):
    login = account(f"esc-{role}", role, PASSWORD, name=f"升级测试{role}", region=region)["login"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    log_in(page, server, login, PASSWORD, "/maps/escalations")
    return page


def test_the_office_schedules_and_holds_a_talk_and_issues_a_notice(browser, server, demo):
    newest = ("SELECT e.id FROM escalations e JOIN escalation_levels l USING (party, level) "
              "WHERE l.code = :c AND e.state = 'pending' ORDER BY e.exposed_at DESC, e.id DESC LIMIT 1")
    talk, notice = scalar(newest, c="talk"), scalar(newest, c="notice")
    assert talk and notice
    page = _page(browser, server, "city_office")
    page.select_option("#ccg-esc-filter select[name=level]", "2")
    page.select_option("#ccg-esc-filter select[name=state]", "pending")
    page.click("#ccg-esc-filter button[type=submit]")
    page.wait_for_load_state("networkidle")
    levels = page.locator("#ccg-esc-table tbody tr td:nth-child(3)").all_inner_texts()
    assert levels and set(levels) <= {"约谈", "约谈一把手"}

    row = page.locator(f"#ccg-esc-table tr[data-id='{talk}']")
    row.locator("details[data-action=schedule] summary").click()
    form = row.locator("details[data-action=schedule] form")
    form.locator("input[name=scheduled_at]").fill("2026-12-01T15:00")  # held already: its minutes follow
    form.locator("input[name=venue]").fill("县创城办302会议室")
    form.locator("input[name=attendees]").fill("责任人本人；街道分管领导")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert scalar("SELECT state || '|' || venue || '|' || to_char(scheduled_at AT TIME ZONE 'Asia/Shanghai', "
                  "'YYYY-MM-DD HH24:MI') FROM escalations WHERE id = :i", i=talk) == \
        "scheduled|县创城办302会议室|2026-12-01 15:00"

    page.goto(f"{server}/maps/escalations?state=scheduled")
    row = page.locator(f"#ccg-esc-table tr[data-id='{talk}']")
    row.locator("details[data-action=hold] summary").click()
    # Held without minutes is refused by the browser's own check; with them it is recorded.
    row.locator("details[data-action=hold] textarea[name=minutes]").fill("已约谈，要求一周内整改到位并书面报告")
    with page.expect_navigation():
        row.locator("details[data-action=hold] button[type=submit]").click()
    assert scalar("SELECT state || '|' || minutes FROM escalations WHERE id = :i", i=talk) == \
        "held|已约谈，要求一周内整改到位并书面报告"
    page.goto(f"{server}/maps/escalations?state=held")
    assert "纪要：已约谈" in page.locator(f"#ccg-esc-table tr[data-id='{talk}']").inner_text()

    page.goto(f"{server}/maps/escalations?level=1&state=pending")
    row = page.locator(f"#ccg-esc-table tr[data-id='{notice}']")
    row.locator("details[data-action=notify] summary").click()
    page.once("dialog", lambda d: d.accept())  # 确认已通报…？
    with page.expect_navigation():
        row.locator("details[data-action=notify] button[type=submit]").click()
    assert scalar("SELECT state FROM escalations WHERE id = :i", i=notice) == "notified"
    assert scalar("SELECT count(*) FROM audit_log WHERE entity = 'escalations' AND entity_id = ANY(:ids)",
                  ids=[str(talk), str(notice)]) == 3


def test_a_street_chief_reads_but_cannot_act(browser, server, demo):
    page = _page(browser, server, "street_chief", region="411421001")
    assert page.locator("#ccg-esc-table").is_visible()
    assert page.locator("details.ccg-esc-act").count() == 0
    assert page.locator("#ccg-esc-run").count() == 0
