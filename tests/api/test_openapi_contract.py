"""The OpenAPI document describes every JSON answer, and real answers match their models: the contract cannot drift.

Each sampled answer must validate against its model, name no key the model does not document (models pass unknown
keys through rather than drop them, so an undocumented key shows up here), and come back unchanged when the model
writes it again (so a validating route sends exactly what the service returned). Answers FastAPI passes through
untouched (JSON written by the database: features, intake, heatmap, OGC items) are not written again: PostgreSQL
writes times its own way (`.12+08:00` where Python writes `.120000+08:00`).
"""

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from layers.analytics.schemas import CoverageGaps, Heatmap, OgcFeatureCollection, Ranking, StreetOwnerMap, TileJSON
from layers.ledger.schemas import (
    Escalation,
    Indicator,
    Ledger,
    Open311Request,
    Open311Service,
    ProblemDetail,
    ProblemPage,
)
from layers.registry.schemas import Assignment, CoverageReport, OwnedLocation, Person, PersonDetail
from layers.spatial.schemas import ErrorBody, FeaturePage, LayerFeature
from tests.conftest import scalar

NOT_JSON = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.mapbox-vector-tile",
            "text/html"}


def test_every_json_route_documents_its_answer(client):
    doc = client.get("/openapi.json").json()
    bare = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            ok = {code: r for code, r in op["responses"].items() if code in ("200", "201")}
            if not ok:
                assert "204" in op["responses"], (method, path)  # only a bodiless answer may go without
                continue
            for code, response in ok.items():
                content = response.get("content", {})
                json_types = {t: c for t, c in content.items() if t not in NOT_JSON and not t.startswith("image/")}
                assert json_types or content, (method, path, code)
                for media_type, c in json_types.items():
                    if not c.get("schema"):
                        bare.append(f"{method.upper()} {path} {code} {media_type}")
    assert not bare, bare
    errors = doc["paths"]["/api/v1/problems"]["get"]["responses"]
    assert errors["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "ErrorBody" in doc["components"]["schemas"]


def _undocumented(value: Any, path: str = "") -> list[str]:
    if isinstance(value, BaseModel):
        found = [f"{path}.{k}" for k in value.model_extra or {}]
        for name in type(value).model_fields:
            found += _undocumented(getattr(value, name), f"{path}.{name}")
        return found
    if isinstance(value, list):
        return [p for item in value[:100] for p in _undocumented(item, f"{path}[]")]
    if isinstance(value, dict):
        return [p for k, item in value.items() for p in _undocumented(item, f"{path}.{k}")]
    return []


def check(model: Any, response, passthrough: bool = False) -> Any:
    """`response` validates against `model`, documents every key, and (unless passed through) comes back as sent."""
    assert response.status_code < 300, response.text[:300]
    body = response.json()
    adapter = TypeAdapter(model)
    value = adapter.validate_python(body)
    assert not sorted(set(_undocumented(value))), f"undocumented keys in {model}"
    if not passthrough:
        assert adapter.dump_python(value, mode="json", by_alias=True, exclude_unset=True) == body
    return body


@pytest.fixture(scope="module")
def spot(demo):
    # Not the first cell: tests/layers/test_scale_layout.py reports there and expects no open report of its kind.
    return tuple(scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM grid_cells WHERE region_code LIKE '411421001%' "
                        "ORDER BY code OFFSET 7 LIMIT 1") for c in "XY")


@pytest.mark.parametrize("layer", ["regions", "grid_cells", "streets", "assessment_points"])
def test_features_match_their_models(client, viewer, layer):
    page = check(FeaturePage, client.get(f"/api/v1/layers/{layer}/features", params={"limit": 2}, headers=viewer),
                 passthrough=True)
    assert page["features"] and page["links"][0]["rel"] == "next"
    check(LayerFeature, client.get(f"/api/v1/layers/{layer}/features/{page['features'][0]['id']}", headers=viewer),
          passthrough=True)


def test_registry_answers_match_their_models(client, admin, viewer, spot):
    for headers in (admin, viewer):  # with and without phone numbers
        check(OwnedLocation, client.get("/api/v1/locate", params={"lon": spot[0], "lat": spot[1]}, headers=headers))
        check(list[Person], client.get("/api/v1/people", params={"limit": 5}, headers=headers))
        check(list[Assignment], client.get("/api/v1/assignments", params={"limit": 5}, headers=headers))
        check(CoverageReport, client.get("/api/v1/coverage/ownership", params={"limit": 5}, headers=headers))
    busy = scalar("SELECT person_id FROM assignments_on(current_date) WHERE person_id IS NOT NULL ORDER BY id LIMIT 1")
    assert check(PersonDetail, client.get(f"/api/v1/people/{busy}", headers=viewer))["assignments"]


