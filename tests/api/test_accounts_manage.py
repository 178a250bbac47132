"""Changing an account (PATCH /api/v1/users/{login}) by the rules of creating one, the list's filters, and the
people an account may be linked to (GET /api/v1/account-candidates)."""

import secrets

from fastapi.testclient import TestClient

from gis.db import transaction
from layers.access import users
from layers.access.caller import SYSTEM
from layers.access.schemas import Account, LinkCandidate
from tests.api.test_openapi_contract import check
from tests.conftest import scalar

GOOD = "Lanterns-over-the-Huai"


def _account(role, region=None, *, person_id=None, name="测试账号"):
    login = f"mng{secrets.token_hex(4)}"
    with transaction() as s:
        users.create(s, SYSTEM, login=login, display_name=name, role=role, password=GOOD, region_code=region,
                     person_id=person_id, must_change_password=False)
    return login


def _free_person(prefix, *, not_in=None):
    return scalar("SELECT min(id) FROM people WHERE active AND region_code LIKE :p || '%' "
                  "AND (CAST(:n AS text) IS NULL OR region_code NOT LIKE :n || '%') "
                  "AND id NOT IN (SELECT person_id FROM users WHERE person_id IS NOT NULL)", p=prefix, n=not_in)


def _logged_in(client, login):
    ip = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    browser = TestClient(client.app, base_url="http://testserver", client=(ip, 50000), follow_redirects=False)
    assert browser.post("/login", data={"login": login, "password": GOOD}).status_code == 303
    return browser


def test_staff_change_lower_accounts_of_their_region_by_the_creation_rules(client, token_for):
    staff = token_for("subdistrict_staff", "411421001")
    login = _account("grid_worker", "411421001001")
    url = f"/api/v1/users/{login}"
    r = client.patch(url, json={"display_name": "  改名后的网格员 "}, headers=staff)
    assert r.status_code == 200 and check(Account, r)["display_name"] == "改名后的网格员"
    for body, status, field in [
        ({"role": "subdistrict_staff"}, 403, "role"),  # not their own rank
        ({"role": "admin"}, 403, "role"),
        ({"region_code": "411421002001"}, 403, "region_code"),  # outside their region
        ({"region_code": None}, 422, "region_code"),  # a grid worker needs a region
        ({"role": "mayor"}, 422, "role"),
        ({"display_name": None}, 422, "display_name"),
        ({"display_name": ""}, 422, "display_name"),
        ({"password": "x"}, 422, "password"),
        ({"person_id": 2**40}, 422, "person_id"),
        ({}, 422, None),
    ]:
        r = client.patch(url, json=body, headers=staff)
        assert r.status_code == status, (body, r.text)
        assert field is None or field in r.json()["field"], (body, r.text)
    row = client.get(url, headers=staff).json()
    assert (row["role"], row["region_code"], row["display_name"]) == ("grid_worker", "411421001001", "改名后的网格员")
    r = client.patch(url, json={"role": "inspector", "region_code": "411421001"}, headers=staff)
    assert r.status_code == 200 and (r.json()["role"], r.json()["region_code"]) == ("inspector", "411421001")
    uid = scalar("SELECT id FROM users WHERE login = :l", l=login)
    detail = scalar("SELECT detail FROM audit_log WHERE entity = 'users' AND entity_id = CAST(:i AS text) "
                    "AND action = 'update' ORDER BY id DESC LIMIT 1", i=str(uid))
    assert detail["before"] == {"role": "grid_worker", "region_code": "411421001001"}
    assert detail["after"] == {"role": "inspector", "region_code": "411421001"}
    # An account of their own rank, or in another region, is not theirs to change.
    peer = _account("subdistrict_staff", "411421001")
    assert client.patch(f"/api/v1/users/{peer}", json={"display_name": "改"}, headers=staff).status_code == 403
    far = _account("grid_worker", "411421002001")
    assert client.patch(f"/api/v1/users/{far}", json={"display_name": "改"}, headers=staff).status_code == 404
    assert client.patch(url, json={"display_name": "改"}, headers=token_for("viewer")).status_code == 403
    assert scalar("SELECT display_name FROM users WHERE login = :l", l=peer) == "测试账号"


