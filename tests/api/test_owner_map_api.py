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
