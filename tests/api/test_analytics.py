"""Heatmap, coverage gaps and the 红黑榜 over HTTP, on the demo city and on a crafted town."""

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import LineString, Point, shape
from sqlalchemy import text

from gis.db import transaction
from layers.access.caller import Caller
from layers.ledger import inspections
from layers.registry import assignments as a
from layers.registry import people as owners
from tests.conftest import scalar
from tests.crafted import owner_town

TEST = Caller("test")  # city-wide, as the CLI and the demo act

HEAT = "/api/v1/analytics/heatmap"
GAPS = "/api/v1/analytics/coverage"
RANK = "/api/v1/analytics/ranking"


def test_hex_heatmap_counts_every_first_report_once(client, viewer):
    body = client.get(HEAT, params={"cell": "hex", "size_m": 250}, headers=viewer).json()
    expected = scalar("SELECT count(*) FROM problems WHERE duplicate_of IS NULL")
    assert body["total"] == expected > 1000
    assert sum(f["properties"]["count"] for f in body["features"]) == expected
    top = body["features"][0]["properties"]
    assert top["count"] == body["max"] and top["per_km2"] > 0 and top["open"] >= top["overdue"]
    assert body["features"][0]["geometry"]["type"] == "Polygon" and "crs" not in body["features"][0]["geometry"]


def test_heatmap_filters_match_the_ledger(client, viewer):
    since = (datetime.now(UTC) - timedelta(days=90)).isoformat()
    params = {"cell": "square", "size_m": 500, "category": "占道经营", "since": since}
    body = client.get(HEAT, params=params, headers=viewer).json()
    assert body["total"] == scalar("""SELECT count(*) FROM problems WHERE duplicate_of IS NULL
                                      AND category_code = '0401' AND reported_at >= now() - interval '90 days'""") > 0
    overdue = client.get(HEAT, params={"cell": "community", "status": "overdue"}, headers=viewer).json()
    assert overdue["total"] == scalar("""SELECT count(*) FROM problems WHERE duplicate_of IS NULL
        AND status NOT IN ('closed', 'rejected', 'rectified', 'verified') AND due_at < now()""") > 0
    assert all(f["properties"]["count"] == f["properties"]["overdue"] for f in overdue["features"])


def test_community_cells_include_quiet_ones_and_respect_scope(client, viewer, token_for):
    body = client.get(HEAT, params={"cell": "community"}, headers=viewer).json()
    assert len(body["features"]) == scalar("SELECT count(*) FROM regions WHERE level = 'community'")
    counts = {f["id"]: f["properties"]["count"] for f in body["features"]}
    assert counts == {c: n for c, n in _per_community()}
    assert any(n == 0 for n in counts.values())
    per_km = [f["properties"] for f in body["features"] if f["properties"]["street_km"]]
    assert all(p["per_street_km"] == pytest.approx(p["count"] / p["street_km"], rel=0.02, abs=0.06) for p in per_km)
    scoped = client.get(HEAT, params={"cell": "community"}, headers=token_for("viewer", "411421001")).json()
    assert scoped["features"] and all(f["id"].startswith("411421001") for f in scoped["features"])
    assert scoped["total"] == sum(n for c, n in _per_community() if c.startswith("411421001"))


def _per_community():
    with transaction() as s:
        rows = s.execute(text("""SELECT r.code, count(p.id) FROM regions r LEFT JOIN problems p
                                 ON left(p.region_code, 12) = r.code AND p.duplicate_of IS NULL
                                 WHERE r.level = 'community' GROUP BY r.code""")).all()
    return [(c, n) for c, n in rows]


def test_heatmap_refuses_what_it_cannot_answer(client, viewer):
    r = client.get(HEAT, params={"cell": "hex", "size_m": 25}, headers=viewer)
    assert r.status_code == 422 and r.json()["field"] == "size_m" and "cells" in r.json()["detail"]
    small = client.get(HEAT, params={"cell": "hex", "size_m": 25, "bbox": "115.14,34.64,115.15,34.65"},
                       headers=viewer)
    assert small.status_code == 200  # the same cells over a small area are fine
    for params, field in [({"category": "乱扔烟头"}, "category"), ({"status": "lost"}, "status"),
                          ({"bbox": "115,34"}, "bbox"), ({"cell": "circle"}, "cell")]:
        r = client.get(HEAT, params=params, headers=viewer)
        assert r.status_code == 422, params
        assert field in r.text


