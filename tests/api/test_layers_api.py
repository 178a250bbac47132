"""The HTTP API on the demo city: reading, writing, access, scope and locate."""

import pytest
from sqlalchemy import text

from gis.db import transaction
from layers.schema.migrate import head_revision
from tests.conftest import scalar


def test_healthz(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["postgis"].startswith("3.") and body["schema_revision"] == head_revision()


def test_reads_need_a_token(client, viewer):
    assert client.get("/api/v1/layers").status_code == 401
    assert client.get("/api/v1/layers", headers={"Authorization": "Bearer nope"}).status_code == 401
    layers = {layer["name"]: layer for layer in client.get("/api/v1/layers", headers=viewer).json()}
    assert set(layers) == {"regions", "grid_cells", "streets", "assessment_points"}
    assert layers["streets"]["count"] > 500


def test_streets_in_a_bbox(client, viewer):
    bbox = (115.13, 34.64, 115.16, 34.66)
    r = client.get(
        "/api/v1/layers/streets/features", params={"bbox": ",".join(map(str, bbox)), "limit": 50}, headers=viewer
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["numberReturned"] == 50 and body["numberMatched"] > 50 and body["links"][0]["rel"] == "next"
    for f in body["features"]:
        xs = [c[0] for c in f["geometry"]["coordinates"]]
        ys = [c[1] for c in f["geometry"]["coordinates"]]
        assert max(xs) >= bbox[0] and min(xs) <= bbox[2] and max(ys) >= bbox[1] and min(ys) <= bbox[3]
        assert {"id", "code", "name", "road_class", "length_m"} <= set(f["properties"])


@pytest.mark.parametrize(
    ("params", "field"), [({"bbox": "1,2,3"}, "bbox"), ({"limit": 10**6}, "limit"), ({"crs": 3857}, "crs")]
)
def test_bad_query_names_the_field(client, viewer, params, field):
    r = client.get("/api/v1/layers/streets/features", params=params, headers=viewer)
    assert r.status_code == 422 and r.json()["field"] == field


def test_unknown_layer_is_404(client, viewer):
    r = client.get("/api/v1/layers/roads/features", headers=viewer)
    assert r.status_code == 404 and "unknown layer" in r.json()["detail"]


def _market(lon=115.1485, lat=34.6485, **props):
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": "测试农贸市场", "point_type": "农贸市场", **props},
    }


def test_create_change_delete(client, admin, viewer):
    assert client.post("/api/v1/layers/assessment_points/features", json=_market(), headers=viewer).status_code == 403
    r = client.post("/api/v1/layers/assessment_points/features", json=_market(code="API-1"), headers=admin)
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    assert r.json()["properties"]["region_code"].startswith("411421")
    assert (
        client.post("/api/v1/layers/assessment_points/features", json=_market(code="API-1"), headers=admin).status_code
        == 409
    )
    r = client.patch(
        f"/api/v1/layers/assessment_points/features/{fid}", json={"properties": {"name": "新市场"}}, headers=admin
    )
    assert r.status_code == 200 and r.json()["properties"]["name"] == "新市场"
    r = client.patch(
        f"/api/v1/layers/assessment_points/features/{fid}", json={"properties": {"region_code": "x"}}, headers=admin
    )
    assert r.status_code == 422 and r.json()["field"] == "region_code"
    assert (
        scalar("SELECT count(*) FROM audit_log WHERE entity = 'assessment_points' AND entity_id = :i", i=str(fid)) == 2
    )
    assert client.delete(f"/api/v1/layers/assessment_points/features/{fid}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/layers/assessment_points/features/{fid}", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("feature", "field", "words"),
    [
        (
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[115.14, 34.64], [115.15, 34.65], [115.15, 34.64], [115.14, 34.65], [115.14, 34.64]]
                    ],
                },
                "properties": {"name": "x", "point_type": "小区"},
            },
            "geometry",
            "Self-intersection",
        ),
        (_market(lon=116.5, lat=39.9), "geometry", "not inside any region"),
        (_market(point_type="火星基地"), "point_type", "unknown assessment point type"),
        (
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [115.1485, 34.6485]}, "properties": {}},
            "point_type",
            "required",
        ),
        (
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float("nan"), 1]}, "properties": {}},
            "geometry",
            "",
        ),
        ({"type": "FeatureCollection"}, "type", "GeoJSON Feature"),
    ],
)
def test_bad_features_are_422_and_write_nothing(client, admin, feature, field, words):
    before = scalar("SELECT count(*) FROM assessment_points")
    r = client.post(
        "/api/v1/layers/assessment_points/features",
        content=__import__("json").dumps(feature),
        headers={**admin, "content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and words in r.json()["detail"]
    assert scalar("SELECT count(*) FROM assessment_points") == before


def test_region_scope(client, token_for):
    chief = token_for("subdistrict_staff", "411421001")
    inside = scalar("SELECT id FROM streets WHERE region_code LIKE '411421001%' LIMIT 1")
    outside = scalar("SELECT id FROM streets WHERE region_code LIKE '411421002%' LIMIT 1")
    assert client.get(f"/api/v1/layers/streets/features/{inside}", headers=chief).status_code == 200
    assert client.get(f"/api/v1/layers/streets/features/{outside}", headers=chief).status_code == 404
    listed = client.get("/api/v1/layers/streets/features", params={"limit": 10000}, headers=chief).json()
    assert listed["numberMatched"] == scalar("SELECT count(*) FROM streets WHERE region_code LIKE '411421001%'")
    lon, lat = (
        scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM regions WHERE code = '411421002001'") for c in "XY"
    )
    r = client.post("/api/v1/layers/assessment_points/features", json=_market(lon=lon, lat=lat), headers=chief)
    assert r.status_code == 403 and "outside your region" in r.json()["detail"]


def test_locate_known_spot(client, viewer):
    with transaction() as s:
        cell = s.execute(
            text(
                "SELECT code, region_code, ST_X(p) AS x, ST_Y(p) AS y FROM "
                "(SELECT code, region_code, ST_PointOnSurface(geom) AS p FROM grid_cells "
                " WHERE region_code = '411421001002' ORDER BY code LIMIT 1) c"
            )
        ).one()
        street = s.execute(
            text(
                "SELECT id, ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT id, ST_Transform(ST_Translate("
                "ST_LineInterpolatePoint(geom_m, 0.5), 0, 12), 4490) AS p FROM streets WHERE road_class = 'arterial' "
                "AND region_code LIKE '411421001%' ORDER BY id LIMIT 1) s"
            )
        ).one()
    body = client.get("/api/v1/locate", params={"lon": cell.x, "lat": cell.y}, headers=viewer).json()
    assert body["grid_cell"]["code"] == cell.code
    assert body["community"]["code"] == cell.region_code and body["subdistrict"]["code"] == "411421001"
    assert body["district"]["name"] == "民权县"
    body = client.get("/api/v1/locate", params={"lon": street.x, "lat": street.y}, headers=viewer).json()
    assert body["street"]["id"] == street.id and body["street"]["distance_m"] == pytest.approx(12, abs=0.5)


def test_locate_outside_and_gcj02(client, viewer):
    r = client.get("/api/v1/locate", params={"lon": 116.4, "lat": 39.9}, headers=viewer)
    assert r.status_code == 404 and "outside every region" in r.json()["detail"]
    import prcoords

    g = prcoords.wgs_gcj((34.648, 115.148))
    plain = client.get("/api/v1/locate", params={"lon": 115.148, "lat": 34.648}, headers=viewer).json()
    shifted = client.get(
        "/api/v1/locate", params={"lon": g.lon, "lat": g.lat, "coord_sys": "gcj02"}, headers=viewer
    ).json()
    assert shifted["grid_cell"] == plain["grid_cell"]


def test_values_the_database_cannot_hold_are_422(client, viewer):
    r = client.get("/api/v1/assignments", params={"person_id": 2**40}, headers=viewer)
    assert r.status_code == 422 and "out of range" in r.json()["detail"]


def test_regions_can_be_renamed(client, admin, token_for):
    # Item 11: the write's region passes said `level = …`, ambiguous in the UPDATE … FROM stage (a 500 for all).
    fid, name = (scalar(f"SELECT {c} FROM regions WHERE code = '411421001001'") for c in ("id", "name"))
    url = f"/api/v1/layers/regions/features/{fid}"
    r = client.patch(url, json={"properties": {"name": "更名社区（示例）"}}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["name"] == "更名社区（示例）"
    chief = token_for("subdistrict_staff", "411421001")
    r = client.patch(url, json={"properties": {"name": name}}, headers=chief)
    assert r.status_code == 200, r.text
    assert scalar("SELECT name FROM regions WHERE code = '411421001001'") == name
    other = scalar("SELECT id FROM regions WHERE code = '411421002001'")
    r = client.patch(f"/api/v1/layers/regions/features/{other}", json={"properties": {"name": "x"}}, headers=chief)
    assert r.status_code == 404


def _post_point(client, headers, feature):
    return client.post(
        "/api/v1/layers/assessment_points/features",
        content=__import__("json").dumps(feature),
        headers={**headers, "content-type": "application/json"},
    )


@pytest.mark.parametrize(
    ("props", "geometry", "field", "words"),
    [
        ({"name": "市场\x00"}, None, "name", "NUL"),  # item 14: was a 500 from COPY
        ({"address": "人民路\x001号"}, None, "address", "NUL"),
        ({"code": "AP\x00-1"}, None, "code", "NUL"),
        ({"name": "a" * 5_000_000}, None, "name", "at most 200"),  # item 19: a 5 MB name was stored
        ({"name": {"a": 1}}, None, "name", "must be text"),  # was stored as "{'a': 1}"
        ({"address": ["人民路"]}, None, "address", "must be text"),
        ({}, {"type": "Point", "coordinates": [[[115.1485, 34.6485]]]}, "geometry", "position"),
        ({}, {"type": "LineString", "coordinates": [115.1485, 34.6485]}, "geometry", "position"),
        ({}, {"type": "Point", "coordinates": [115.1485, True]}, "geometry", "position"),
    ],
)
def test_bad_text_and_coordinates_are_422(client, admin, props, geometry, field, words):
    feature = _market(**{"code": f"API-bad-{abs(hash(repr(props) + repr(geometry)))}", **props})
    if geometry is not None:
        feature["geometry"] = geometry
    before = scalar("SELECT count(*) FROM assessment_points")
    r = _post_point(client, admin, feature)
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == field and words in r.json()["detail"], r.text[:300]
    assert scalar("SELECT count(*) FROM assessment_points") == before


def test_osm_id_beyond_64_bits_is_422(client, admin):
    street = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[115.1485, 34.6485], [115.1490, 34.6485]]},
        "properties": {"name": "超长编号路", "road_class": "支路", "osm_id": 2**64},
    }
    r = client.post("/api/v1/layers/streets/features", json=street, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "osm_id", r.text


def test_nul_in_a_patched_name_is_422(client, admin):
    fid = scalar("SELECT min(id) FROM assessment_points WHERE region_code LIKE '411421%'")
    r = client.patch(
        f"/api/v1/layers/assessment_points/features/{fid}", json={"properties": {"name": "a\x00b"}}, headers=admin
    )
    assert r.status_code == 422 and r.json()["field"] == "name", r.text


def test_a_position_with_altitude_is_stored_flat(client, admin):
    r = _post_point(client, admin, _market(code="API-Z", lon=115.1486, lat=34.6486) | {
        "geometry": {"type": "Point", "coordinates": [115.1486, 34.6486, 52.0]}})
    assert r.status_code == 201, r.text
    assert scalar("SELECT ST_NDims(geom) FROM assessment_points WHERE code = 'API-Z'") == 2


def test_vertices_per_feature_are_capped_per_layer(client, admin, monkeypatch):
    # Item 12: a 200k-vertex point polygon was accepted and slowed every later import; the cap is a setting.
    from shapely.geometry import Point as P

    from gis.settings import get_settings

    monkeypatch.setattr(get_settings(), "max_vertices_assessment_points", 50)
    ring = P(115.1485, 34.6485).buffer(0.0003, quad_segs=25)  # 101 vertices
    feature = _market(code="API-many") | {"geometry": __import__("shapely").geometry.mapping(ring)}
    feature["properties"]["point_type"] = "小区"
    r = _post_point(client, admin, feature)
    assert r.status_code == 422 and r.json()["field"] == "geometry", r.text
    assert "101 vertices" in r.json()["detail"] and "at most 50" in r.json()["detail"]
    monkeypatch.setattr(get_settings(), "max_vertices_assessment_points", 200)
    assert _post_point(client, admin, feature).status_code == 201


def test_a_community_may_not_overlap_its_sibling(client, admin):
    # Item 19: a community drawn over its neighbour was accepted.
    sibling = scalar("SELECT ST_AsGeoJSON(ST_Buffer(geom, -0.0005)) FROM regions WHERE code = '411421001001'")
    new = {"type": "Feature", "geometry": __import__("json").loads(sibling),
           "properties": {"code": "411421001099", "name": "重叠社区"}}
    r = client.post("/api/v1/layers/regions/features", json=new, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "geometry", r.text
    assert "overlaps sibling region 411421001001" in r.json()["detail"]
    assert scalar("SELECT count(*) FROM regions WHERE code = '411421001099'") == 0


def test_writes_reach_only_the_callers_region(client, token_for):
    # A scoped caller sees the outlines above its region but may not change or delete them.
    chief = token_for("subdistrict_staff", "411421001")
    district = scalar("SELECT id FROM regions WHERE code = '411421'")
    url = f"/api/v1/layers/regions/features/{district}"
    assert client.get(url, headers=chief).status_code == 200
    assert client.patch(url, json={"properties": {"name": "改名"}}, headers=chief).status_code == 404
    assert client.delete(url, headers=chief).status_code == 404
    assert scalar("SELECT name FROM regions WHERE code = '411421'") == "民权县"


def test_patch_properties_must_be_an_object(client, admin):
    fid = scalar("SELECT min(id) FROM assessment_points WHERE region_code LIKE '411421%'")
    r = client.patch(f"/api/v1/layers/assessment_points/features/{fid}", json={"properties": "x"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "properties", r.text


def test_unpaired_surrogates_are_422_and_nothing_is_written(client, admin):
    # Review of #15 item 14: "\ud800" passed validation and broke psycopg or hashlib (500) in eight routes.
    import json

    def post(url, body):  # json.dumps writes the lone surrogate as the escape a client would send
        return client.post(url, content=json.dumps(body), headers={**admin, "Content-Type": "application/json"})

    before = scalar("SELECT count(*) FROM assessment_points")
    r = post("/api/v1/layers/assessment_points/features", {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [115.148, 34.648]},
        "properties": {"name": "\ud800", "point_type": "小区"}})
    assert r.status_code == 422 and "surrogate" in r.json()["detail"]
    assert scalar("SELECT count(*) FROM assessment_points") == before
    r = post("/api/v1/problems", {"category": "a\ud800", "source": "巡查", "lon": 115.148, "lat": 34.648})
    assert r.status_code == 422
