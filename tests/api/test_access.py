"""Every route in the OpenAPI schema, tried without credentials, with a role that may not, and from another region."""

import pytest

from layers.caller import SYSTEM
from tests.conftest import scalar

PUBLIC = {("get", "/healthz")}
# Open311 has its own rules (public reading, api_key for submitting): see test_open311.py.
OWN_AUTH = "/open311/"
# What the public role may do: report, and read what reporting needs.
REPORTING = {("post", "/api/v1/problems"), ("post", "/api/v1/problems/{problem_id}/photos"),
             ("get", "/api/v1/problem-categories"), ("get", "/api/v1/problem-sources")}
# Routes whose every answer depends only on the caller's own region (lists and reports are filtered, not refused).
FILTERED = {"/api/v1/layers", "/api/v1/point-types", "/api/v1/owner-roles", "/api/v1/coverage-rules",
            "/api/v1/people", "/api/v1/units", "/api/v1/assignments", "/api/v1/layers/{layer}/features",
            "/api/v1/coverage/ownership", "/api/v1/duty-list.xlsx", "/api/v1/locate", "/api/v1/problems",
            "/api/v1/problem-categories", "/api/v1/problem-sources", "/api/v1/ledgers/{kind}",
            "/api/v1/checklists/{point_type}", "/api/v1/escalations", "/api/v1/indicators",
            "/api/v1/analytics/heatmap", "/api/v1/analytics/coverage", "/api/v1/analytics/ranking",
            "/api/v1/analytics/owners", "/api/v1/patrols",
            "/tiles/{layer}/{z}/{x}/{y}.mvt", "/tiles/{layer}.json", "/ogc", "/ogc/conformance", "/ogc/collections",
            "/ogc/collections/{collectionId}", "/ogc/collections/{collectionId}/items"}


def _routes(client):
    for path, ops in client.app.openapi()["paths"].items():
        if path.startswith(OWN_AUTH):
            continue
        for method in ops:
            yield method, path


@pytest.fixture(scope="module")
def targets(demo):
    """Ids of things inside 街道 411421001, which the scoped caller below must not reach."""
    return {
        "layer": "streets",
        "fid": scalar("SELECT min(id) FROM streets WHERE region_code LIKE '411421001%'"),
        "pid": scalar("SELECT min(id) FROM people WHERE region_code LIKE '411421001%'"),
        "aid": scalar("SELECT min(id) FROM assignments WHERE region_code LIKE '411421001%'"),
        "problem_id": (problem_id := _problem_in_411421001()),
        "photo_id": _photo_of(problem_id),
        "kind": "points",
        "collectionId": "streets",
        "featureId": scalar("SELECT min(id) FROM streets WHERE region_code LIKE '411421001%'"),
        "z": 15, "x": 26864, "y": 13018,
        "point_type": "农贸市场",
        "point_id": scalar("SELECT min(id) FROM assessment_points WHERE region_code LIKE '411421001%'"),
    }


def _problem_in_411421001():
    from gis.db import transaction
    from layers import problems

    x, y = (scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM regions WHERE code = '411421001001'") for c in "XY")
    with transaction() as s:
        return problems.intake(s, problems.Report(category="乱贴乱画", source="patrol", lon=x, lat=y), caller=SYSTEM)


def _photo_of(problem_id):
    from gis.db import transaction
    from layers import photos
    from layers.caller import SYSTEM
    from tests.images import photo

    with transaction() as s:
        return photos.attach(s, problem_id, photo(11), caller=SYSTEM)["id"]


def _url(path, targets):
    for key, value in targets.items():
        path = path.replace("{" + key + "}", str(value))
    return path


def _call(client, method, url, headers):
    params = {"lon": 115.148, "lat": 34.648} if url.endswith("/locate") else None
    if url.endswith("/supervision-sheet"):
        params = {"person_id": scalar("SELECT min(id) FROM people WHERE region_code LIKE '411421001%'")}
    kwargs = {"headers": headers, "params": params}
    if method in ("post", "patch"):
        kwargs["json"] = {}
    return client.request(method.upper(), url, **kwargs)


def test_every_route_needs_credentials(client, targets):
    seen = 0
    for method, path in _routes(client):
        r = _call(client, method, _url(path, targets), {})
        if (method, path) in PUBLIC:
            assert r.status_code == 200
        else:
            assert r.status_code == 401, (method, path, r.status_code)
            assert "Bearer" in r.json()["detail"]
        seen += 1
    assert seen >= 25  # the schema really was enumerated


def test_public_role_may_only_report(client, targets, token_for):
    public = token_for("public")
    for method, path in _routes(client):
        if (method, path) in PUBLIC:
            continue
        r = _call(client, method, _url(path, targets), public)
        if (method, path) in REPORTING:
            assert r.status_code in (200, 201, 422), (method, path, r.status_code)  # empty bodies are 422
        else:
            assert r.status_code == 403, (method, path, r.status_code)


def test_read_roles_cannot_write(client, targets, viewer):
    for method, path in _routes(client):
        if method in ("post", "patch", "delete"):
            r = _call(client, method, _url(path, targets), viewer)
            assert r.status_code == 403, (method, path, r.status_code)


def test_another_regions_token_sees_and_changes_nothing_here(client, targets, token_for):
    other = token_for("subdistrict_staff", "411421002")
    for method, path in _routes(client):
        if (method, path) in PUBLIC or path in FILTERED:
            continue
        r = _call(client, method, _url(path, targets), other)
        # Reading or changing something of 411421001 looks like it does not exist, or is refused outright;
        # bodies that are empty are refused before anything is looked up (422).
        assert r.status_code in (403, 404, 422), (method, path, r.status_code)
        if method == "get":
            assert r.status_code == 404, (method, path, r.status_code)
    streets = client.get("/api/v1/layers/streets/features", params={"limit": 10000}, headers=other).json()
    assert streets["features"] and all(f["properties"]["region_code"].startswith("411421002")
                                       for f in streets["features"])
    people = client.get("/api/v1/people", params={"limit": 10000}, headers=other).json()
    assert all((p["region_code"] or "").startswith("411421002") for p in people)
    mine = client.get("/api/v1/assignments", params={"limit": 10000}, headers=other).json()
    assert mine and all(a["region_code"].startswith("411421002") for a in mine)
    assert client.get("/api/v1/coverage/ownership", params={"region": "411421001"}, headers=other).status_code == 403
    x, y = (scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM grid_cells WHERE id = "
                   "(SELECT min(id) FROM grid_cells WHERE region_code LIKE '411421001%')") for c in "XY")
    spot = client.get("/api/v1/locate", params={"lon": x, "lat": y}, headers=other).json()
    assert spot["district"]["code"] == "411421" and spot["grid_cell"] is None and spot["owners"] == []
    assert client.get("/api/v1/duty-list.xlsx", params={"region": "411421"}, headers=other).status_code == 403
