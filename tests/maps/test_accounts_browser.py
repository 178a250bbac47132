"""The accounts page in headless Chromium, doing an admin's job by clicking: create a 街道 staff account linked to
a person, that person's first login (forced password change), a reset that ends its sessions, disabling it, a
machine token issued, used and revoked; the CSRF rule seen from the page; logout ending every session of the
account. The database is checked after the clicks, and no request leaves this host."""

import secrets
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM
from tests.conftest import scalar
from tests.maps.browser import CHROMIUM, log_in, needs_chromium

pytestmark = needs_chromium
PASSWORD = "Lanterns-over-the-Huai"
SHOTS = "/tmp/shots/accounts"
SIZES = [(1440, 900), (1024, 768), (390, 844)]


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def admin_login(demo):
    login = f"admin-{secrets.token_hex(3)}"
    with transaction() as s:
        users.create(s, SYSTEM, login=login, display_name="王管理", role="admin", password=PASSWORD,
                     must_change_password=False)
    return login


def _context(browser, requests):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.on("dialog", lambda d: d.accept())  # 停用 and 吊销 ask first
    return ctx, page


def _log_in(page, server, login, password, path="/maps/accounts"):
    log_in(page, server, login, password, path, wait=False)  # a forced password change lands elsewhere


def _shots(page, name):
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        # The top bar names the person and role, and logout is reachable, at every size (below 1200 px the bar
        # names the person and ☰ opens the rest).
        if width <= 1200:
            assert page.locator(".ccg-bar .ccg-me").text_content().strip()
            page.click(".ccg-menu-btn")
        for part in (".ccg-user-name", ".ccg-user-role", ".ccg-logout button"):
            box = page.locator(f".ccg-bar {part}").bounding_box()
            assert box and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width, (name, width, part)
        if width <= 1200:
            page.click(".ccg-menu-btn")  # closed again
    page.set_viewport_size({"width": 1440, "height": 900})


def _account(login):
    with transaction() as s:
        row = s.execute(text("SELECT role, region_code, person_id, display_name, active, must_change_password "
                             "FROM users WHERE login = :l"), {"l": login}).mappings().one_or_none()
        return dict(row) if row else None