def test_account_answers_match_their_models(client, admin, viewer):
    from layers.access.schemas import Account, Me

    body = {"login": "contract-viewer", "display_name": "契约测试", "role": "viewer",
            "password": "Lanterns-over-the-Huai"}
    created = check(Account, client.post("/api/v1/users", json=body, headers=admin))
    assert created["must_change_password"] is True
    check(list[Account], client.get("/api/v1/users", headers=admin))
    check(Account, client.post("/api/v1/users/contract-viewer/disable", headers=admin))
    for headers in (admin, viewer):
        assert check(Me, client.get("/api/v1/me", headers=headers))["kind"] == "token"


def test_ledger_answers_match_their_models(client, admin, viewer, spot):
    r = client.post("/api/v1/problems", json={"category": "0401", "lon": spot[0], "lat": spot[1]}, headers=admin)
    assert r.status_code == 201
    pid = r.json()["id"]
    for headers in (admin, viewer):
        check(ProblemPage, client.get("/api/v1/problems", params={"limit": 5}, headers=headers))
        check(ProblemDetail, client.get(f"/api/v1/problems/{pid}", headers=headers))
    closed = scalar("SELECT id FROM problems WHERE status = 'closed' AND duplicate_of IS NULL ORDER BY id LIMIT 1")
    check(ProblemDetail, client.get(f"/api/v1/problems/{closed}", headers=viewer))
    for kind in ("points", "problems", "rectification"):
        assert check(Ledger, client.get(f"/api/v1/ledgers/{kind}", params={"limit": 5}, headers=viewer))
    check(list[Indicator], client.get("/api/v1/indicators", params={"level": "owner"}, headers=viewer))
    check(list[Escalation], client.get("/api/v1/escalations", headers=viewer))


def test_intake_answer_matches_the_problem_model(client, admin, spot):
    from layers.ledger.schemas import Problem

    r = client.post("/api/v1/problems", json={"category": "0101", "lon": spot[0], "lat": spot[1],
                                               "reporter": "李女士", "reporter_contact": "13800000001"}, headers=admin)
    assert check(Problem, r, passthrough=True)["reporter_contact"] == "13800000001"


def test_analytics_answers_match_their_models(client, admin, viewer):
    bbox = {"bbox": "115.13,34.64,115.15,34.66"}
    for cell in ("hex", "grid_cell", "community"):
        check(Heatmap, client.get("/api/v1/analytics/heatmap", params={"cell": cell, **bbox}, headers=viewer),
              passthrough=True)
    gaps = check(CoverageGaps, client.get("/api/v1/analytics/coverage", headers=viewer, params={
        "limit": 3, "facility": "公共厕所", "kind": ["ownership", "patrol", "grid_gap", "grid_overlap", "service"]}))
    assert gaps["features"]
    for level in ("subdistrict", "community", "owner"):
        check(Ranking, client.get("/api/v1/analytics/ranking", params={"level": level, "period": "2026-03"},
                                  headers=viewer))
    for headers in (admin, viewer):
        check(StreetOwnerMap, client.get("/api/v1/analytics/owners", params={"limit": 5}, headers=headers))
    check(TileJSON, client.get("/tiles/problems.json", headers=viewer))
    check(OgcFeatureCollection, client.get("/ogc/collections/problems/items", params={"limit": 3}, headers=viewer),
          passthrough=True)


def test_open311_answers_match_their_models(client):
    services = check(list[Open311Service], client.get("/open311/v2/services.json"))
    assert services
    pid = scalar("SELECT max(id) FROM problems WHERE duplicate_of IS NULL")
    assert check(list[Open311Request], client.get(f"/open311/v2/requests/{pid}.json"))
    check(list[Open311Request], client.get("/open311/v2/requests.json"))


def test_errors_match_the_error_body(client, admin):
    assert client.get("/api/v1/problems", headers={}).status_code == 401
    check_error = TypeAdapter(ErrorBody).validate_python
    check_error(client.get("/api/v1/problems", headers={}).json())
    body = client.get("/api/v1/problems", params={"limit": "x"}, headers=admin).json()
    assert check_error(body).errors and body["field"] == "limit"
