"""What the workbench's gap list and people pages ask of the API: the coverage report's missing list paged with
true totals and the gaps per 街道/社区 and role family; people searched by phone (people managers only), unit and
region; a person's assignments naming their places."""

from tests.conftest import scalar

COVERAGE = "/api/v1/coverage/ownership"


def test_missing_list_pages_through_every_gap(client, viewer):
    params = {"region": "411421001", "layer": "streets", "expiring_days": 0}
    whole = client.get(COVERAGE, params={**params, "limit": 100_000}, headers=viewer).json()
    total = whole["totals"]["missing"]
    assert total == len(whole["missing"]) > 5
    seen = []
    for offset in range(0, total, 5):
        page = client.get(COVERAGE, params={**params, "limit": 5, "offset": offset}, headers=viewer).json()
        assert page["totals"]["missing"] == total  # the totals never shrink to the page
        seen += [(m["layer"], m["id"], m["role_family"]) for m in page["missing"]]
    assert seen == [(m["layer"], m["id"], m["role_family"]) for m in whole["missing"]]
    assert len(set(seen)) == total
    named = whole["missing"][0]
    assert named["subdistrict_name"] == scalar("SELECT name FROM regions WHERE code = '411421001'")
    assert client.get(COVERAGE, params={"offset": -1}, headers=viewer).status_code == 422


def test_gaps_per_region_and_role_family_add_up(client, viewer):
    rep = client.get(COVERAGE, params={"region": "411421", "limit": 1}, headers=viewer).json()
    assert rep["by_subdistrict"] and rep["by_community"]
    for r in rep["by_subdistrict"] + rep["by_community"]:
        assert r["missing"] == r["required"] - r["covered"]
        assert sum(g["missing"] for g in r["missing_by_family"]) == r["missing"], r["code"]
    cells = scalar("SELECT count(*) FROM grid_cells g WHERE g.region_code LIKE '411421001%' AND NOT EXISTS "
                   "(SELECT 1 FROM assignments_on(current_date) a WHERE a.layer = 'grid_cells' "
                   "AND a.feature_id = g.id AND a.role = 'grid_worker')")
    street = next(r for r in rep["by_subdistrict"] if r["code"] == "411421001")
    workers = [g["missing"] for g in street["missing_by_family"] if g["role_family"] == "grid_worker"]
    assert workers == ([cells] if cells else [])
    assert sum(r["missing"] for r in rep["by_subdistrict"]) == rep["totals"]["missing"]


def test_people_search_by_phone_unit_and_region(client, admin, viewer, token_for):
    unit = client.post("/api/v1/units", json={"name": "搜索测试单位", "region_code": "411421002"},
                       headers=admin).json()["id"]
    body = {"name": "搜索测试人", "phone": "13655512345", "unit_id": unit, "region_code": "411421002"}
    pid = client.post("/api/v1/people", json=body, headers=admin).json()["id"]
    ids = lambda params, who=admin: [p["id"] for p in client.get("/api/v1/people", params=params,  # noqa: E731
                                                                       headers=who).json()]
    assert ids({"phone": "5551234"}) == [pid]
    assert ids({"phone": "136-5551-2345"}) == [pid]
    assert ids({"unit_id": unit}) == [pid]
    assert pid in ids({"region": "411421002", "q": "搜索"}) and pid not in ids({"region": "411421001"})
    r = client.get("/api/v1/people", params={"phone": "0777"}, headers=viewer)
    assert r.status_code == 403 and r.json()["field"] == "phone"  # a number would tell whose it is
    r = client.get("/api/v1/people", params={"phone": "abc"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "phone"
    staff = token_for("subdistrict_staff", "411421001")
    r = client.get("/api/v1/people", params={"region": "411421002"}, headers=staff)
    assert r.status_code == 403 and r.json()["field"] == "region"


def test_assignments_name_their_places(client, admin):
    pid = client.post("/api/v1/people", json={"name": "地名测试人"}, headers=admin).json()["id"]
    cell = scalar("SELECT min(id) FROM grid_cells")
    r = client.post("/api/v1/assignments", json={"role": "片长", "layer": "grid_cells", "feature_id": cell,
                                                 "person_id": pid}, headers=admin)
    assert r.status_code == 201, r.text
    detail = client.get(f"/api/v1/people/{pid}", headers=admin).json()
    [a] = detail["assignments"]
    assert a["place_code"] == scalar("SELECT code FROM grid_cells WHERE id = :i", i=cell) and a["place_name"]