def test_linking_a_person_of_the_accounts_region(client, token_for):
    staff = token_for("subdistrict_staff", "411421001")
    login = _account("grid_worker", "411421001001")
    url = f"/api/v1/users/{login}"
    here = _free_person("411421001001")
    r = client.patch(url, json={"person_id": here}, headers=staff)
    assert r.status_code == 200 and r.json()["person_id"] == here
    assert r.json()["person_name"] == scalar("SELECT name FROM people WHERE id = :i", i=here)
    # In the staff member's region, but not in the account's 社区.
    beside = _free_person("411421001", not_in="411421001001")
    r = client.patch(url, json={"person_id": beside}, headers=staff)
    assert r.status_code == 422 and r.json()["field"] == "person_id" and "outside" in r.json()["detail"]
    elsewhere = _free_person("411421002")
    r = client.patch(url, json={"person_id": elsewhere}, headers=staff)
    assert r.status_code == 422 and "not found" in r.json()["detail"]
    # Somebody else's person: already linked.
    other = _account("grid_worker", "411421001001", person_id=_free_person("411421001001"))
    taken = scalar("SELECT person_id FROM users WHERE login = :l", l=other)
    assert client.patch(url, json={"person_id": taken}, headers=staff).status_code == 409
    # Moving the account out of its person's region is refused too; unlinking is allowed.
    r = client.patch(url, json={"region_code": "411421001002"}, headers=staff)
    assert r.status_code == 422 and r.json()["field"] == "person_id"
    r = client.patch(url, json={"person_id": None}, headers=staff)
    assert r.status_code == 200 and r.json()["person_id"] is None and r.json()["person_name"] is None
    # Creating one checks the same.
    r = client.post("/api/v1/users", headers=staff, json={
        "login": f"new{secrets.token_hex(3)}", "display_name": "新人", "role": "grid_worker",
        "region_code": "411421001001", "person_id": beside, "password": GOOD})
    assert r.status_code == 422 and r.json()["field"] == "person_id"


def test_nobody_changes_their_own_role_or_region(client):
    login = _account("admin")
    browser = _logged_in(client, login)
    csrf = {"X-CSRF-Token": browser.cookies["ccgrid_csrf"]}
    r = browser.patch(f"/api/v1/users/{login}", json={"role": "viewer"}, headers=csrf)
    assert r.status_code == 422 and r.json()["field"] == "role"
    r = browser.patch(f"/api/v1/users/{login}", json={"display_name": "管理员本人"}, headers=csrf)
    assert r.status_code == 200 and r.json()["role"] == "admin"


def test_a_changed_role_applies_to_the_live_session(client, admin):
    login = _account("grid_worker", "411421001001")
    browser = _logged_in(client, login)
    assert "handle_problems" in browser.get("/api/v1/me").json()["permissions"]
    r = client.patch(f"/api/v1/users/{login}", json={"role": "viewer", "region_code": "411421001"}, headers=admin)
    assert r.status_code == 200
    me = browser.get("/api/v1/me").json()
    assert me["role"] == "viewer" and me["region_code"] == "411421001" and me["permissions"] == ["read"]


def test_the_list_filters(client, token_for):
    staff = token_for("subdistrict_staff", "411421001")
    person = _free_person("411421001001")
    mark = secrets.token_hex(3)
    a = _account("grid_worker", "411421001001", person_id=person, name=f"筛选{mark}")
    b = _account("inspector", "411421001002")
    rows = check(list[Account], client.get("/api/v1/users", params={"q": mark}, headers=staff))
    assert [r["login"] for r in rows] == [a] and rows[0]["person_name"]
    name = scalar("SELECT name FROM people WHERE id = :i", i=person)
    assert a in {r["login"] for r in client.get("/api/v1/users", params={"q": name}, headers=staff).json()}
    roles = {r["role"] for r in client.get("/api/v1/users", params={"role": "inspector"}, headers=staff).json()}
    assert roles == {"inspector"}
    inside = client.get("/api/v1/users", params={"region": "411421001002"}, headers=staff).json()
    assert b in {r["login"] for r in inside} and all(r["region_code"].startswith("411421001002") for r in inside)
    assert client.get("/api/v1/users", params={"region": "411421002"}, headers=staff).status_code == 403
    assert client.get("/api/v1/users", params={"q": "%"}, headers=staff).json() == []  # q is text, not a pattern


def test_link_candidates_are_free_people_of_the_region(client, token_for):
    staff = token_for("subdistrict_staff", "411421001")
    linked = _free_person("411421001001")
    _account("grid_worker", "411421001001", person_id=linked)
    r = client.get("/api/v1/account-candidates", params={"region": "411421001001", "limit": 500}, headers=staff)
    found = check(list[LinkCandidate], r)
    assert found and all(p["region_code"].startswith("411421001001") for p in found)
    assert linked not in {p["id"] for p in found}
    assert _free_person("411421001001") in {p["id"] for p in found}
    name = found[0]["name"]
    assert all(name[:1] in p["name"] for p in client.get(
        "/api/v1/account-candidates", params={"q": name[:1]}, headers=staff).json())
    everyone = client.get("/api/v1/account-candidates", params={"limit": 500}, headers=staff).json()
    assert everyone and all(p["region_code"].startswith("411421001") for p in everyone)
    assert client.get("/api/v1/account-candidates", params={"region": "411421002"}, headers=staff).status_code == 403
    assert client.get("/api/v1/account-candidates", headers=token_for("viewer")).status_code == 403
