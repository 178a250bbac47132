"""A unit can be read and changed like a person (GET/PATCH /api/v1/units/{id}): renamed, re-kinded, its phone
cleared, deactivated; bad values are refused naming the field, a name taken in its region is a conflict, a reader
may not change it and staff of another region cannot see it. Every change is audited."""

import pytest

from tests.conftest import scalar

REGION = "411421001"


@pytest.fixture
def unit(client, admin):
    import secrets

    r = client.post("/api/v1/units", json={"name": f"单位测试{secrets.token_hex(3)}", "phone": "0370-5550001",
                                           "region_code": REGION}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_change_a_unit(client, admin, unit):
    r = client.patch(f"/api/v1/units/{unit}", json={"name": "改名后的单位", "kind": "patron_unit", "phone": None},
                     headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "改名后的单位" and r.json()["kind"] == "patron_unit" and r.json()["phone"] is None
    assert scalar("SELECT name || '|' || kind || '|' || coalesce(phone, '-') FROM units WHERE id = :i", i=unit) == \
        "改名后的单位|patron_unit|-"
    r = client.patch(f"/api/v1/units/{unit}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert scalar("SELECT count(*) FROM audit_log WHERE entity = 'units' AND entity_id = CAST(:i AS text) "
                  "AND action = 'update'", i=unit) == 2
    got = client.get(f"/api/v1/units/{unit}", headers=admin).json()
    assert got["members"] == 0 and got["current_assignments"] == 0


@pytest.mark.parametrize("body,field", [({"kind": "club"}, "kind"), ({"credit_code": "123"}, "credit_code"),
                                        ({"region_code": "411421002"}, "region_code"), ({"name": ""}, "name")])
def test_bad_changes_are_refused_naming_the_field(client, admin, unit, body, field):
    before = scalar("SELECT row_to_json(u)::text FROM units u WHERE id = :i", i=unit)
    r = client.patch(f"/api/v1/units/{unit}", json=body, headers=admin)
    assert r.status_code == 422 and field in r.text, r.text
    assert scalar("SELECT row_to_json(u)::text FROM units u WHERE id = :i", i=unit) == before


def test_a_taken_name_is_a_conflict(client, admin, unit):
    other = client.post("/api/v1/units", json={"name": "已有名称单位", "region_code": REGION}, headers=admin)
    assert other.status_code in (201, 409)
    r = client.patch(f"/api/v1/units/{unit}", json={"name": "已有名称单位"}, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "name"


def test_readers_and_other_regions(client, viewer, token_for, unit):
    assert client.patch(f"/api/v1/units/{unit}", json={"active": False}, headers=viewer).status_code == 403
    assert client.get(f"/api/v1/units/{unit}", headers=viewer).status_code == 200
    staff = token_for("subdistrict_staff", "411421002")
    assert client.get(f"/api/v1/units/{unit}", headers=staff).status_code == 404
    assert client.patch(f"/api/v1/units/{unit}", json={"active": False}, headers=staff).status_code == 404
