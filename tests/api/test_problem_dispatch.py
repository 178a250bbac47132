"""派遣 names whom it dispatches to (assignee_person_id / assignee_unit_id): checked against the caller's region,
recorded in the event, shown in the problem's history; refused whole when wrong."""

import pytest
from sqlalchemy import text

from gis.db import transaction
from tests import crafted
from tests.conftest import scalar

SUBDISTRICT = "411421002"


@pytest.fixture(scope="module")
def spots(demo):
    """Spots 50 m apart inside the largest 社区 of 街道 411421002, on or near its streets (so owners are found)."""
    return iter(crafted.spots(SUBDISTRICT, 50, "south_first"))


def _registered(client, headers, spots, category="0301"):
    """A registered report (立案 done) whose owners include a person; its JSON."""
    for lon, lat in spots:
        r = client.post("/api/v1/problems", json={"category": category, "lon": lon, "lat": lat}, headers=headers)
        assert r.status_code == 201, r.text
        got = r.json()
        if got["duplicate_of"] is None and any(o["person_id"] for o in got["owners"]):
            assert _act(client, got["id"], headers, "立案").status_code == 200
            return got
    raise AssertionError("no spot with a person among its owners")


def _act(client, pid, headers, action, **body):
    return client.post(f"/api/v1/problems/{pid}/actions", json={"action": action, **body}, headers=headers)


def _person(name, region, active=True):
    with transaction() as s:
        return s.execute(text("INSERT INTO people (name, region_code, active) VALUES (:n, :r, :a) RETURNING id"),
                         {"n": name, "r": region, "a": active}).scalar_one()


def test_dispatch_to_an_owner_is_recorded_in_the_event_and_the_history(client, admin, spots):
    problem = _registered(client, admin, spots)
    owner = next(o["person_id"] for o in problem["owners"] if o["person_id"])
    r = _act(client, problem["id"], admin, "派遣", assignee_person_id=owner, note="请三日内处理")
    assert r.status_code == 200, r.text
    assert r.json()["assignee_person_id"] == owner and r.json()["to"] == "dispatched"
    assert scalar("SELECT assignee_person_id FROM problem_events WHERE problem_id = :p AND action = '派遣'",
                  p=problem["id"]) == owner
    history = client.get(f"/api/v1/problems/{problem['id']}", headers=admin).json()["history"]
    dispatch = next(e for e in history if e["action"] == "派遣")
    assert dispatch["assignee_person_id"] == owner and dispatch["assignee_unit_id"] is None


def test_dispatch_to_a_unit_of_the_region(client, token_for, spots):
    staff = token_for("subdistrict_staff", SUBDISTRICT)
    problem = _registered(client, staff, spots)
    unit = scalar("SELECT min(id) FROM units WHERE region_code LIKE :r AND active", r=f"{SUBDISTRICT}%")
    assert unit is not None
    r = _act(client, problem["id"], staff, "派遣", assignee_unit_id=unit)
    assert r.status_code == 200, r.text
    assert scalar("SELECT assignee_unit_id FROM problem_events WHERE problem_id = :p AND action = '派遣'",
                  p=problem["id"]) == unit


@pytest.mark.parametrize("case", ["other_region", "inactive", "missing", "both", "not_a_dispatch"])
def test_a_wrong_assignee_is_refused_and_nothing_is_written(client, token_for, spots, case):
    staff = token_for("subdistrict_staff", SUBDISTRICT)
    problem = _registered(client, staff, spots)
    pid = problem["id"]
    action, body, field = "派遣", {}, "assignee_person_id"
    if case == "other_region":  # a person of another 街道 reads as missing to this caller
        body = {"assignee_person_id": scalar("SELECT min(id) FROM people WHERE region_code LIKE '411421001%'")}
    elif case == "inactive":
        body = {"assignee_person_id": _person("已离岗的街长", f"{SUBDISTRICT}001", active=False)}
    elif case == "missing":
        body = {"assignee_unit_id": 2_000_000_000}
        field = "assignee_unit_id"
    elif case == "both":
        body = {"assignee_person_id": _person("网格员甲", f"{SUBDISTRICT}001"),
                "assignee_unit_id": scalar("SELECT min(id) FROM units WHERE region_code LIKE :r",
                                           r=f"{SUBDISTRICT}%")}
        field = "assignee_unit_id"
    else:  # only 派遣 names an assignee: 签收整改 with one is refused (after a plain 派遣)
        assert _act(client, pid, staff, "派遣").status_code == 200
        action, body = "签收整改", {"assignee_person_id": _person("网格员乙", f"{SUBDISTRICT}001")}
    events = scalar("SELECT count(*) FROM problem_events WHERE problem_id = :p", p=pid)
    status = scalar("SELECT status FROM problems WHERE id = :p", p=pid)
    r = _act(client, pid, staff, action, **body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field, r.json()
    assert scalar("SELECT count(*) FROM problem_events WHERE problem_id = :p", p=pid) == events
    assert scalar("SELECT status FROM problems WHERE id = :p", p=pid) == status


def test_the_assignee_fields_are_in_the_contract(client):
    schema = client.app.openapi()["components"]["schemas"]
    assert {"assignee_person_id", "assignee_unit_id"} <= set(schema["ActionIn"]["properties"])
    assert {"assignee_person_id", "assignee_unit_id"} <= set(schema["ProblemEvent"]["properties"])