@pytest.fixture(scope="module")
def gap_town(demo):
    """Owners on two of three 和平路 segments, one corner cell removed, one cell swollen over its neighbours,
    a patrol along 和平路 only; toilets sit in the north-west of the community."""
    t = owner_town("419941", 115.80, 35.80)
    ids = t["ids"]
    with transaction() as s:
        chief = owners.create_person(s, name="缺口街长", region_code=t["district"], caller=TEST)
        road = owners.create_person(s, name="缺口路长", region_code=t["district"], caller=TEST)
        owned = [ids["419941-h0"], ids["419941-h1"]]
        a.assign(s, role="district_street_chief", layer="streets", feature_ids=owned, holder=a.Holder(chief),
                 caller=TEST)
        a.assign(s, role="road_chief", layer="streets", feature_ids=owned, holder=a.Holder(road), caller=TEST)
        corner = s.execute(text("""SELECT id, area_m2, ST_X(ST_Centroid(geom)) AS x, ST_Y(ST_Centroid(geom)) AS y
                                   FROM grid_cells WHERE region_code = :c
                                   ORDER BY round(area_m2 / 1000) DESC, ST_XMin(geom) + ST_YMin(geom) LIMIT 1"""),
                           {"c": t["community"]}).one()
        s.execute(text("DELETE FROM grid_cells WHERE id = :i"), {"i": corner.id})
        swollen = s.execute(text("""SELECT id FROM grid_cells WHERE region_code = :c
                                    ORDER BY ST_XMax(geom) + ST_YMax(geom) DESC LIMIT 1"""),
                            {"c": t["community"]}).scalar()
        s.execute(text("UPDATE grid_cells SET geom = ST_Multi(ST_Buffer(geom, 0.0004, 'join=mitre')) WHERE id = :i"),
                  {"i": swollen})
        now = datetime.now(UTC)
        y = 35.805
        inspections.record_patrol(s, track=LineString([(115.8, y), (115.806, y)]), started_at=now - timedelta(hours=1),
                                  ended_at=now, walker="缺口路长", caller=Caller(actor="test"))
    return {**t, "corner_area": corner.area_m2, "corner": Point(corner.x, corner.y), "swollen": swollen}


