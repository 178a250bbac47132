"""/api/v1/rounds over HTTP on the demo city: the office creates a 双月测评 for 2026-B6 (a bad period is a 422
naming `period`), samples it with a seed, assigns it, starts it; an inspector's account lists its own points and
its visits (with round_id) count; the results answer; the round closes. Who may: `run_rounds` (admin, 创城办,
district staff in their district), never a 街道's staff, a street chief or a viewer; another 街道's caller does not
see a round of this 街道. 易失分 points are flagged and unflagged."""

import pytest

from layers.access.caller import SYSTEM
from tests.api.test_accounts_api import _account, _csrf, _logged_in
from tests.conftest import scalar

HERE = "411421001"
BODY = {"name": "城关街道2026年第6双月测评", "kind": "bimonthly", "period": "2026-B6", "scope": HERE,
        "quotas": [{"point_type": "小区", "count": 2}, {"point_type": "交通路口", "share": 0.5}],
        "include_failed_previous": False}


@pytest.fixture(scope="module")
def inspector(client):
    login = _account("inspector", HERE, name="测评督查员")
    return {"login": login, "id": scalar("SELECT id FROM users WHERE login = :l", l=login),
            "browser": _logged_in(client, login)}


def test_periods_as_codes_and_bad_values_name_their_field(client, admin):
    for period, field in (("2026-B7", "period"), ("2026-13", "period"), ("本月", "period")):
        r = client.post("/api/v1/rounds", json={**BODY, "period": period}, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    r = client.post("/api/v1/rounds", json={**BODY, "kind": "weekly"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "kind"
    r = client.post("/api/v1/rounds", json={**BODY, "quotas": [{"point_type": "小区", "count": 1, "share": 0.5}]},
                    headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "quotas"
    r = client.get("/api/v1/rounds", params={"period": "2026-B9"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "period"


def test_who_may_run_a_round(client, token_for):
    for role, region in (("viewer", None), ("street_chief", HERE), ("inspector", None),
                         ("subdistrict_staff", HERE), ("grid_worker", HERE)):
        r = client.post("/api/v1/rounds", json=BODY, headers=token_for(role, region))
        assert r.status_code == 403, (role, r.status_code)
    district = token_for("district_staff", "411421")
    r = client.post("/api/v1/rounds", json={**BODY, "scope": None}, headers=district)
    assert r.status_code == 201 and r.json()["scope_code"] == "411421"  # omitted: the caller's own region
    gone = client.delete(f"/api/v1/rounds/{r.json()['id']}", headers=district)
    assert gone.status_code == 204
    r = client.post("/api/v1/rounds", json={**BODY, "scope": "419999"}, headers=district)
    assert r.status_code == 403 and r.json()["field"] == "scope"


def test_a_round_from_creation_to_close(client, admin, inspector, token_for):
    r = client.post("/api/v1/rounds", json=BODY, headers=admin)
    assert r.status_code == 201, r.text
    rnd = r.json()
    assert (rnd["state"], rnd["period"], rnd["period_label"]) == ("draft", "2026-B6", "2026年第6双月（11—12月）")
    assert str(rnd["period_start"]) == "2026-11-01" and str(rnd["period_end"]) == "2026-12-31"
    rid = rnd["id"]
    sample = client.post(f"/api/v1/rounds/{rid}/sample", json={"seed": 1234}, headers=admin).json()
    available = dict(scalar("SELECT array_agg(ARRAY[point_type, count::text]) FROM (SELECT point_type, count(*) "
                            "FROM assessment_points WHERE region_code LIKE :r GROUP BY 1) x", r=HERE + "%"))
    by_type = {t["point_type"]: t for t in sample["by_type"]}
    assert by_type["小区"]["quota"] == min(2, int(available["小区"]))
    assert by_type["交通路口"]["quota"] == max(1, (int(available["交通路口"]) + 1) // 2)
    points = client.get(f"/api/v1/rounds/{rid}/points", headers=admin).json()
    assert len(points) == sample["sampled"] and all(p["subdistrict_code"] == HERE for p in points)
    again = client.post(f"/api/v1/rounds/{rid}/sample", json={}, headers=admin).json()  # the stored seed: the same
    assert again["seed"] == 1234 and [p["point_id"] for p in client.get(
        f"/api/v1/rounds/{rid}/points", headers=admin).json()] == [p["point_id"] for p in points]

    # Before it starts, a visit naming it is refused; the office assigns it to the inspector and starts it.
    pid = points[0]["point_id"]
    items = client.get(f"/api/v1/checklists/{points[0]['point_type']}", headers=admin).json()
    body = {"inspector": "测评督查员", "round_id": rid, "results": {i["code"]: True for i in items}}
    r = client.post(f"/api/v1/assessment-points/{pid}/visits", json=body, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "round_id"
    candidates = client.get(f"/api/v1/rounds/{rid}/inspectors", headers=admin).json()
    assert inspector["id"] in [c["id"] for c in candidates]
    r = client.post(f"/api/v1/rounds/{rid}/assign", json={"inspectors": [inspector["id"]]}, headers=admin)
    assert r.status_code == 200 and r.json()["unassigned"] == 0, r.text
    assert client.post(f"/api/v1/rounds/{rid}/start", headers=admin).json()["state"] == "in_progress"

    # A street chief does not score their own street for the round; the inspector's own points, then a visit of
    # one with an item failed: it counts, its problem is a 双月测评's.
    r = client.post(f"/api/v1/assessment-points/{pid}/visits", json=body, headers=token_for("street_chief", HERE))
    assert r.status_code == 403 and r.json()["field"] == "round_id"
    browser = inspector["browser"]
    mine = browser.get(f"/api/v1/rounds/{rid}/points", params={"mine": "true"}).json()
    assert {p["point_id"] for p in mine} == {p["point_id"] for p in points}
    first = items[0]["code"]
    r = browser.post(f"/api/v1/assessment-points/{pid}/visits", headers=_csrf(browser),
                     json={**body, "results": {**body["results"], first: False}, "notes": {first: "发现垃圾"}})
    assert r.status_code == 201, r.text
    visit = r.json()
    assert visit["round_id"] == rid and len(visit["problems"]) == 1
    assert scalar("SELECT source FROM problems WHERE id = :p", p=visit["problems"][0]) == "bimonthly"
    assert scalar("SELECT kind FROM inspection_visits WHERE id = :v", v=visit["id"]) == "bimonthly"
    results = client.get(f"/api/v1/rounds/{rid}/results", headers=admin).json()
    total = sum(float(i["weight"]) for i in items)
    assert results["city"]["score_rate"] == round(100 * (total - float(items[0]["weight"])) / total, 1)
    assert results["coverage"]["visited"] == 1 and results["coverage"]["sampled"] == len(points)
    assert [x["item_code"] for x in results["lost_items"]] == [first]
    assert results["lost_items"][0]["note"] == "发现垃圾"
    listed = client.get("/api/v1/rounds", params={"period": "2026-B6", "state": "in_progress"}, headers=admin).json()
    assert rid in [x["id"] for x in listed]

    # Another 街道's staff does not see it; this 街道's does, but may not close it.
    other = token_for("subdistrict_staff", "411421002")
    assert client.get(f"/api/v1/rounds/{rid}", headers=other).status_code == 404
    assert client.get(f"/api/v1/rounds/{rid}/results", headers=other).status_code == 404
    assert client.get(f"/api/v1/rounds/{rid}", headers=token_for("subdistrict_staff", HERE)).status_code == 200
    assert client.post(f"/api/v1/rounds/{rid}/close", headers=token_for("subdistrict_staff", HERE)).status_code == 403
    closed = client.post(f"/api/v1/rounds/{rid}/close", headers=admin).json()
    assert closed["state"] == "closed" and closed["visited"] == 1
    r = browser.post(f"/api/v1/assessment-points/{pid}/visits", headers=_csrf(browser), json=body)
    assert r.status_code == 409
    assert client.delete(f"/api/v1/rounds/{rid}", headers=admin).status_code == 409  # visited: history
    actions = scalar("SELECT array_agg(action ORDER BY id) FROM audit_log WHERE entity = 'assessment_rounds' "
                     "AND entity_id = :r", r=str(rid))
    assert actions == ["create", "sample", "sample", "assign", "start", "close"]


def test_weak_points_are_flagged_and_sampled(client, admin, token_for):
    point = scalar("SELECT min(id) FROM assessment_points WHERE region_code LIKE :r AND point_type = '小区'",
                   r=HERE + "%")
    r = client.post("/api/v1/weak-points", json={"point_id": point, "kind": "relapse", "note": "反复出现乱堆"},
                    headers=admin)
    assert r.status_code == 201 and r.json()["kind_name"] == "易反弹"
    assert point in [w["point_id"] for w in client.get("/api/v1/weak-points", headers=admin).json()]
    assert client.post("/api/v1/weak-points", json={"point_id": point},
                       headers=token_for("street_chief", HERE)).status_code == 403
    rid = client.post("/api/v1/rounds", json={**BODY, "quotas": [{"point_type": "小区", "count": 1}]},
                      headers=admin).json()["id"]
    client.post(f"/api/v1/rounds/{rid}/sample", json={"seed": 5}, headers=admin)
    points = client.get(f"/api/v1/rounds/{rid}/points", headers=admin).json()
    assert [(p["point_id"], p["reason"]) for p in points if p["point_type"] == "小区"] == [(point, "weak")]
    assert client.delete(f"/api/v1/rounds/{rid}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/weak-points/{point}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/weak-points/{point}", headers=admin).status_code == 404


def test_the_dashboard_summary(demo):
    from gis.db import transaction
    from layers.campaign import rounds

    with transaction() as s:
        summary = rounds.current_round_summary(s, None)
        mine = rounds.listing(s, SYSTEM, state="in_progress")
    assert summary is not None and summary["state"] == "in_progress" and summary["id"] == mine[0]["id"]
    assert 0 < summary["visited"] <= summary["sampled"] and summary["score_rate"] is not None
