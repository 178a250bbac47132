"""The walking network and reach over it, on a crafted river town (tests/crafted.py: river_town) where the
straight line and the walk disagree: the east bank is 200 m from the toilet across the river but 4.7 km round by
the only bridge, and the walled compound behind the toilet is entered from its far gate."""

from __future__ import annotations

import osmium
import pytest
from shapely.geometry import LineString, Point, shape
from sqlalchemy import text

from gis.db import transaction
from layers.access.caller import Caller
from layers.network import build, reach
from layers.spatial import features
from layers.spatial.catalog import LAYERS
from tests.conftest import scalar
from tests.crafted import put, river_town, town

GAPS = "/api/v1/analytics/coverage"
TOILET, MARKET = "公共厕所", "农贸市场"


@pytest.fixture(scope="module")
def river(demo):
    return river_town("419801", 114.05, 34.35)


def _unreached(facility: str, walk_m: float, district: str = "419801") -> set[str]:
    with transaction() as s:
        out = reach.analyse(s, [reach.Facility(facility, walk_m)], scope=district)
    return {f["properties"]["code"] for f in out["features"] if f["properties"]["kind"] == "service"}


def test_streets_are_split_at_junctions_and_the_short_end_is_joined(river):
    ids = river["ids"]
    edges = {k: scalar("SELECT count(*) FROM network_edges WHERE street_id = :i", i=ids[k]) for k in ids if
             k not in ("T", "M")}
    # W1 meets the bridge (2800) and N (2000); E1 the bridge; V meets N and G (snapped onto it); the bridge
    # crosses E1 and runs on 50 m.
    assert edges == {"W1": 3, "E1": 2, "B": 2, "V": 3, "N": 1, "G": 1, "K1": 1}
    shared = scalar("""SELECT count(*) FROM network_edges g, network_edges v WHERE g.street_id = :g
                       AND v.street_id = :v AND (g.source IN (v.source, v.target) OR g.target IN (v.source, v.target))
                    """, g=ids["G"], v=ids["V"])
    assert shared >= 1  # 1.5 m short of V, within the snap tolerance: one node
    g_len = scalar("SELECT sum(length_m) FROM network_edges WHERE street_id = :i", i=ids["G"])
    assert g_len == pytest.approx(450, abs=0.01)  # its end moved onto V


def test_a_street_beyond_the_tolerance_stays_apart(river):
    deg = river["deg"]
    put("streets", [({"code": "419801-X", "name": "断头路", "road_class": "branch"},
                     deg(LineString([(200, 1000), (497, 1000)])))])  # 3 m short of V
    with transaction() as s:
        x = s.execute(text("SELECT source, target FROM network_edges e JOIN streets t ON t.id = e.street_id "
                           "WHERE t.code = '419801-X'")).all()
        v = s.execute(text("SELECT source, target FROM network_edges WHERE street_id = :v"),
                      {"v": river["ids"]["V"]}).all()
    assert len(x) == 1 and not {*x[0]} & {n for e in v for n in e}


def test_network_reach_excludes_what_the_buffer_wrongly_includes(river):
    from layers.analytics import gaps

    cells, deg = river["cells"], river["deg"]
    # Along the streets, the compound (entered from its far gate) and the east bank are beyond 1,000 m.
    assert _unreached(TOILET, 1000) == {cells["c1"], cells["c4"], cells["c5"]}
    # The straight-line buffer takes the compound's centre and the east bank's south cell as inside.
    with transaction() as s:
        line = gaps.gaps(s, kinds=["service"], facility=TOILET, walk_m=1000, scope="419801")
    outside = [shape(f["geometry"]) for f in line["features"]]
    assert line["service_method"] == "straight_line" and outside
    assert not any(g.contains(deg(Point(1100, 600))) or g.contains(deg(Point(1750, 600))) for g in outside)


