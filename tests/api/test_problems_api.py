"""The ledger over HTTP and Open311 GeoReport v2, read back with a real Open311 client library over a socket."""


import pytest
from georeport import GeoReport

from tests.conftest import scalar
from tests.images import photo


@pytest.fixture(scope="module")
def where(demo):
    x, y = (scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM grid_cells WHERE region_code = '411421002003' "
                   "ORDER BY code LIMIT 1") for c in "XY")
    return x, y


def test_report_read_and_act(client, admin, viewer, token_for, where):
    public = token_for("public")
    body = {"category": "0603", "lon": where[0], "lat": where[1], "description": "<b>墙上</b>乱画",
            "reporter": "王先生", "reporter_contact": "13800000000"}
    r = client.post("/api/v1/problems", json=body, headers=public)
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["grid_cell_code"].startswith("411421002003") and "reporter_contact" not in p
    assert client.post("/api/v1/problems", json={**body, "source": "hotline"}, headers=public).status_code == 422
    assert client.get(f"/api/v1/problems/{p['id']}", headers=public).status_code == 403
    seen = client.get(f"/api/v1/problems/{p['id']}", headers=viewer).json()
    assert seen["description"] == "<b>墙上</b>乱画" and "reporter_contact" not in seen and seen["actions"] == []
    full = client.get(f"/api/v1/problems/{p['id']}", headers=admin).json()
    assert full["reporter_contact"] == "13800000000" and "立案" in full["actions"]
    act = f"/api/v1/problems/{p['id']}/actions"
    assert client.post(act, json={"action": "立案"}, headers=viewer).status_code == 403
    r = client.post(act, json={"action": "销号"}, headers=admin)
    assert r.status_code == 409 and "allowed: 不予立案、立案" in r.json()["detail"]
    for action in ("立案", "派遣"):
        assert client.post(act, json={"action": action}, headers=admin).status_code == 200
    r = client.post(f"/api/v1/problems/{p['id']}/photos", files={"file": ("x.gif", b"GIF89a....", "image/gif")},
                    headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = client.post(f"/api/v1/problems/{p['id']}/photos", files={"file": ("x.png", photo(7, "PNG"), "image/png")},
                    headers=admin)
    assert r.status_code == 201
    listed = client.get("/api/v1/problems", params={"status": "dispatched", "category": "创城专项"},
                        headers=viewer).json()
    assert p["id"] in [i["id"] for i in listed["items"]]


def test_overdue_and_due_soon_are_queryable(client, admin, viewer, where):
    pid = client.post("/api/v1/problems", json={"category": "0403", "source": "patrol", "lon": where[0] + 0.001,
                                                "lat": where[1]}, headers=admin).json()["id"]
    for action in ("立案", "派遣"):
        client.post(f"/api/v1/problems/{pid}/actions", json={"action": action}, headers=admin)
    from sqlalchemy import text

    from gis.db import transaction

    with transaction() as s:
        s.execute(text("UPDATE problems SET due_at = now() - interval '1 hour' WHERE id = :p"), {"p": pid})
    overdue = client.get("/api/v1/problems", params={"overdue": True, "limit": 1000}, headers=viewer).json()
    assert pid in [i["id"] for i in overdue["items"]] and all(i["overdue"] for i in overdue["items"])
    with transaction() as s:
        s.execute(text("UPDATE problems SET due_at = now() + interval '3 hours' WHERE id = :p"), {"p": pid})
    soon = client.get("/api/v1/problems", params={"due_within_hours": 4, "limit": 1000}, headers=viewer).json()
    assert pid in [i["id"] for i in soon["items"]]


def test_open311_with_a_client_library(server, client, token_for, where):
    api = GeoReport(f"{server}/open311/v2")
    services = api.get_service_list()
    codes = {s["service_code"]: s for s in services}
    assert "0401" in codes and codes["0401"]["service_name"] == "占道经营" and codes["0401"]["group"] == "街面秩序"
    assert "04" not in codes  # big classes are groups, not services
    key = token_for("public")["Authorization"].split()[1]
    r = client.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "0401", "lat": where[1] + 0.0005,
                                                      "long": where[0], "description": "早市占道",
                                                      "phone": "13900001111"})
    assert r.status_code == 200, r.text
    rid = r.json()[0]["service_request_id"]
    back = api.get_service_request(rid)
    assert back["service_request_id"] == rid and back["status"] == "open" and back["service_code"] == "0401"
    assert back["description"] == "早市占道" and "phone" not in back
    assert back["lat"] == pytest.approx(where[1] + 0.0005, abs=0.001)  # coarse: rounded to ~100 m
    listed = api.get_service_requests(service_request_id=rid)
    assert [x["service_request_id"] for x in listed] == [rid]
    assert rid in [x["service_request_id"] for x in api.get_service_requests(status="open")]


@pytest.mark.parametrize(("form", "status", "words"), [
    ({"service_code": "0401", "lat": 34.65, "long": 115.15}, 403, "api_key"),
    ({"api_key": "nope", "service_code": "0401", "lat": 34.65, "long": 115.15}, 403, "invalid"),
    ({"api_key": "KEY", "lat": 34.65, "long": 115.15}, 400, "service_code"),
    ({"api_key": "KEY", "service_code": "9999", "lat": 34.65, "long": 115.15}, 400, "unknown problem category"),
    ({"api_key": "KEY", "service_code": "0401", "lat": 39.9, "long": 116.4}, 400, "outside every region"),
    ({"api_key": "KEY", "service_code": "0401", "address_string": "某路"}, 400, "lat and long"),
])
def test_open311_errors_follow_the_spec(client, token_for, form, status, words):
    key = token_for("public")["Authorization"].split()[1]
    form = {k: (key if v == "KEY" else v) for k, v in form.items()}
    before = scalar("SELECT count(*) FROM problems")
    r = client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == status
    [err] = r.json()
    assert err["code"] == status and words in err["description"]
    assert scalar("SELECT count(*) FROM problems") == before
    assert client.get("/open311/v2/requests/123456789.json").status_code == 404


@pytest.mark.parametrize(("pid", "status"), [(2**70, 422), (10**12, 404)])
def test_an_id_beyond_any_problem_is_a_client_error(client, viewer, pid, status):
    # The problem's JSON comes from a server function: an id too big for bigint must not become a 500.
    r = client.get(f"/api/v1/problems/{pid}", headers=viewer)
    assert r.status_code == status, r.text
