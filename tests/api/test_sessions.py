"""Map-page sessions (a random id in the cookie, revoked on logout, idle and absolute expiry) and the throttling
of failed credentials (bearer tokens, Open311 api_key, the login form) per address and per account."""

import pytest
from fastapi.testclient import TestClient

from gis.settings import get_settings
from layers.access import throttle
from tests.conftest import _token, scalar


def _browser(client, ip="192.0.2.10"):
    return TestClient(client.app, base_url="http://testserver", client=(ip, 50000), follow_redirects=False)


def _login(browser, token):
    r = browser.post("/login", data={"token": token, "next": "/maps/"})
    assert r.status_code == 303, r.text
    return r.cookies["ccgrid_session"]


def test_the_cookie_holds_a_session_id_not_the_token(client):
    token = _token("viewer")
    browser = _browser(client)
    sid = _login(browser, token)
    assert sid != token and not sid.startswith("ccg_") and token not in sid
    assert scalar("SELECT count(*) FROM web_sessions w JOIN api_tokens t ON t.id = w.token_id "
                  "WHERE t.label = 'test viewer' AND w.revoked_at IS NULL") >= 1
    assert browser.get("/api/v1/layers").status_code == 200
    assert browser.get("/maps/").status_code == 200
    # The raw token in the cookie is no session: it must never have been one.
    fake = _browser(client)
    fake.cookies.set("ccgrid_session", token)
    assert fake.get("/api/v1/layers").status_code == 401


def test_logout_revokes_the_session_on_the_server(client):
    browser = _browser(client)
    sid = _login(browser, _token("viewer"))
    assert browser.get("/logout").status_code == 303
    # A copy of the cookie taken before logout (another tab, a stolen cookie) no longer works.
    stolen = _browser(client)
    stolen.cookies.set("ccgrid_session", sid)
    r = stolen.get("/api/v1/layers")
    assert r.status_code == 401 and "log in again" in r.json()["detail"]
    assert stolen.get("/maps/").headers["location"].startswith("/login")
    assert scalar("SELECT revoked_at IS NOT NULL FROM web_sessions WHERE session_hash = encode(sha256(:s), 'hex')",
                  s=sid.encode())


@pytest.mark.parametrize("change", [
    "last_seen_at = now() - make_interval(mins => :idle + 1)",  # idle too long
    "expires_at = now() - interval '1 second'",                   # absolute expiry
])
def test_sessions_expire(client, change):
    browser = _browser(client)
    sid = _login(browser, _token("viewer"))
    assert browser.get("/api/v1/layers").status_code == 200
    scalar(f"UPDATE web_sessions SET {change} WHERE session_hash = encode(sha256(:s), 'hex') RETURNING 1",
           s=sid.encode(), idle=get_settings().session_idle_minutes)
    assert browser.get("/api/v1/layers").status_code == 401


def test_a_revoked_token_ends_its_sessions(client):
    browser = _browser(client)
    _login(browser, _token("viewer"))
    token_id = scalar("SELECT max(id) FROM api_tokens")
    scalar("UPDATE api_tokens SET revoked_at = now() WHERE id = :i RETURNING 1", i=token_id)
    assert browser.get("/api/v1/layers").status_code == 401


def test_the_session_never_authorises_a_write(client):
    browser = _browser(client)
    _login(browser, _token("admin"))
    r = browser.post("/api/v1/people", json={"name": "经由会话（示例）", "region_code": "411421001"})
    assert r.status_code == 401


def test_failed_bearer_tokens_are_throttled_per_address(client, viewer):
    limit = get_settings().auth_failures_per_ip
    attacker = _browser(client, "198.51.100.7")
    codes = [attacker.get("/api/v1/layers", headers={"Authorization": f"Bearer ccg_guess{i}"}).status_code
             for i in range(limit + 3)]
    assert codes[:limit] == [401] * limit and codes[limit:] == [429] * 3
    r = attacker.get("/api/v1/layers", headers={"Authorization": "Bearer ccg_guess"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "too many" in r.json()["detail"]
    # A real token from there still works (tokens cannot be guessed; an office shares one address) ...
    assert attacker.get("/api/v1/layers", headers=viewer).status_code == 200
    # ... and another address is not affected.
    assert _browser(client, "198.51.100.8").get("/api/v1/layers", headers={"Authorization": "Bearer x"}
                                                 ).status_code == 401


def test_open311_api_keys_are_throttled(client):
    limit = get_settings().auth_failures_per_ip
    attacker = _browser(client, "198.51.100.9")
    form = {"service_code": "0401", "lat": 34.65, "long": 115.15}
    codes = [attacker.post("/open311/v2/requests.json", data={**form, "api_key": f"k{i}"}).status_code
             for i in range(limit + 1)]
    assert codes[:limit] == [403] * limit and codes[limit] == 429
    assert scalar("SELECT failures FROM auth_failures WHERE key = 'ip:198.51.100.9'") == limit + 1


def test_the_login_form_is_throttled_before_checking(client):
    limit = get_settings().auth_failures_per_ip
    attacker = _browser(client, "198.51.100.10")
    codes = [attacker.post("/login", data={"token": f"ccg_guess{i}"}).status_code for i in range(limit + 1)]
    assert codes[:limit] == [401] * limit and codes[limit] == 429
    # While blocked even a right token is not tried: the form is where passwords will be guessed.
    r = attacker.post("/login", data={"token": _token("viewer")})
    assert r.status_code == 429 and "失败次数过多" in r.text and int(r.headers["Retry-After"]) > 0
    assert "ccgrid_session" not in r.cookies


def test_accounts_have_their_own_lower_limit(demo):
    key = {"account:test-throttle": 3}
    assert [throttle.record_failure(key, 60) for _ in range(3)] == [None, None, None]
    assert throttle.retry_after(key, 60) is not None  # used up: the next attempt is refused before checking
    wait = throttle.record_failure(key, 60)
    assert wait is not None and 0 < wait <= 60
    throttle.clear(list(key))
    assert throttle.retry_after(key, 60) is None


def test_a_forwarded_for_header_does_not_choose_the_counted_address(server):
    # Review of #15 item 16: uvicorn believed X-Forwarded-For from 127.0.0.1, so each new header value got another
    # 30 tries. Served as `ccgrid serve` serves (no proxy named), every guess counts against the real address.
    import httpx

    limit = get_settings().auth_failures_per_ip
    try:
        with httpx.Client(base_url=server) as http:
            codes = [http.get("/api/v1/layers", headers={"Authorization": f"Bearer ccg_guess{i}",
                                                         "X-Forwarded-For": f"203.0.113.{i}"}).status_code
                     for i in range(limit + 2)]
        assert codes[:limit] == [401] * limit and codes[limit:] == [429, 429]
    finally:
        throttle.clear(["ip:127.0.0.1"])  # the browser tests log in from here
