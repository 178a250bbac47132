"""Accounts over the real routes: logging in with a password, cookie writes guarded by the CSRF token, logout and
password changes ending every session of the account, disabled accounts, who may create which account, the CLI,
and GET /api/v1/me for an account and for a token."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM
from tests.conftest import _token, scalar

GOOD = "Lanterns-over-the-Huai"
CCGRID = str(Path(sys.executable).parent / "ccgrid")


def _browser(client, ip=None):
    ip = ip or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return TestClient(client.app, base_url="http://testserver", client=(ip, 50000), follow_redirects=False)


def _account(role="admin", region=None, *, must_change=False, person_id=None, name="测试账号"):
    login = f"acct{secrets.token_hex(4)}"
    with transaction() as s:
        users.create(s, SYSTEM, login=login, display_name=name, role=role, password=GOOD, region_code=region,
                     person_id=person_id, must_change_password=must_change)
    return login


def _login(browser, login, password=GOOD, next_url="/maps/"):
    return browser.post("/login", data={"login": login, "password": password, "next": next_url})


def _logged_in(client, login, password=GOOD):
    browser = _browser(client)
    r = _login(browser, login, password)
    assert r.status_code == 303, r.text[:300]
    return browser


def _csrf(browser):
    return {"X-CSRF-Token": browser.cookies["ccgrid_csrf"]}


def _person_in(region="411421001"):
    return scalar(f"SELECT min(id) FROM people WHERE region_code LIKE '{region}%' "
                  "AND id NOT IN (SELECT person_id FROM users WHERE person_id IS NOT NULL)")


def test_login_with_a_password_opens_an_account_session(client):
    person = _person_in()
    login = _account("subdistrict_staff", "411421001", person_id=person, name="张测试")
    browser = _browser(client)
    r = _login(browser, login.upper())  # logins are case-folded
    assert r.status_code == 303 and r.headers["location"] == "/maps/"
    cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
    assert "httponly" in cookies["ccgrid_session"] and "samesite=lax" in cookies["ccgrid_session"]
    assert "httponly" not in cookies["ccgrid_csrf"] and "samesite=lax" in cookies["ccgrid_csrf"]
    assert browser.get("/maps/").status_code == 200
    me = browser.get("/api/v1/me").json()
    assert me["kind"] == "account" and me["login"] == login and me["display_name"] == "张测试"
    assert me["role"] == "subdistrict_staff" and me["region_code"] == "411421001"
    assert me["person"]["id"] == person and me["person"]["name"]
    assert "manage_people" in me["permissions"] and me["must_change_password"] is False
    # A lost CSRF cookie is handed out again.
    browser.cookies.delete("ccgrid_csrf")
    assert browser.get("/api/v1/me").cookies.get("ccgrid_csrf")


def test_the_login_page_offers_password_and_token(client):
    html = client.get("/login").text
    assert 'name="login"' in html and 'name="password"' in html and 'name="token"' in html
    assert "账号" in html and "密码" in html and "登录" in html
    assert client.post("/login", data={}).status_code == 422


def test_a_cookie_write_needs_the_csrf_token_and_names_the_account(client):
    login = _account("subdistrict_staff", "411421001", name="写入测试员")
    browser = _logged_in(client, login)
    person = {"name": "经由账号（示例）", "region_code": "411421001"}
    r = browser.post("/api/v1/people", json=person)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = browser.post("/api/v1/people", json=person, headers={"X-CSRF-Token": "0" * 64})
    assert r.status_code == 403
    r = browser.post("/api/v1/people", json=person, headers=_csrf(browser))
    assert r.status_code == 201, r.text
    uid = scalar("SELECT id FROM users WHERE login = :l", l=login)
    actor, actor_user = (scalar(f"SELECT {c} FROM audit_log WHERE entity = 'people' AND entity_id = CAST(:i AS text)",
                                i=str(r.json()["id"])) for c in ("actor", "actor_user_id"))
    assert actor == f"user:{uid} (写入测试员)" and actor_user == uid


def test_a_token_session_stays_read_only_even_with_its_csrf_token(client):
    browser = _browser(client)
    assert browser.post("/login", data={"token": _token("admin")}).status_code == 303
    assert "ccgrid_csrf" not in browser.cookies
    sid = browser.cookies["ccgrid_session"]
    from layers.access.sessions import csrf_token

    r = browser.post("/api/v1/people", json={"name": "令牌会话（示例）", "region_code": "411421001"},
                     headers={"X-CSRF-Token": csrf_token(sid)})
    assert r.status_code == 401


def test_logout_ends_every_session_of_the_account(client):
    login = _account("viewer")
    first, second = _logged_in(client, login), _logged_in(client, login)
    copy = _browser(client)
    copy.cookies.set("ccgrid_session", first.cookies["ccgrid_session"])
    assert second.get("/api/v1/layers").status_code == 200
    r = first.post("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert copy.get("/api/v1/layers").status_code == 401  # a copy of the cookie taken before logout
    assert second.get("/api/v1/layers").status_code == 401  # the other browser too


def test_a_password_change_ends_every_other_session(client):
    login = _account("viewer")
    mine, other = _logged_in(client, login), _logged_in(client, login)
    old = mine.cookies["ccgrid_session"]
    body = {"old_password": GOOD, "new_password": "Willows-by-the-Yellow-River"}
    assert mine.post("/api/v1/me/password", json=body).status_code == 403  # a write: the CSRF token is needed
    r = mine.post("/api/v1/me/password", json={**body, "old_password": "not it at all"}, headers=_csrf(mine))
    assert r.status_code == 422 and r.json()["field"] == "old_password"
    r = mine.post("/api/v1/me/password", json=body, headers=_csrf(mine))
    assert r.status_code == 200, r.text
    assert mine.cookies["ccgrid_session"] != old and mine.get("/api/v1/layers").status_code == 200
    stale = _browser(client)
    stale.cookies.set("ccgrid_session", old)
    assert stale.get("/api/v1/layers").status_code == 401 and other.get("/api/v1/layers").status_code == 401
    assert _login(_browser(client), login).status_code == 401
    assert _login(_browser(client), login, body["new_password"]).status_code == 303


def test_a_token_has_no_password_to_change(client, admin):
    r = client.post("/api/v1/me/password", json={"old_password": "x", "new_password": "y"}, headers=admin)
    assert r.status_code == 403


def test_a_disabled_account_cannot_log_in_and_answers_like_a_wrong_password(client, admin):
    login = _account("viewer")
    browser = _logged_in(client, login)
    r = client.post(f"/api/v1/users/{login}/disable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert browser.get("/api/v1/layers").status_code == 401  # its session ended
    other, nobody = _account("viewer"), "nobody-" + secrets.token_hex(3)
    disabled = _login(_browser(client), login)
    wrong = _login(_browser(client), other, "wrong password here")
    unknown = _login(_browser(client), nobody)
    assert disabled.status_code == wrong.status_code == unknown.status_code == 401
    # The same page, but for the login typed (kept in the field).
    texts = {r.text.replace(name, "LOGIN") for r, name in ((disabled, login), (wrong, other), (unknown, nobody))}
    assert len(texts) == 1 and "账号或密码错误" in disabled.text
    assert client.post(f"/api/v1/users/{login}/enable", headers=admin).json()["active"] is True
    assert _login(_browser(client), login).status_code == 303


def test_the_login_form_is_throttled_per_account(client):
    login = _account("viewer")
    codes = [_login(_browser(client), login, f"wrong-{i}").status_code for i in range(12)]
    assert 401 in codes and codes[-1] == 429
    r = _login(_browser(client), login)  # even the right password waits now
    assert r.status_code == 429 and "秒后再试" in r.text and int(r.headers["Retry-After"]) > 0


def test_staff_manage_lower_roles_in_their_region_only(client, token_for):
    staff = token_for("subdistrict_staff", "411421001")
    new = {"login": f"gw{secrets.token_hex(3)}", "display_name": "网格员（示例）", "role": "grid_worker",
           "region_code": "411421001001", "password": GOOD}
    assert client.post("/api/v1/users", json={**new, "role": "admin", "region_code": "411421001"},
                       headers=staff).status_code == 403
    assert client.post("/api/v1/users", json={**new, "role": "subdistrict_staff"}, headers=staff).status_code == 403
    assert client.post("/api/v1/users", json={**new, "region_code": "411421002001"},
                       headers=staff).status_code == 403
    r = client.post("/api/v1/users", json=new, headers=staff)
    assert r.status_code == 201 and r.json()["must_change_password"] is True and "password_hash" not in r.json()
    assert client.get(f"/api/v1/users/{new['login']}", headers=staff).json()["login"] == new["login"]
    assert new["login"] in {u["login"] for u in client.get("/api/v1/users", headers=staff).json()}
    other = token_for("subdistrict_staff", "411421002")
    assert client.get(f"/api/v1/users/{new['login']}", headers=other).status_code == 404
    assert client.get("/api/v1/users", headers=token_for("viewer")).status_code == 403
    # The new account must change its password before anything else.
    browser = _browser(client)
    r = _login(browser, new["login"])
    assert r.status_code == 303 and r.headers["location"].startswith("/password")
    assert browser.get("/maps/").headers["location"].startswith("/password")
    r = browser.get("/api/v1/layers")
    assert r.status_code == 403 and "change your password" in r.json()["detail"]
    assert browser.get("/api/v1/me").json()["must_change_password"] is True
    # The password form (a cookie write with its CSRF field).
    form = {"old_password": GOOD, "new_password": "Plum-blossoms-in-the-snow", "next": "/maps/"}
    assert browser.post("/password", data=form).status_code == 403
    r = browser.post("/password", data={**form, "csrf_token": browser.cookies["ccgrid_csrf"]})
    assert r.status_code == 303 and r.headers["location"] == "/maps/"
    assert browser.get("/api/v1/layers").status_code == 200
    # A reset by the staff member: must change again, every session ends.
    r = client.post(f"/api/v1/users/{new['login']}/password", json={"password": "Reeds-along-the-canal"},
                    headers=staff)
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    assert browser.get("/api/v1/layers").status_code == 401


def test_me_for_a_token(client, token_for):
    me = client.get("/api/v1/me", headers=token_for("street_chief", "411421001")).json()
    assert me["kind"] == "token" and me["login"] is None and me["display_name"] == "test street_chief"
    assert me["role"] == "street_chief" and me["region_code"] == "411421001" and me["person"] is None
    assert client.get("/api/v1/me").status_code == 401


def _cli(*args, stdin=""):
    return subprocess.run([CCGRID, *args], input=stdin, capture_output=True, text=True, env=os.environ.copy(),
                          timeout=120)


def test_the_cli_creates_an_account_that_can_log_in(client):
    login = f"cli{secrets.token_hex(3)}"
    r = _cli("user", "create", "--login", login, "--name", "首位管理员", "--role", "admin", "--password-stdin",
             stdin=GOOD + "\n")
    assert r.returncode == 0, r.stderr
    browser = _logged_in(client, login)
    assert browser.get("/api/v1/me").json()["role"] == "admin"
    assert login in _cli("user", "list").stdout
    r = _cli("user", "passwd", login, "--password-stdin", stdin="Camphor-trees-of-the-south\n")
    assert r.returncode == 0 and browser.get("/api/v1/me").status_code == 401
    assert _login(_browser(client), login, "Camphor-trees-of-the-south").status_code == 303
    assert _cli("user", "disable", login).returncode == 0
    assert _login(_browser(client), login, "Camphor-trees-of-the-south").status_code == 401


def test_the_cli_refuses_bad_input_in_one_line(demo):
    for args, stdin, words in [
        (("create", "--login", "x1y2z3", "--name", "某人", "--role", "boss", "--password-stdin"), GOOD, "unknown role"),
        (("create", "--login", "x1y2z4", "--name", "某人", "--role", "admin", "--password-stdin"), "123456",
         "password"),
        (("create", "--login", "x1y2z5", "--name", "某人", "--role", "admin", "--password-stdin"), "", "stdin"),
        (("create", "--login", "x1y2z6", "--name", "某人", "--role", "grid_worker", "--password-stdin"), GOOD,
         "needs a region"),
        (("disable", "no-such-login"), "", "not found"),
    ]:
        r = _cli("user", *args, stdin=stdin)
        assert r.returncode == 1 and words in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
