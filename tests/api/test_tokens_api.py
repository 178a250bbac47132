"""Machine tokens over HTTP (/api/v1/tokens): admins issue, list and revoke them; the secret is in the issuing
answer only; a revoked token (and a page session opened with it) stops working at once; every issue and revoke is
audited; staff, viewers and the public get 403, anonymous callers 401; a scoped admin sees only its region's."""

import secrets

import pytest
from fastapi.testclient import TestClient

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM
from layers.access.schemas import ApiToken, IssuedToken
from tests.api.test_openapi_contract import check
from tests.conftest import scalar

GOOD = "Lanterns-over-the-Huai"


def _browser(client):
    ip = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return TestClient(client.app, base_url="http://testserver", client=(ip, 50000), follow_redirects=False)


def _admin_account(client, region=None):
    login = f"tok{secrets.token_hex(4)}"
    with transaction() as s:
        users.create(s, SYSTEM, login=login, display_name="令牌管理员", role="admin", password=GOOD,
                     region_code=region, must_change_password=False)
    browser = _browser(client)
    assert browser.post("/login", data={"login": login, "password": GOOD}).status_code == 303
    return browser, {"X-CSRF-Token": browser.cookies["ccgrid_csrf"]}, login


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_issues_a_token_that_works_until_revoked(client):
    browser, csrf, login = _admin_account(client)
    body = {"role": "street_chief", "region_code": "411421001", "label": "巡查 App 测试", "days": 30}
    assert browser.post("/api/v1/tokens", json=body).status_code == 403  # a cookie write needs the CSRF token
    r = browser.post("/api/v1/tokens", json=body, headers=csrf)
    assert r.status_code == 201, r.text
    issued = check(IssuedToken, r)
    secret, tid = issued["token"], issued["id"]
    assert secret.startswith("ccg_") and issued["status"] == "active" and issued["region_code"] == "411421001"
    uid = scalar("SELECT id FROM users WHERE login = :l", l=login)
    assert issued["issued_by"] == f"user:{uid} (令牌管理员)"
    assert scalar("SELECT token_hash FROM api_tokens WHERE id = :i", i=tid) != secret  # only the hash is kept
    me = client.get("/api/v1/me", headers=_bearer(secret))
    assert me.status_code == 200 and me.json()["role"] == "street_chief"
    assert me.json()["display_name"] == "巡查 App 测试"
    # Listed without its secret, ever.
    listed = browser.get("/api/v1/tokens")
    rows = check(list[ApiToken], listed)
    mine = next(t for t in rows if t["id"] == tid)
    assert "token" not in mine and secret not in listed.text and "hash" not in listed.text
    assert mine["status"] == "active" and mine["label"] == "巡查 App 测试"
    # A page session opened with the token ends with it.
    page = _browser(client)
    assert page.post("/login", data={"token": secret}).status_code == 303
    assert page.get("/api/v1/me").status_code == 200
    r = browser.post(f"/api/v1/tokens/{tid}/revoke", headers=csrf)
    assert r.status_code == 200 and check(ApiToken, r)["status"] == "revoked"
    assert client.get("/api/v1/me", headers=_bearer(secret)).status_code == 401
    assert page.get("/api/v1/me").status_code == 401
    assert browser.post(f"/api/v1/tokens/{tid}/revoke", headers=csrf).status_code == 409
    assert browser.post(f"/api/v1/tokens/{2**40}/revoke", headers=csrf).status_code == 422  # past the id column
    assert browser.post("/api/v1/tokens/999999/revoke", headers=csrf).status_code == 404
    assert tid not in {t["id"] for t in browser.get("/api/v1/tokens", params={"active": True}).json()}
    audit = scalar("SELECT string_agg(action || ' ' || actor, ', ' ORDER BY id) FROM audit_log "
                   "WHERE entity = 'api_tokens' AND entity_id = CAST(:i AS text)", i=str(tid))
    assert audit == f"create user:{uid} (令牌管理员), revoke user:{uid} (令牌管理员)"


@pytest.mark.parametrize("role, region", [("city_office", None), ("district_staff", "411421"),
                                          ("subdistrict_staff", "411421001"), ("viewer", None), ("public", None)])
def test_only_admins_manage_tokens(client, admin, token_for, role, region):
    who = token_for(role, region)
    tid = client.post("/api/v1/tokens", json={"role": "viewer", "label": "x"}, headers=admin).json()["id"]
    assert client.get("/api/v1/tokens", headers=who).status_code == 403
    # Not even a lower role inside their own region: staff give people accounts, not tokens.
    r = client.post("/api/v1/tokens", json={"role": "viewer", "region_code": "411421001001", "label": "x"},
                    headers=who)
    assert r.status_code == 403
    assert client.post(f"/api/v1/tokens/{tid}/revoke", headers=who).status_code == 403
    assert scalar("SELECT revoked_at FROM api_tokens WHERE id = :i", i=tid) is None


def test_anonymous_callers_get_401(client):
    assert client.get("/api/v1/tokens").status_code == 401
    assert client.post("/api/v1/tokens", json={"role": "viewer"}).status_code == 401
    assert client.post("/api/v1/tokens/1/revoke").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"role": "mayor"}, "role"),
    ({"role": "grid_worker"}, "region_code"),  # a scoped role needs a region
    ({"role": "viewer", "region_code": "419999"}, "region_code"),
    ({"role": "viewer", "days": 0}, "days"),
    ({"role": "viewer", "days": 4000}, "days"),
    ({"role": "viewer", "label": "a\x00b"}, "label"),
    ({"role": "viewer", "label": "x" * 201}, "label"),
    ({"role": "viewer", "secret": "mine"}, "secret"),
])
def test_bad_token_requests_name_the_field_and_write_nothing(client, admin, body, field):
    before = scalar("SELECT count(*) FROM api_tokens")
    r = client.post("/api/v1/tokens", json=body, headers=admin)
    assert r.status_code == 422 and field in (r.json().get("field") or ""), r.text
    assert scalar("SELECT count(*) FROM api_tokens") == before


def test_a_regional_admin_manages_only_its_regions_tokens(client, admin):
    browser, csrf, _ = _admin_account(client, region="411421001")
    outside = client.post("/api/v1/tokens", json={"role": "viewer", "region_code": "411421002", "label": "外"},
                          headers=admin).json()["id"]
    citywide = client.post("/api/v1/tokens", json={"role": "viewer", "label": "全市"}, headers=admin).json()["id"]
    r = browser.post("/api/v1/tokens", json={"role": "viewer", "label": "全市"}, headers=csrf)
    assert r.status_code == 403 and r.json()["field"] == "region_code"
    r = browser.post("/api/v1/tokens", json={"role": "viewer", "region_code": "411421002", "label": "外"}, headers=csrf)
    assert r.status_code == 403
    r = browser.post("/api/v1/tokens", json={"role": "grid_worker", "region_code": "411421001001", "label": "内"},
                     headers=csrf)
    assert r.status_code == 201
    seen = {t["id"] for t in browser.get("/api/v1/tokens").json()}
    assert r.json()["id"] in seen and outside not in seen and citywide not in seen
    assert browser.post(f"/api/v1/tokens/{outside}/revoke", headers=csrf).status_code == 404
    assert scalar("SELECT revoked_at FROM api_tokens WHERE id = :i", i=outside) is None