def test_an_admin_manages_an_account_and_a_token_in_the_browser(browser, server, admin_login):
    requests: list[str] = []
    admin_ctx, admin = _context(browser, requests)
    _log_in(admin, server, admin_login, PASSWORD)
    admin.wait_for_url(f"{server}/maps/accounts")
    assert "王管理" in admin.locator(".ccg-user-name").text_content()
    assert "系统管理员" in admin.locator(".ccg-user-role").text_content()
    _shots(admin, "list")

    # Create a 街道 staff account, linked to a person of that 街道.
    login = f"jd{secrets.token_hex(3)}"
    form = admin.locator("#create-account")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=display_name]").fill("李街道")
    form.locator("select[name=role]").select_option("subdistrict_staff")
    form.locator("select[name=region_code]").select_option("411421001")
    admin.wait_for_function("document.querySelector('#create-account .ccg-person-select').options.length > 1")
    form.locator(".ccg-person-search").fill("")
    person_value = form.locator(".ccg-person-select option >> nth=1").get_attribute("value")
    form.locator(".ccg-person-select").select_option(person_value)
    form.locator("input[name=password]").fill("123")  # too weak: the API's message is shown
    form.locator("button[type=submit]").click()
    admin.wait_for_function("document.querySelector('#create-account .ccg-form-error').textContent.length > 0")
    assert "password" in form.locator(".ccg-form-error").text_content()
    assert _account(login) is None
    first_password = "Reeds-along-the-canal-1"
    form.locator("input[name=password]").fill(first_password)
    form.locator("button[type=submit]").click()
    admin.wait_for_url(f"{server}/maps/accounts/{login}?created=1")
    row = _account(login)
    assert row == {"role": "subdistrict_staff", "region_code": "411421001", "person_id": int(person_value),
                   "display_name": "李街道", "active": True, "must_change_password": True}
    assert admin.locator("#ccg-flash").is_visible()
    _shots(admin, "detail")
    # Renamed and unlinked through the edit form (a PATCH): the empty person goes as null.
    admin.fill("#edit-account input[name=display_name]", "李街道（城关）")
    admin.select_option("#edit-account .ccg-person-select", "")
    admin.click("#edit-account button[type=submit]")
    admin.wait_for_function("document.querySelector('h1').textContent.includes('李街道（城关）')")
    assert _account(login)["display_name"] == "李街道（城关）" and _account(login)["person_id"] is None

    # Creating it again: the duplicate login is refused with the API's message.
    admin.goto(f"{server}/maps/accounts")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=display_name]").fill("重复")
    form.locator("select[name=role]").select_option("viewer")
    form.locator("input[name=password]").fill(first_password)
    form.locator("button[type=submit]").click()
    admin.wait_for_function("document.querySelector('#create-account .ccg-form-error').textContent.length > 0")
    assert "taken" in form.locator(".ccg-form-error").text_content()
    assert admin.locator(f"tr[data-login='{login}']").count() == 1

    # Its holder logs in elsewhere: a new password first, then the home page.
    staff_ctx, staff = _context(browser, requests)
    _log_in(staff, server, login, first_password, path="/maps/")
    staff.wait_for_url("**/password**")
    staff.fill("input[name=old_password]", first_password)
    staff.fill("input[name=new_password]", "Willows-by-the-Yellow-River")
    staff.click("button[type=submit]")
    staff.wait_for_url(f"{server}/maps/")
    assert "李街道（城关）" in staff.locator(".ccg-user-name").text_content()
    assert "街道工作人员" in staff.locator(".ccg-user-role").text_content()
    assert _account(login)["must_change_password"] is False

    # The admin resets the password: the other browser is sent to the login form.
    admin.goto(f"{server}/maps/accounts/{login}")
    admin.fill("#reset-password input[name=password]", "Plum-blossoms-in-snow-2")
    admin.click("#reset-password button[type=submit]")
    admin.wait_for_load_state("load")
    admin.wait_for_function("document.body.textContent.includes('是（下次登录时）')")
    assert _account(login)["must_change_password"] is True
    staff.goto(f"{server}/maps/")
    assert "/login" in staff.url

    # Disabled: it cannot log in, and the login form says so as for a wrong password.
    admin.click("#disable-account button[type=submit]")
    admin.wait_for_selector("#enable-account")
    assert _account(login)["active"] is False
    _log_in(staff, server, login, "Plum-blossoms-in-snow-2", path="/maps/")
    staff.wait_for_load_state("load")
    assert "/login" in staff.url and "账号或密码错误" in staff.content()

    # CSRF from the page: without the header 403, with it the write goes through.
    answer = admin.evaluate("""async (login) => {
        const url = '/api/v1/users/' + encodeURIComponent(login) + '/enable';
        const bare = await fetch(url, {method: 'POST', credentials: 'same-origin'});
        const good = await fetch(url, {method: 'POST', credentials: 'same-origin',
                                       headers: {'X-CSRF-Token': CCG.csrf()}});
        return [bare.status, good.status];
    }""", login)
    assert answer == [403, 200]
    assert _account(login)["active"] is True

    # A machine token: issued, shown once, used with httpx, revoked.
    admin.goto(f"{server}/maps/accounts#tokens")
    issue = admin.locator("#issue-token")
    issue.locator("input[name=label]").fill("热线对接（浏览器测试）")
    issue.locator("select[name=role]").select_option("viewer")
    issue.locator("select[name=region_code]").select_option("411421001")
    issue.locator("button[type=submit]").click()
    admin.wait_for_selector("#token-secret:not([hidden])")
    secret = admin.locator("#token-secret-value").text_content().strip()
    assert secret.startswith("ccg_")
    admin.click("#token-copy")
    admin.wait_for_selector("#token-copied:not([hidden])")
    token_id = int(admin.locator("#tokens-table tbody tr >> nth=0").get_attribute("data-token"))
    assert scalar("SELECT label FROM api_tokens WHERE id = :i", i=token_id) == "热线对接（浏览器测试）"
    _shots(admin, "tokens")
    me = httpx.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["role"] == "viewer" and me.json()["region_code"] == "411421001"
    admin.click(f"#tokens-table tr[data-token='{token_id}'] .ccg-revoke")
    admin.wait_for_function(f"document.querySelector(\"#tokens-table tr[data-token='{token_id}'] "
                            ".ccg-token-status\").textContent === '已吊销'")
    assert scalar("SELECT revoked_at FROM api_tokens WHERE id = :i", i=token_id) is not None
    assert httpx.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    admin.reload()
    assert secret not in admin.content()  # never listed again

    hosts = {urlsplit(u).netloc for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(server).netloc}, hosts
    staff_ctx.close()
    admin_ctx.close()


def test_logout_ends_every_session_of_the_account(browser, server, admin_login):
    requests: list[str] = []
    first_ctx, first = _context(browser, requests)
    second_ctx, second = _context(browser, requests)
    for page in (first, second):
        _log_in(page, server, admin_login, PASSWORD)
        page.wait_for_url(f"{server}/maps/accounts")
    first.click(".ccg-logout button")
    first.wait_for_url("**/login**")
    second.goto(f"{server}/maps/accounts")
    assert "/login" in second.url
    assert {urlsplit(u).netloc for u in requests} == {urlsplit(server).netloc}
    first_ctx.close()
    second_ctx.close()


def test_staff_see_only_what_they_may_give(browser, server):
    login = f"staff-{secrets.token_hex(3)}"
    with transaction() as s:
        users.create(s, SYSTEM, login=login, display_name="赵街道", role="subdistrict_staff", password=PASSWORD,
                     region_code="411421002", must_change_password=False)
    ctx, page = _context(browser, [])
    _log_in(page, server, login, PASSWORD)
    page.wait_for_url(f"{server}/maps/accounts")
    roles = page.locator("#create-account select[name=role] option").evaluate_all("els => els.map(e => e.value)")
    assert roles and "subdistrict_staff" not in roles and "admin" not in roles and "grid_worker" in roles
    regions = page.locator("#create-account select[name=region_code] option").evaluate_all(
        "els => els.map(e => e.value)")
    assert regions and all(r.startswith("411421002") for r in regions)
    assert page.locator("#tokens").count() == 0  # tokens are the admins'
    logins = page.locator(".ccg-accounts-table tr[data-login]").evaluate_all("els => els.map(e => e.dataset.login)")
    assert login in logins
    assert all((scalar("SELECT region_code FROM users WHERE login = :l", l=x) or "").startswith("411421002")
               for x in logins)
    ctx.close()