def _gaps(client, headers, **params):
    r = client.get(GAPS, params={"region": "419941", **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_each_gap_kind_on_crafted_data(client, viewer, gap_town):
    ids = gap_town["ids"]
    body = _gaps(client, viewer, facility="公共厕所", walk_m=800, inspected_within_days=7)
    by_kind: dict[str, list] = {}
    for f in body["features"]:
        by_kind.setdefault(f["properties"]["kind"], []).append(f)
    unowned = {(f["properties"]["layer"], f["properties"]["id"]) for f in by_kind["ownership"]}
    assert ("streets", ids["419941-h2"]) in unowned
    assert ("streets", ids["419941-h0"]) not in unowned and ("streets", ids["419941-h1"]) not in unowned
    assert ("assessment_points", ids["419941-M"]) in unowned  # a market with nobody responsible
    # Patrol: 和平路 was walked an hour ago; the market and the lane never.
    stale = {(f["properties"]["layer"], f["properties"]["id"]) for f in by_kind["patrol"]}
    assert ("streets", ids["419941-h1"]) not in stale
    assert ("assessment_points", ids["419941-M"]) in stale and ("streets", ids["419941-lane"]) in stale
    never = next(f for f in by_kind["patrol"] if f["properties"]["id"] == ids["419941-M"])
    assert never["properties"]["last_inspected"] is None
    # Grid: the removed corner is a gap of the cell's size; the swollen cell overlaps its neighbours.
    holes = [f for f in by_kind["grid_gap"] if f["properties"]["region_code"] == gap_town["community"]]
    assert any(f["properties"]["area_m2"] == pytest.approx(gap_town["corner_area"], rel=0.02) for f in holes)
    assert any(shape(f["geometry"]).contains(gap_town["corner"]) for f in holes)
    assert {f["properties"]["code"] for f in by_kind["grid_overlap"]} | {
        f["properties"]["other_code"] for f in by_kind["grid_overlap"]} >= {
        scalar("SELECT code FROM grid_cells WHERE id = :i", i=gap_town["swollen"])}
    # Service: the south-east corner is beyond 800 m of every toilet, the toilets' own block is not.
    far = [shape(f["geometry"]) for f in by_kind["service"] if f["properties"]["region_code"] == gap_town["community"]]
    assert any(g.contains(Point(115.8099, 35.8001)) for g in far)
    assert not any(g.contains(Point(115.8015, 35.808)) for g in far)
    assert body["service_method"] == "straight_line"
    assert body["summary"]["grid_gap"]["area_m2"] > 0 and body["summary"]["ownership"]["count"] >= 3
    wide = _gaps(client, viewer, kind="service", facility="公共厕所", walk_m=2000)
    assert [f for f in wide["features"] if f["properties"]["region_code"] == gap_town["community"]] == []


def test_gap_requests_are_checked_and_scoped(client, viewer, token_for, gap_town):
    assert client.get(GAPS, params={"kind": "service"}, headers=viewer).status_code == 422  # no facility
    assert client.get(GAPS, params={"kind": "holes"}, headers=viewer).status_code == 422
    assert client.get(GAPS, params={"facility": "天文台"}, headers=viewer).json()["field"] == "facility"
    other = token_for("viewer", "411421001")
    assert client.get(GAPS, params={"region": "419941"}, headers=other).status_code == 403
    mine = client.get(GAPS, params={"kind": ["ownership", "grid_gap"]}, headers=other).json()
    assert mine["features"] and all(f["properties"]["region_code"].startswith("411421001") for f in mine["features"])


def test_ranking_ranks_only_rows_with_enough_sample(client, viewer):
    month = scalar("SELECT to_char(now() - interval '1 month', 'YYYY-MM')")
    full = client.get(RANK, params={"level": "community", "period": month, "min_sample": 1}, headers=viewer).json()
    dues = sorted(r["due"] for r in full["rows"] if r["due"])
    assert len(dues) >= 2
    cut = dues[-1]  # only the busiest row(s) have this many due
    body = client.get(RANK, params={"level": "community", "period": month, "min_sample": cut}, headers=viewer).json()
    assert len(body["rows"]) == len(full["rows"]) == scalar("SELECT count(*) FROM regions WHERE level = 'community'")
    ranked = [r for r in body["rows"] if r["ranked"]]
    assert ranked and all(r["due"] >= cut for r in ranked)
    assert all(r["rank"] is None and r["board"] is None for r in body["rows"] if r["due"] < cut)
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    rates = [r["on_time_rate"] for r in ranked]
    assert rates == sorted(rates, reverse=True)
    for r in full["rows"]:
        if r["previous"] and r["on_time_rate"] is not None and r["previous"]["on_time_rate"] is not None:
            assert r["change"] == pytest.approx(r["on_time_rate"] - r["previous"]["on_time_rate"], abs=1e-4)
    red = [r for r in full["rows"] if r["board"] == "red"]
    black = [r for r in full["rows"] if r["board"] == "black"]
    assert red and black and max(r["rank"] for r in red) < min(r["rank"] for r in black)


def test_ranking_defaults_to_the_last_complete_month_and_needs_enough_ranked_rows(client, viewer):
    last = scalar("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - interval '1 month', "
                  "'YYYY-MM')")
    body = client.get(RANK, params={"level": "community", "min_sample": 1}, headers=viewer).json()
    assert body["period"] == last and body["until"][:7] != body["since"][:7]  # a whole month, ended
    assert body["ranked"] >= 6 and body["boards_shown"]
    red = {r["key"] for r in body["rows"] if r["board"] == "red"}
    black = {r["key"] for r in body["rows"] if r["board"] == "black"}
    assert red and black and not red & black
    worst_red = min(r["on_time_rate"] for r in body["rows"] if r["key"] in red)
    assert all(r["on_time_rate"] < worst_red for r in body["rows"] if r["key"] in black)
    # Fewer ranked rows than min_ranked: no 红榜, no 黑榜 (four communities are not a league).
    few = client.get(RANK, params={"level": "community", "min_sample": 1, "min_ranked": body["ranked"] + 1},
                     headers=viewer).json()
    assert not few["boards_shown"] and all(r["board"] is None for r in few["rows"])


def test_ranking_periods_and_bad_input(client, viewer):
    body = client.get(RANK, params={"period": "2026-Q3", "level": "owner", "sort": "overdue_rate"},
                      headers=viewer).json()
    assert body["since"].startswith("2026-07-01") and body["previous_since"].startswith("2026-04-01")
    assert body["higher_is_better"] is False
    assert client.get(RANK, params={"period": "2026-13"}, headers=viewer).json()["field"] == "period"
    assert client.get(RANK, params={"level": "city"}, headers=viewer).status_code == 422



def test_gaps_inside_a_bbox_only(client, viewer, gap_town):
    everywhere = _gaps(client, viewer, kind=["ownership", "patrol"])
    # The town's south-west quarter: the lane and the market, not the toilets in the north.
    box = "115.8,35.8,115.8045,35.8042"
    inside = _gaps(client, viewer, kind=["ownership", "patrol"], bbox=box)
    ids = {(f["properties"]["layer"], f["properties"]["id"]) for f in inside["features"]}
    assert ("assessment_points", gap_town["ids"]["419941-M"]) in ids
    assert ("assessment_points", gap_town["ids"]["419941-T0"]) not in ids
    assert 0 < len(inside["features"]) < len(everywhere["features"])
    assert client.get(GAPS, params={"bbox": "1,2,3"}, headers=viewer).status_code == 422


def test_grid_gaps_follow_grid_edits(gap_town):
    """Gaps are precomputed: a cell drawn over the hole closes it at once; shrinking the swollen cell back ends
    its overlaps (both inside a transaction that is rolled back)."""
    from layers.analytics.gaps import gaps

    with transaction() as s:
        def kinds(kind):
            return [f for f in gaps(s, kinds=[kind], scope="419941")["features"]
                    if shape(f["geometry"]).intersects(gap_town["corner"]) or kind == "grid_overlap"]

        assert kinds("grid_gap")
        cell = s.execute(text("SELECT community_id, region_code, district_code FROM grid_cells "
                              "WHERE region_code = :c LIMIT 1"), {"c": gap_town["community"]}).one()
        s.execute(text("""
            INSERT INTO grid_cells (code, community_id, region_code, district_code, geom)
            VALUES (:code, :cid, :rc, :dc, ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 4490), 0.003,
                                                              'quad_segs=1')))"""),
                  {"code": gap_town["community"] + "999", "cid": cell.community_id, "rc": cell.region_code,
                   "dc": cell.district_code, "x": gap_town["corner"].x, "y": gap_town["corner"].y})
        assert kinds("grid_gap") == []
        s.execute(text("UPDATE grid_cells SET geom = ST_Multi(ST_Buffer(geom, -0.0004, 'join=mitre')) WHERE id = :i"),
                  {"i": gap_town["swollen"]})
        swollen = s.execute(text("SELECT code FROM grid_cells WHERE id = :i"), {"i": gap_town["swollen"]}).scalar()
        assert swollen not in {f["properties"]["code"] for f in kinds("grid_overlap")} | {
            f["properties"]["other_code"] for f in kinds("grid_overlap")}
        s.rollback()


def test_the_legend_counts_every_gap_not_what_was_drawn(client, viewer, gap_town):
    """The summary is every gap of the view, cut or not; `geometry=false` answers it alone (the tiled map's
    legend)."""
    whole = _gaps(client, viewer, kind=["ownership", "patrol"], inspected_within_days=7)
    assert not whole["truncated"]
    cut = _gaps(client, viewer, kind=["ownership", "patrol"], inspected_within_days=7, limit=1)
    assert sorted(cut["truncated"]) == ["ownership", "patrol"] and len(cut["features"]) == 2
    legend = _gaps(client, viewer, kind=["ownership", "patrol"], inspected_within_days=7, geometry="false")
    assert legend["features"] == []
    # A view holding the whole region answers as no view at all (the box test per place is skipped).
    wide = _gaps(client, viewer, kind=["ownership", "patrol"], inspected_within_days=7, geometry="false",
                 bbox="100,20,130,50")
    assert wide["summary"] == legend["summary"]
    for kind in ("ownership", "patrol"):
        drawn = [f for f in whole["features"] if f["properties"]["kind"] == kind]
        counted = {"count": len(drawn), "length_m": round(sum(f["properties"].get("length_m") or 0 for f in drawn), 1)}
        for body in (cut, legend):
            assert body["summary"][kind]["count"] == counted["count"] > 1, kind
            assert body["summary"][kind]["length_m"] == pytest.approx(counted["length_m"], abs=0.2), kind


def _gap_tile(client, headers, kind, lon, lat, z, **params):
    import mapbox_vector_tile

    from gis.mvt import tile_of

    x, y = tile_of(lon, lat, z)
    r = client.get(f"/tiles/gaps/{kind}/{z}/{x}/{y}.mvt", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return mapbox_vector_tile.decode(r.content) if r.content else {}


def test_gap_tiles_hold_the_same_gaps(client, viewer, gap_town):
    ids = gap_town["ids"]
    lon, lat = 115.803, 35.804
    tile = _gap_tile(client, viewer, "ownership", lon, lat, 15)
    streets = {f["properties"]["id"] for f in tile.get("ownership_streets", {}).get("features", [])}
    points = {f["properties"]["id"] for f in tile.get("ownership_assessment_points", {}).get("features", [])}
    assert ids["419941-h2"] in streets and ids["419941-h0"] not in streets and ids["419941-h1"] not in streets
    assert ids["419941-M"] in points
    only_points = _gap_tile(client, viewer, "ownership", lon, lat, 15, layer="assessment_points")
    assert set(only_points) == {"ownership_assessment_points"}
    patrol = _gap_tile(client, viewer, "patrol", lon, lat, 15, inspected_within_days=7)
    stale = {(f["properties"]["layer"], f["properties"]["id"]) for f in patrol["patrol"]["features"]}
    assert ("streets", ids["419941-h1"]) not in stale
    assert ("assessment_points", ids["419941-M"]) in stale and ("streets", ids["419941-lane"]) in stale
    assert _gap_tile(client, viewer, "patrol", lon, lat, 12) == {}  # a carpet further out: the legend counts it
    r = client.get("/tiles/gaps/holes/15/1/1.mvt", headers=viewer)
    assert r.status_code == 404
