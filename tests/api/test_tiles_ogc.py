"""Vector tiles decoded, and /ogc read by an OGC API client library (OWSLib) over a real socket."""

import mapbox_vector_tile
import pytest
from owslib.ogcapi.features import Features

from gis.mvt import tile_of
from layers.analytics.tiles import CLUSTER_BELOW_ZOOM, MIN_ZOOM
from tests.conftest import scalar

CORE = (115.146, 34.648)  # the demo city's busiest blocks


def _tile(client, headers, layer, z, lon=CORE[0], lat=CORE[1], **params):
    x, y = tile_of(lon, lat, z)
    r = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return (z, x, y), r, mapbox_vector_tile.decode(r.content)


def _in_tile(table, zxy, where="true", buffer=0.0):
    """How many rows lie in the tile (points: exactly; lines: within the tile's buffer, as a fraction of its size)."""
    z, x, y = zxy
    env = f"ST_TileEnvelope({z}, {x}, {y})"
    env = f"ST_Expand({env}, (ST_XMax({env}) - ST_XMin({env})) * {buffer})"
    return scalar(f"SELECT count(*) FROM {table} t WHERE ST_Intersects(ST_Transform(t.geom, 3857), {env}) "
                  f"AND {where}")


@pytest.mark.parametrize("z", [9, 12, 16])
def test_low_zoom_problem_tiles_are_clusters_that_add_up(client, viewer, z):
    zxy, r, tile = _tile(client, viewer, "problems", z)
    feats = tile["problems"]["features"]
    assert z < CLUSTER_BELOW_ZOOM and feats
    assert sum(f["properties"]["count"] for f in feats) == _in_tile("problems", zxy, "t.duplicate_of IS NULL")
    assert len(feats) <= 64 * 64 and all("id" not in f["properties"] for f in feats)
    assert len(r.content) < 500_000
    assert "private" in r.headers["cache-control"]


def test_high_zoom_problem_tiles_carry_each_problem_and_filter(client, viewer):
    busiest = scalar("SELECT ST_AsText(geom) FROM problems WHERE category_code = '0401' ORDER BY id LIMIT 1")
    lon, lat = (float(v) for v in busiest[6:-1].split())
    zxy, _, tile = _tile(client, viewer, "problems", CLUSTER_BELOW_ZOOM, lon, lat)
    feats = tile["problems"]["features"]
    assert len(feats) == _in_tile("problems", zxy, "t.duplicate_of IS NULL") > 0
    assert {f["properties"]["count"] for f in feats} == {1}
    zxy, _, only = _tile(client, viewer, "problems", CLUSTER_BELOW_ZOOM, lon, lat, category="0401")
    got = only.get("problems", {"features": []})["features"]
    assert len(got) == _in_tile("problems", zxy, "t.duplicate_of IS NULL AND t.category_code = '0401'")
    assert all(f["properties"]["category_code"] == "0401" for f in got)


def test_layer_tiles_and_scope(client, viewer, token_for):
    zxy, _, tile = _tile(client, viewer, "streets", 15)
    streets = tile["streets"]["features"]
    assert len(streets) == _in_tile("streets", zxy, buffer=64 / 4096) > _in_tile("streets", zxy) > 0
    assert {"id", "code", "name", "road_class"} <= set(streets[0]["properties"])
    _, _, scoped = _tile(client, token_for("viewer", "411421002"), "streets", 15)
    codes = {f["properties"]["region_code"] for f in scoped.get("streets", {"features": []})["features"]}
    assert codes and all(c.startswith("411421002") for c in codes)
    _, r, _ = _tile(client, viewer, "grid_cells", MIN_ZOOM["grid_cells"] - 1)
    assert r.content == b""  # below a layer's minimum zoom tiles are empty, not huge


def test_bad_tiles_and_tilejson(client, viewer):
    assert client.get("/tiles/streets/3/9/1.mvt", headers=viewer).status_code == 422
    assert client.get("/tiles/streets/23/0/0.mvt", headers=viewer).status_code == 422
    assert client.get("/tiles/buildings/3/1/1.mvt", headers=viewer).status_code == 404
    assert client.get("/tiles/streets/3/1/1.mvt").status_code == 401
    tj = client.get("/tiles/problems.json", params={"status": "open"}, headers=viewer).json()
    assert tj["tilejson"] == "3.0.0" and tj["tiles"][0].endswith("/tiles/problems/{z}/{x}/{y}.mvt?status=open")
    assert tj["vector_layers"][0]["id"] == "problems" and tj["bounds"][0] < CORE[0] < tj["bounds"][2]


def test_ogc_api_features_with_owslib(server, viewer):
    api = Features(f"{server}/ogc", headers=viewer)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    ids = {c["id"] for c in api.collections()["collections"]}
    assert ids == {"regions", "grid_cells", "streets", "assessment_points", "problems"}
    bbox = [115.14, 34.64, 115.15, 34.65]
    page = api.collection_items("streets", bbox=bbox, limit=5)
    expected = scalar("SELECT count(*) FROM streets WHERE geom && ST_MakeEnvelope(115.14, 34.64, 115.15, 34.65, 4490)")
    assert page["numberMatched"] == expected > 5 and page["numberReturned"] == 5
    assert any(link["rel"] == "next" for link in page["links"])
    second = api.collection_items("streets", bbox=bbox, limit=5, offset=5)
    assert not {f["id"] for f in page["features"]} & {f["id"] for f in second["features"]}
    one = api.collection_item("streets", page["features"][0]["id"])
    assert one["properties"]["code"] == page["features"][0]["properties"]["code"]
    recent = api.collection_items("problems", datetime_="2026-01-01T00:00:00Z/..", limit=1)
    assert recent["numberMatched"] == scalar("SELECT count(*) FROM problems WHERE reported_at >= '2026-01-01Z'")


def test_ogc_errors_and_scope(client, viewer, token_for):
    assert client.get("/ogc/collections/lakes/items", headers=viewer).status_code == 404
    assert client.get("/ogc/collections/problems/items", params={"datetime": "soon"}, headers=viewer).status_code == 422
    assert client.get("/ogc/collections").status_code == 401
    other = token_for("viewer", "411421002")
    pid = scalar("SELECT min(id) FROM streets WHERE region_code LIKE '411421001%'")
    assert client.get(f"/ogc/collections/streets/items/{pid}", headers=other).status_code == 404
    items = client.get("/ogc/collections/problems/items", params={"limit": 1000}, headers=other).json()
    assert items["features"] and all(f["properties"]["region_code"].startswith("411421002") for f in items["features"])


@pytest.mark.parametrize("z", [12, 15])
def test_the_offline_basemap_is_the_citys_streets_by_class(client, viewer, z):
    """Main roads further out, every lane close up; each line carries its road class and nothing else."""
    zxy, _, tile = _tile(client, viewer, "basemap", z)
    feats = tile["basemap"]["features"]
    assert feats and all(set(f["properties"]) == {"road_class"} for f in feats)
    classes = {f["properties"]["road_class"] for f in feats}
    main = "t.road_class IN ('arterial', 'secondary')"
    if z < 14:
        assert classes <= {"arterial", "secondary"}
        assert len(feats) == _in_tile("streets", zxy, main, buffer=64 / 4096)
    else:
        assert classes - {"arterial", "secondary"}  # the lanes too
        assert len(feats) == _in_tile("streets", zxy, buffer=64 / 4096)
