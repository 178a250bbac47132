"""The registry over HTTP: contacts only for people managers, 422s naming fields, locate owners, the Excel list."""

from io import BytesIO

from openpyxl import load_workbook

from tests.conftest import scalar


def test_phone_numbers_only_for_people_managers(client, admin, viewer):
    pid = client.post("/api/v1/people", json={"name": "公开测试人", "phone": "13600000009"}, headers=admin).json()["id"]
    assert client.get(f"/api/v1/people/{pid}", headers=admin).json()["phone"] == "13600000009"
    seen = client.get(f"/api/v1/people/{pid}", headers=viewer).json()
    assert seen["name"] == "公开测试人" and "phone" not in seen
    assert all("phone" not in p for p in client.get("/api/v1/people", headers=viewer).json())
    assert client.post("/api/v1/people", json={"name": "x"}, headers=viewer).status_code == 403


def test_people_bad_input(client, admin):
    r = client.post("/api/v1/people", json={"name": "坏电话", "phone": "call me"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "phone"
    r = client.post("/api/v1/people", json={"name": "多余", "age": 3}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "age"
    r = client.post("/api/v1/people", json={"name": "重号", "phone": "13600000009"}, headers=admin)
    assert r.status_code in (201, 409)
    r = client.post("/api/v1/people", json={"name": "重号二", "phone": "13600000009"}, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "phone"


def test_assign_over_http_and_read_back(client, admin, viewer):
    pid = client.post("/api/v1/people", json={"name": "人民路路长", "phone": "13600000101"}, headers=admin).json()["id"]
    # No coverage rule makes 路长 exclusive on back lanes, so this assignment is always allowed.
    name = scalar("SELECT min(name) FROM streets WHERE road_class = 'back_lane' AND region_code LIKE '411421001%'")
    body = {"role": "路长", "layer": "streets", "street_name": name, "person_id": pid, "valid_from": "2026-02-01"}
    r = client.post("/api/v1/assignments", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["created"], r.text
    bad = [({**body, "valid_to": "2026-01-01"}, "valid_to"), ({**body, "person_id": 10**8}, "person_id"),
           ({**body, "layer": "grid_cells", "street_name": None, "code": "411421001001001"}, "layer"),
           ({**body, "street_name": "没有这条路"}, "street_name"), ({**body, "valid_from": "2026-13-01"}, "valid_from")]
    for payload, field in bad:
        r = client.post("/api/v1/assignments", json=payload, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == field, (payload, r.text)
    mine = client.get("/api/v1/assignments", params={"person_id": pid}, headers=viewer).json()
    assert all("person_phone" not in m for m in mine)
    assert len(mine) == scalar("SELECT count(*) FROM streets WHERE name = :n", n=name)  # the whole named street
    fid = mine[0]["feature_id"]
    owners = client.get(f"/api/v1/layers/streets/features/{fid}/owners", headers=admin).json()
    assert any(o["person_name"] == "人民路路长" and o["person_phone"] == "13600000101" for o in owners)


def test_locate_lists_the_owners_at_the_spot(client, admin, viewer):
    cell = scalar("SELECT g.id FROM grid_cells g JOIN assignments_on(current_date) a ON a.layer = 'grid_cells' "
                  "AND a.feature_id = g.id AND a.role = 'grid_worker' JOIN people p ON p.id = a.person_id "
                  "WHERE g.region_code LIKE '411421%' AND p.phone IS NOT NULL ORDER BY g.id LIMIT 1")
    x, y = (scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM grid_cells WHERE id = :i", i=cell) for c in "XY")
    body = client.get("/api/v1/locate", params={"lon": x, "lat": y}, headers=admin).json()
    # Other tests may give the cell more owners (a 片长): the 网格员 must be among them, with the phone.
    workers = [o for o in body["owners"] if o["place"] == "grid_cell" and o["role_name"] == "网格员"]
    assert workers and workers[0]["person_phone"].startswith("139")
    assert any(o["place"] == "community" and o["role_name"] == "片长" for o in body["owners"])
    public = client.get("/api/v1/locate", params={"lon": x, "lat": y}, headers=viewer).json()
    assert public["owners"] and all("person_phone" not in o for o in public["owners"])


def test_coverage_endpoint_and_scope(client, viewer, token_for):
    rep = client.get("/api/v1/coverage/ownership", params={"region": "411421"}, headers=viewer).json()
    assert rep["totals"]["missing"] > 0 and rep["by_subdistrict"]
    chief = token_for("subdistrict_staff", "411421001")
    mine = client.get("/api/v1/coverage/ownership", headers=chief).json()
    assert [r["code"] for r in mine["by_subdistrict"]] == ["411421001"]
    r = client.get("/api/v1/coverage/ownership", params={"region": "411421002"}, headers=chief)
    assert r.status_code == 403 and r.json()["field"] == "region"


def test_duty_list_excel(client, admin, viewer):
    formula_unit = client.post("/api/v1/units", json={"name": "=HYPERLINK(\"http://x\")", "region_code": "411421"},
                               headers=admin).json()["id"]
    market = scalar("SELECT id FROM assessment_points WHERE point_type = '建筑工地' ORDER BY id LIMIT 1")
    r = client.post("/api/v1/assignments", json={"role": "责任单位", "layer": "assessment_points",
                                                 "feature_id": market, "unit_id": formula_unit}, headers=admin)
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/duty-list.xlsx", params={"region": "411421"}, headers=admin)
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "责任人/单位", "角色")
    assert len(rows) - 1 == scalar("SELECT count(*) FROM assignments_on(current_date) WHERE region_code LIKE '411421%'")
    holders = {row[1] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://x\")" in holders and not any(str(h).startswith("=") for h in holders)
    assert any(row[9] for row in rows[1:])  # admins get phone numbers
    ws = load_workbook(BytesIO(client.get("/api/v1/duty-list.xlsx", headers=viewer).content)).active
    assert not any(row[9] for row in list(ws.iter_rows(values_only=True))[1:])
