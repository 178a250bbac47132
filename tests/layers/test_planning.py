"""The planning indicators on the crafted river town (tests/crafted.py: river_town), against hand calculations:
street km by the midpoint's community over the cells' area, reach shares of the 15-minute circle, km without a
街长 under the coverage rules, and road and green shares only once polygons of them are imported."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box, mapping

from gis.db import transaction
from layers.access.caller import SYSTEM
from layers.analytics import land_cover
from layers.registry import assignments, people
from tests.conftest import scalar
from tests.crafted import river_town

URL = "/api/v1/analytics/planning-indicators"
# Street lengths as drawn (m); G as stored, 1.5 m short of V (the network joins it, the street stays as drawn).
WEST_M = 2960 + 2960 + 900 + 448.5 + 300  # W1, V, N, G, K1
EAST_M = 2960 + 250  # E1, the bridge (its midpoint is east of the boundary)
WEST_CELLS, EAST_CELLS = 160_000 + 80_000 + 240_000, 200_000 + 200_000
CHIEF_WEST, CHIEF_EAST = 2960 + 2960 + 448.5 + 300, 2960  # arterials, the secondary and back lanes need a 街长


@pytest.fixture(scope="module")
def planned(demo):
    t = river_town("419803", 114.05, 34.45)
    with transaction() as s:
        pid = people.create_person(s, name="滨河街长", region_code=t["west"], caller=SYSTEM)
        assignments.assign(s, role="district_street_chief", layer="streets", feature_ids=[t["ids"]["W1"]],
                           holder=assignments.Holder(pid, None), caller=SYSTEM)
    return t


def _rows(client, headers, **params):
    r = client.get(URL, params={"region": "419803", **params}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    return body, {row["code"]: {i["code"]: i for i in row["indicators"]} | {"_row": row} for row in body["rows"]}


def test_indicators_per_community_equal_hand_calculations(client, viewer, planned):
    body, rows = _rows(client, viewer, level="community")
    west, east = rows[planned["west"]], rows[planned["east"]]
    assert west["_row"]["road_km"] == pytest.approx(WEST_M / 1000, abs=1e-3)
    assert west["_row"]["built_up_source"] == "grid_cells"
    assert west["road_density"]["value"] == pytest.approx(WEST_M / 1000 / (WEST_CELLS / 1e6), rel=1e-4)
    assert east["road_density"]["value"] == pytest.approx(EAST_M / 1000 / (EAST_CELLS / 1e6), rel=1e-4)
    assert west["road_density"]["pass"] is True and east["road_density"]["pass"] is True  # ≥ 8 km/km²
    assert west["road_density"]["target"] == 8 and west["road_density"]["comparison"] == ">="
    assert west["no_chief_share"]["value"] == pytest.approx(100 * (CHIEF_WEST - 2960) / CHIEF_WEST, rel=1e-4)
    assert east["no_chief_share"]["value"] == pytest.approx(100) and east["no_chief_share"]["pass"] is False
    # Reach over the network (the 15-minute circle, 1,000 m at 4 km/h): the toilet reaches c2 and c3 of the west
    # bank, the market c4 of the east; no cell has every facility of the circle.
    reach_w = {r["facility"]: r["share"] for r in west["_row"]["reach"]}
    reach_e = {r["facility"]: r["share"] for r in east["_row"]["reach"]}
    assert reach_w["公共厕所"] == pytest.approx((80_000 + 240_000) / WEST_CELLS, abs=1e-4)
    assert reach_e["公共厕所"] == 0 and reach_e["农贸市场"] == pytest.approx(0.5, abs=1e-4)
    assert west["living_circle_share"]["value"] == 0 and west["living_circle_share"]["pass"] is None  # no target
    assert west["volunteer_reach"]["value"] == 0  # no 志愿服务站 at all
    # Without imported polygons there is no road area share or green cover, and the answer says why.
    assert west["road_area_share"]["value"] is None and west["road_area_share"]["note"] == "未导入道路面层"
    assert west["green_cover"]["value"] is None and body["criterion"] == "centroid"


def test_the_city_and_subdistrict_rows_add_up(client, viewer, planned):
    _, city = _rows(client, viewer, level="city")
    row = city["419803"]
    assert row["road_density"]["value"] == pytest.approx((WEST_M + EAST_M) / 1000 / 0.88, rel=1e-4)
    missing = (CHIEF_WEST - 2960) + CHIEF_EAST
    assert row["no_chief_share"]["value"] == pytest.approx(100 * missing / (CHIEF_WEST + CHIEF_EAST), rel=1e-4)
    _, sub = _rows(client, viewer, level="subdistrict")
    assert sub["419803001"]["road_density"]["value"] == pytest.approx(row["road_density"]["value"])
    share = {r["facility"]: r["share"] for r in row["_row"]["reach"]}
    assert share["公共厕所"] == pytest.approx(320_000 / 880_000, abs=1e-4)


def test_road_and_green_shares_once_polygons_are_imported(client, viewer, planned, tmp_path):
    deg = planned["deg"]

    def geojson(name, shapes):
        path = tmp_path / name
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"名称": n}, "geometry": mapping(deg(g))} for n, g in shapes]}),
            encoding="utf-8")
        return path

    road = geojson("roads.geojson", [("滨河西路路面", box(1390, 20, 1410, 2980))])
    green = geojson("green.geojson", [("西岸绿地", box(0, 0, 600, 500)), ("重叠部分", box(100, 100, 300, 300))])
    try:
        with transaction() as s:
            assert land_cover.import_file(s, road, kind="road", actor="test")["polygons"] == 1
            land_cover.import_file(s, green, kind="green", actor="test")
        _, rows = _rows(client, viewer, level="community")
        west, east = rows[planned["west"]], rows[planned["east"]]
        assert west["road_area_share"]["value"] == pytest.approx(100 * 20 * 2960 / WEST_CELLS, rel=1e-4)
        assert west["road_area_share"]["pass"] is False  # 12.3 % < 15 %
        assert west["green_cover"]["value"] == pytest.approx(100 * 300_000 / WEST_CELLS, rel=1e-4)  # overlap once
        assert west["green_cover"]["pass"] is True and east["green_cover"]["value"] == 0
        with transaction() as s:  # a second import of a kind replaces it
            land_cover.import_file(s, road, kind="road", actor="test")
        assert scalar("SELECT count(*) FROM land_cover WHERE kind = 'road'") == 1
    finally:
        with transaction() as s:
            from sqlalchemy import text

            s.execute(text("DELETE FROM land_cover"))


def test_bad_requests(client, viewer, token_for, planned):
    assert client.get(URL, params={"level": "street"}, headers=viewer).status_code == 422
    assert client.get(URL, params={"circle": "5min"}, headers=viewer).json()["field"] == "circle"
    other = token_for("viewer", "411421001")
    assert client.get(URL, params={"region": "419803"}, headers=other).status_code == 403
    circles = client.get("/api/v1/analytics/living-circles", headers=viewer).json()
    assert circles[0]["code"] == "15min" and circles[0]["walk_m"] == pytest.approx(1000)