def test_walking_distances_are_the_hand_calculated_ones(river):
    c = river["cells"]
    # c3: 10 m onto W1, 400 m north, 200 m across to its centre = 610 m.
    assert c["c3"] in _unreached(TOILET, 600) and c["c3"] not in _unreached(TOILET, 620)
    # The compound: 10 + 1400 north + 900 west + 1400 south + 450 along G (its end snapped) + 150 in = 4310 m.
    assert c["c1"] in _unreached(TOILET, 4300) and c["c1"] not in _unreached(TOILET, 4320)
    # The east bank by the bridge: 10 + 2200 + 200 + 2200 + 150 = 4760 m; its north cell ends at the bridge's stub.
    assert c["c4"] in _unreached(TOILET, 4750) and c["c4"] not in _unreached(TOILET, 4770)
    assert c["c5"] in _unreached(TOILET, 2550) and c["c5"] not in _unreached(TOILET, 2570)


def test_two_facility_types_at_once_over_http(client, viewer, river):
    c, a = river["cells"], river["areas"]
    r = client.get(GAPS, headers=viewer, params={"region": "419801", "kind": "service", "method": "network",
                                                 "facility": [TOILET, MARKET], "walk_m": 1000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["service_method"] == "network" and body["service"]["criterion"] == "centroid"
    outside = {(f["properties"]["facility"], f["properties"]["code"]) for f in body["features"]
               if f["properties"]["kind"] == "service"}
    assert outside == {(TOILET, c["c1"]), (TOILET, c["c4"]), (TOILET, c["c5"]),
                       (MARKET, c["c1"]), (MARKET, c["c2"]), (MARKET, c["c3"]), (MARKET, c["c5"])}
    shares = {(x["code"], x["facility"]): x["share"] for x in body["service"]["communities"]}
    west = a["c1"] + a["c2"] + a["c3"]
    assert shares[(river["west"], TOILET)] == pytest.approx((a["c2"] + a["c3"]) / west, abs=1e-4)
    assert shares[(river["east"], TOILET)] == 0
    assert shares[(river["east"], MARKET)] == pytest.approx(a["c4"] / (a["c4"] + a["c5"]), abs=1e-4)
    assert shares[(river["west"], None)] == 0 and shares[(river["east"], None)] == 0  # no cell has both
    per = {f["facility"]: f for f in body["service"]["facilities"]}
    assert per[TOILET]["unreached"] == 3 and per[MARKET]["unreached"] == 4
    assert per[TOILET]["unreached_area_m2"] == pytest.approx(a["c1"] + a["c4"] + a["c5"], rel=1e-4)
    # Along W1 from the toilet's foot: 580 m south to its end, 990 m north (10 m were spent getting there).
    assert per[TOILET]["reached_street_km"] == pytest.approx(1.570, abs=1e-3)
    assert per[MARKET]["reached_street_km"] == pytest.approx(1.570, abs=1e-3)  # the same on E1
    reached = [f for f in body["features"] if f["properties"]["kind"] == "reach"]
    assert {f["properties"]["facility"] for f in reached} == {TOILET, MARKET}
    assert all(f["properties"]["distance_m"] <= 1000 for f in reached)
    # Reached streets of the toilet: W1 600 m south (to its end at y=20: 580) and 1000 north, never E1.
    toilet_streets = {f["properties"]["code"] for f in reached if f["properties"]["facility"] == TOILET}
    assert "419801-W1" in toilet_streets and "419801-E1" not in toilet_streets
    # The straight line takes both types too (a second facility is no longer dropped), and includes what the walk
    # does not reach: the compound's centre and the east bank's south cell are inside the buffers.
    line = client.get(GAPS, headers=viewer, params={"region": "419801", "kind": "service",
                                                    "facility": [TOILET, MARKET], "walk_m": 1000}).json()
    assert line["service_method"] == "straight_line"
    assert {f["facility"] for f in line["service"]["facilities"]} == {TOILET, MARKET}
    toilet_gaps = [shape(f["geometry"]) for f in line["features"] if f["properties"]["facility"] == TOILET]
    deg = river["deg"]
    for centre in (Point(1100, 600), Point(1750, 600)):
        assert not any(g.contains(deg(centre)) for g in toilet_gaps)


def test_minutes_and_the_living_circle_preset(client, viewer, river):
    body = client.get(GAPS, headers=viewer, params={"region": "419801", "kind": "service", "method": "network",
                                                    "preset": "15min", "geometry": "false"}).json()
    per = {f["facility"]: f for f in body["service"]["facilities"]}
    assert {"社区服务中心", "农贸市场", "公共厕所", "中小学校", "幼儿园", "运动场地", "公交站台"} == set(per)
    assert per[TOILET]["walk_min"] == 15 and per[TOILET]["walk_m"] == pytest.approx(1000)  # 4 km/h
    assert per["社区服务中心"]["on_network"] == 0 and per["社区服务中心"]["area_share"] == 0
    walk = client.get(GAPS, headers=viewer, params={"region": "419801", "kind": "service", "method": "network",
                                                    "facility": TOILET, "walk_min": 9.3}).json()  # 620 m
    assert river["cells"]["c3"] not in {f["properties"]["code"] for f in walk["features"]
                                        if f["properties"]["kind"] == "service"}
    bad = client.get(GAPS, headers=viewer, params={"kind": "service", "method": "network", "facility": "天文台"})
    assert bad.status_code == 422 and bad.json()["field"] == "facility"
    assert client.get(GAPS, headers=viewer, params={"kind": "service", "preset": "20min"}).json()["field"] == "preset"


def test_a_street_edit_updates_reach_incrementally(river):
    c, deg = river["cells"], river["deg"]
    built = scalar("SELECT value FROM city_settings WHERE key = 'network_built_at'")
    v_edges = scalar("SELECT array_agg(id ORDER BY id) FROM network_edges WHERE street_id = :v", v=river["ids"]["V"])
    put("streets", [({"code": "419801-F", "name": "步行桥", "road_class": "back_lane"},
                     deg(LineString([(1400, 700), (1600, 700)])))])
    # 10 + 100 north + 200 over the new footbridge + 100 south + 150 = 560 m.
    assert c["c4"] not in _unreached(TOILET, 1000) and c["c4"] in _unreached(TOILET, 550)
    assert scalar("SELECT value FROM city_settings WHERE key = 'network_built_at'") == built  # not rebuilt
    assert scalar("SELECT array_agg(id ORDER BY id) FROM network_edges WHERE street_id = :v",
                  v=river["ids"]["V"]) == v_edges  # far from the edit: untouched
    fid = scalar("SELECT id FROM streets WHERE code = '419801-F'")
    with transaction() as s:  # moved south by 50 m: the walk changes with it
        features.patch_feature(s, LAYERS["streets"], fid, {"type": "Feature", "properties": {}, "geometry": {
            "type": "LineString", "coordinates": [list(deg(Point(1400, 650)).coords[0]),
                                                  list(deg(Point(1600, 650)).coords[0])]}},
            caller=Caller(actor="test"))
    assert c["c4"] not in _unreached(TOILET, 470) and c["c4"] in _unreached(TOILET, 455)  # 10+50+200+50+150
    with transaction() as s:
        features.delete_feature(s, LAYERS["streets"], fid, caller=Caller(actor="test"))
    assert c["c4"] in _unreached(TOILET, 4750)
    assert scalar("""SELECT count(*) FROM network_nodes n WHERE NOT EXISTS (
                         SELECT 1 FROM network_edges e WHERE n.id IN (e.source, e.target))""") == 0


def test_a_rebuild_gives_the_same_network(river):
    before = scalar("SELECT round(sum(length_m)::numeric, 3) FROM network_edges")
    count = scalar("SELECT count(*) FROM network_edges")
    with transaction() as s:
        build.rebuild(s)
    assert scalar("SELECT round(sum(length_m)::numeric, 3) FROM network_edges") == before
    assert scalar("SELECT count(*) FROM network_edges") == count


def test_an_osm_import_keeps_node_ids_and_its_bridges_apart(demo, tmp_path):
    from layers.spatial.io import import_file

    t = town("419802", 114.15, 34.35)
    lon, lat = 114.155, 34.355
    nodes = {1: (lon, lat), 2: (lon + 0.002, lat), 3: (lon + 0.004, lat), 4: (lon + 0.002, lat - 0.002),
             5: (lon + 0.002, lat + 0.002), 6: (lon + 0.003, lat - 0.002), 7: (lon + 0.003, lat + 0.002)}
    path = tmp_path / "bridge.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        for i, (x, y) in nodes.items():
            w.add_node(osmium.osm.mutable.Node(id=900 + i, location=osmium.osm.Location(x, y), version=1))
        for wid, ns, tags in ((501, [1, 2, 3], {"highway": "primary", "name": "东西路"}),
                              (502, [4, 2, 5], {"highway": "residential", "name": "南北街"}),
                              (503, [6, 7], {"highway": "secondary", "bridge": "yes", "name": "高架桥"})):
            w.add_way(osmium.osm.mutable.Way(id=wid, nodes=[900 + n for n in ns], tags=tags, version=1))
    with transaction() as s:
        import_file(s, LAYERS["streets"], path, actor="test")
    assert t["district"] == "419802"
    with transaction() as s:
        osm = dict(s.execute(text("""
            SELECT t.osm_id, array_agg(DISTINCT n.osm_node_id ORDER BY n.osm_node_id) FROM network_edges e
            JOIN streets t ON t.id = e.street_id JOIN network_nodes n ON n.id IN (e.source, e.target)
            WHERE t.osm_id IN (501, 502, 503) GROUP BY t.osm_id""")).all())
    assert osm == {501: [901, 902, 903], 502: [902, 904, 905], 503: [906, 907]}  # 503 crosses 501 on a bridge


def test_a_facility_moved_is_measured_from_where_it_is(river):
    c, deg = river["cells"], river["deg"]
    tid = river["ids"]["T"]
    assert scalar("SELECT count(*) FROM network_access WHERE layer = 'assessment_points' AND feature_id = :i",
                  i=tid) == 1  # where it joins the network is kept
    try:
        # Moved by SQL behind the writer's back: its kept row is older than it, so the walk is measured anew.
        with transaction() as s:
            s.execute(text("UPDATE assessment_points SET geom = ST_GeomFromText(:g, 4490) WHERE id = :i"),
                      {"g": deg(Point(1610, 700)).wkt, "i": tid})
        assert _unreached(TOILET, 1000) == {c["c1"], c["c2"], c["c3"], c["c5"]}  # now beside the market
        with transaction() as s:  # and back through the writer
            features.patch_feature(s, LAYERS["assessment_points"], tid, {"type": "Feature", "properties": {},
                                   "geometry": {"type": "Point", "coordinates": list(deg(Point(1390, 600)).coords[0])}},
                                   caller=Caller(actor="test"))
        assert scalar("SELECT a.stamp = p.updated_at FROM network_access a JOIN assessment_points p ON p.id = "
                      "a.feature_id WHERE a.layer = 'assessment_points' AND a.feature_id = :i", i=tid) is True
        assert _unreached(TOILET, 1000) == {c["c1"], c["c4"], c["c5"]}
    finally:
        with transaction() as s:
            s.execute(text("UPDATE assessment_points SET geom = ST_GeomFromText(:g, 4490) WHERE id = :i"),
                      {"g": deg(Point(1390, 600)).wkt, "i": tid})


def test_a_walk_never_runs_through_another_types_facilities(river):
    """All types are measured in one graph: a type's start node leads out to its facilities and never back, or a
    toilet's walk could enter one 农贸市场 and leave from the other, across the river."""
    c = river["cells"]
    put("assessment_points", [({"code": "419801-M2", "name": "河西市场", "point_type": MARKET},
                               river["deg"](Point(1390, 20)))])  # at W1's south end
    try:
        # Through the markets the toilet would reach c4 in 590 + 10 + 590 + 580 + 150 = 1,920 m; it walks 4,760.
        with transaction() as s:
            out = reach.analyse(s, [reach.Facility(TOILET, 2500), reach.Facility(MARKET, 1000)], scope="419801")
        toilet = {f["properties"]["code"] for f in out["features"] if f["properties"]["kind"] == "service"
                  and f["properties"]["facility"] == TOILET}
        assert toilet == {c["c1"], c["c4"], c["c5"]}
    finally:
        with transaction() as s:
            mid = s.execute(text("SELECT id FROM assessment_points WHERE code = '419801-M2'")).scalar()
            features.delete_feature(s, LAYERS["assessment_points"], mid, caller=Caller(actor="test"))


def test_the_cli_builds_and_reports_the_network(river, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    built = runner.invoke(app, ["network", "build"])
    assert built.exit_code == 0 and "edges" in built.output, built.output
    status = runner.invoke(app, ["network", "status", "--json"])
    assert status.exit_code == 0 and '"components"' in status.output, status.output
    no_kind = runner.invoke(app, ["import", "land_cover", str(tmp_path / "x.geojson")])
    assert no_kind.exit_code == 1
