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
    # The legend of the owners map on tiles: the server's totals over the region, the same numbers.
    for layer, answer in (("streets", streets), ("assessment_points", points)):
        totals = client.get("/api/v1/analytics/owners/totals", params={"region": "411421", "layer": layer},
                            headers=admin).json()
        for key in ("uncovered_km", "covered_km", "owned_km", "unowned_km", "uncovered_count", "covered_count",
                    "owned_count", "unowned_count"):
            assert totals[key] == pytest.approx(answer[key], abs=0.01), (layer, key)
    assert totals["uncovered_count"] == len(missing_points)


def _tile_features(client, headers, name, lon, lat, z):
    import mapbox_vector_tile

    from gis.mvt import tile_of

    x, y = tile_of(lon, lat, z)
    r = client.get(f"/tiles/{name}/{z}/{x}/{y}.mvt", headers=headers)
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache"
    layers = mapbox_vector_tile.decode(r.content) if r.content else {}
    return {f["properties"]["id"]: f["properties"] for f in layers.get(name, {}).get("features", [])}


def test_owner_tiles_carry_each_places_owner_and_missing_roles(client, admin):
    """Every place in the tile with its primary owner and the roles its rules miss, as the registry has them; the
    back lanes a rule requires are in the tiles at the city's zoom, branch roads nobody must own only close up."""
    lane = scalar("SELECT id FROM streets s WHERE road_class = 'back_lane' AND region_code LIKE '411421001%' "
                  "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.layer = 'streets' AND a.feature_id = s.id) "
                  "ORDER BY id LIMIT 1")
    owned = scalar("SELECT a.feature_id FROM assignments_on(current_date) a JOIN owner_roles r ON r.code = a.role "
                   "WHERE a.layer = 'streets' AND r.is_primary AND a.person_id IS NOT NULL ORDER BY a.id LIMIT 1")
    for fid, z in ((lane, 12), (lane, 16), (owned, 16)):
        lon, lat = (float(v) for v in scalar("SELECT array[ST_X(p), ST_Y(p)] FROM (SELECT ST_LineInterpolatePoint("
                                             "geom, 0.5) AS p FROM streets WHERE id = :f) q", f=fid))
        got = _tile_features(client, admin, "owners_streets", lon, lat, z)
        assert fid in got, (fid, z)
        p = got[fid]
        if fid == lane:
            assert p["owned"] == 0 and p["required"] == 1 and "街长" in p["missing"]
        else:
            holder = scalar("SELECT 'person:' || a.person_id FROM assignments_on(current_date) a JOIN owner_roles r "
                            "ON r.code = a.role WHERE a.layer = 'streets' AND a.feature_id = :f AND r.is_primary "
                            "ORDER BY r.sort, a.id LIMIT 1", f=fid)
            assert p["owned"] == 1 and p["colour_key"] == holder and p["name"] and p["owner"]
        if z < 14:
            assert "name" not in p  # colours only further out
            kinds = {scalar("SELECT road_class FROM streets WHERE id = :i", i=i) for i in got}
            assert "branch" not in kinds or scalar(
                "SELECT count(*) FROM coverage_rules WHERE active AND layer = 'streets' AND filter_value = 'branch'")
    # A write shows in the next tile asked for: nothing between the registry and the tile keeps the old answer.
    pid = client.post("/api/v1/people", json={"name": "瓦片街长", "phone": "13600000777"}, headers=admin).json()["id"]
    r = client.post("/api/v1/assignments", json={"role": "district_street_chief", "layer": "streets",
                                                 "feature_id": lane, "person_id": pid}, headers=admin)
    assert r.status_code == 201, r.text
    lon, lat = (float(v) for v in scalar("SELECT array[ST_X(p), ST_Y(p)] FROM (SELECT ST_LineInterpolatePoint("
                                         "geom, 0.5) AS p FROM streets WHERE id = :f) q", f=lane))
    p = _tile_features(client, admin, "owners_streets", lon, lat, 16)[lane]
    assert p["owned"] == 1 and p["colour_key"] == f"person:{pid}" and "missing" not in p
