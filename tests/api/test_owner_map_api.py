"""The owners map's data (GET /api/v1/analytics/owners): each street, point or cell in view with its owners of
today and the primary roles its rules still miss, as the registry has them; a layer it cannot draw is refused."""

import pytest

from layers.analytics.owner_map import MAX_STREETS
from tests.conftest import scalar

REGION = "411421001"


def _owners(client, headers, region=REGION, **params):
    r = client.get("/api/v1/analytics/owners", params={"region": region, **params} if region else params,
                   headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("layer,table", [("streets", "streets"), ("assessment_points", "assessment_points"),
                                         ("grid_cells", "grid_cells")])
def test_every_place_of_the_layer_with_its_owners_of_today(client, admin, layer, table):
    data = _owners(client, admin, layer=layer)
    # Other tests import tens of thousands of points into this 街道: the layer is then cut at its cap, and says so.
    total = scalar(f"SELECT count(*) FROM {table} WHERE region_code LIKE :r", r=REGION + "%")
    assert data["layer"] == layer and data["truncated"] == (total > MAX_STREETS)
    assert len(data["features"]) == min(total, MAX_STREETS)
    owned = [f for f in data["features"] if f["properties"]["owned"]]
    assert data["owned_count"] == len(owned) and data["unowned_count"] == len(data["features"]) - len(owned)
    held = {f["id"]: sorted(o["role"] for o in f["properties"]["owners"]) for f in data["features"]}
    rows = scalar("SELECT json_object_agg(feature_id, roles) FROM (SELECT feature_id, array_agg(role ORDER BY role) "
                  "AS roles FROM assignments_on(current_date) WHERE layer = :l GROUP BY feature_id) q", l=layer) or {}
    assert {int(k): v for k, v in rows.items() if int(k) in held} == {k: v for k, v in held.items() if v}


def test_a_point_missing_its_keeper_says_so(client, admin):
    data = _owners(client, admin, region=None, layer="assessment_points")
    markets = [f for f in data["features"] if f["properties"]["kind"] == "农贸市场"]
    assert markets
    for f in markets:
        families = {o["role"] for o in f["properties"]["owners"] if o["primary"]}
        assert ("点位责任人" in f["properties"]["missing"]) == ("point_keeper" not in families)


def test_streets_keep_their_lengths_and_road_class(client, viewer):
    data = _owners(client, viewer)
    assert data["layer"] == "streets"
    f = data["features"][0]["properties"]
    assert f["road_class"] == f["kind"] and f["length_m"] > 0
    assert all("phone" not in o for x in data["features"] for o in x["properties"]["owners"])  # not for a viewer


def test_a_layer_the_map_cannot_draw_is_refused(client, admin):
    r = client.get("/api/v1/analytics/owners", params={"layer": "regions"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "layer", r.text


def test_one_definition_of_unowned_road_and_places(client, admin, demo):
    """The home page, the owners map and the coverage report give the same unowned kilometres (what the coverage
    rules require, not every road without an owner) and the same places lacking a required role."""
    from gis.db import transaction
    from layers.analytics import headline

    with transaction() as s:
        home = headline.numbers(s, "411421")  # what the home page shows
    report = client.get("/api/v1/coverage/ownership", params={"region": "411421", "limit": 10000},
                        headers=admin).json()
    streets = _owners(client, admin, region="411421", layer="streets")
    points = _owners(client, admin, region="411421", layer="assessment_points")
    assert not streets["truncated"] and not points["truncated"]
    assert streets["uncovered_km"] == pytest.approx(report["streets_km"]["uncovered"], abs=0.01)
    assert streets["covered_km"] == pytest.approx(report["streets_km"]["covered"], abs=0.01)
    assert streets["uncovered_km"] < streets["unowned_km"]  # branch roads nobody must own are not gaps
    missing_points = {m["id"] for m in report["missing"] if m["layer"] == "assessment_points"}
    assert points["uncovered_count"] == len(missing_points) > 0
    assert {f["id"] for f in points["features"] if f["properties"]["uncovered"]} == missing_points
    assert home["unowned_street_km"] == pytest.approx(streets["uncovered_km"], abs=0.01)
