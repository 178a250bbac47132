"""The field app's "me" (GET /api/v1/me/places, /api/v1/me/tasks): a street chief's account linked to a person sees
that person's places of today (and their unit's) as GeoJSON, each marked patrolled today once a patrol passes it,
and the open problems routed to them or dispatched to them, soonest deadline first, with the actions their role
may take now. An account linked to nobody and a token get an empty answer saying so."""

from datetime import datetime, timedelta

import pytest

from layers.ledger.calendar import TZ
from tests.api.test_accounts_api import _account, _logged_in
from tests.api.test_handover_api import _report_on
from tests.conftest import scalar

REGION = "411421001"


@pytest.fixture(scope="module")
def chief(client, admin):
    """A person holding a back lane (街道级街长) and a grid cell (片长), with an account of their own."""
    r = client.post("/api/v1/people", json={"name": "我的片区街长", "phone": "13700000501", "region_code": REGION},
                    headers=admin)
    pid = r.json()["id"]
    lane = scalar("SELECT id FROM streets s WHERE road_class = 'back_lane' AND region_code LIKE :r "
                  "AND ST_GeometryType(geom) = 'ST_LineString' AND ST_Length(geom::geography) > 60 AND NOT EXISTS "
                  "(SELECT 1 FROM assignments a WHERE a.layer = 'streets' AND a.feature_id = s.id) "
                  "ORDER BY id OFFSET 5 LIMIT 1", r=REGION + "%")
    cell = scalar("SELECT id FROM grid_cells g WHERE region_code LIKE :r AND NOT EXISTS (SELECT 1 FROM assignments "
                  "a WHERE a.layer = 'grid_cells' AND a.feature_id = g.id AND a.role = 'area_chief') "
                  "ORDER BY id LIMIT 1", r=REGION + "%")
    for body in ({"role": "街道级街长", "layer": "streets", "feature_id": lane},
                 {"role": "片长", "layer": "grid_cells", "feature_id": cell}):
        r = client.post("/api/v1/assignments", json={**body, "person_id": pid, "valid_from": "2026-11-01"},
                        headers=admin)
        assert r.status_code == 201, r.text
    browser = _logged_in(client, _account("street_chief", REGION, person_id=pid, name="我的片区街长"))
    return {"pid": pid, "lane": lane, "cell": cell, "browser": browser}


def test_my_places_today(chief, admin, client):
    data = chief["browser"].get("/api/v1/me/places").json()
    assert data["person_id"] == chief["pid"] and data["total"] == 2
    got = {f["id"]: f["properties"] for f in data["features"]}
    assert set(got) == {f"streets:{chief['lane']}", f"grid_cells:{chief['cell']}"}
    assert got[f"streets:{chief['lane']}"]["role_name"] == "街道级街长"
    assert not any(p["patrolled_today"] for p in got.values())
    # A patrol along the lane today: the lane is patrolled (its hit), the cell too when the track crosses it.
    coords = scalar("SELECT ST_AsGeoJSON(geom)::json -> 'coordinates' FROM streets WHERE id = :i", i=chief["lane"])
    now = datetime.now(TZ)
    r = client.post("/api/v1/patrols", headers=admin, json={
        "track": {"type": "LineString", "coordinates": coords}, "walker": "我的片区街长", "person_id": chief["pid"],
        "started_at": (now - timedelta(minutes=20)).isoformat(), "ended_at": (now - timedelta(minutes=1)).isoformat()})
    assert r.status_code == 201, r.text
    data = chief["browser"].get("/api/v1/me/places").json()
    got = {f["id"]: f["properties"] for f in data["features"]}
    assert got[f"streets:{chief['lane']}"]["patrolled_today"] is True
    crosses = scalar("SELECT ST_Intersects(s.geom, g.geom) FROM streets s, grid_cells g WHERE s.id = :s "
                     "AND g.id = :g", s=chief["lane"], g=chief["cell"])
    assert got[f"grid_cells:{chief['cell']}"]["patrolled_today"] is crosses
    assert data["patrolled_today"] == 1 + int(crosses)


def test_my_tasks_soonest_first_with_my_actions(chief, admin, client):
    first, second = _report_on(chief["lane"]), _report_on(chief["lane"])
    for action in ("立案", "派遣"):
        assert client.post(f"/api/v1/problems/{first}/actions", json={"action": action},
                           headers=admin).status_code == 200
    data = chief["browser"].get("/api/v1/me/tasks").json()
    ids = [t["id"] for t in data["tasks"]]
    assert {first, second} <= set(ids) and data["open"] == len(ids)
    dues = [t["due_at"] for t in data["tasks"] if t["due_at"]]
    assert dues == sorted(dues)
    task = next(t for t in data["tasks"] if t["id"] == first)
    assert task["status"] == "dispatched" and {a["action"] for a in task["actions"]} == {"签收整改", "申请延期"}
    assert task["hours_left"] is not None and task["place"]
    kept = chief["browser"].get("/api/v1/me/tasks", params={"status": "dispatched"}).json()
    assert first in [t["id"] for t in kept["tasks"]] and second not in [t["id"] for t in kept["tasks"]]
    assert kept["open"] == data["open"]  # the counts are of all my tasks, the list of those kept
    none_late = chief["browser"].get("/api/v1/me/tasks", params={"overdue": "true"}).json()
    assert all(t["overdue"] for t in none_late["tasks"])
    reported = next(t for t in data["tasks"] if t["id"] == second)
    assert reported["actions"] == []  # a street chief does not 立案
    assert scalar("SELECT count(*) FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id "
                  "WHERE po.problem_id = :p AND a.person_id = :c", p=second, c=chief["pid"]) == 1


def test_nobody_linked_gets_an_empty_answer(client, admin):
    loose = _logged_in(client, _account("street_chief", REGION))
    for path in ("/api/v1/me/places", "/api/v1/me/tasks"):
        for caller in (loose, client):
            r = caller.get(path, headers=None if caller is loose else admin)
            assert r.status_code == 200 and r.json()["person_id"] is None, (path, r.text)
