"""File import/export through the real database: formats, CRS handling, idempotent re-import, reports."""

import json
import zipfile

import geopandas as gpd
import osmium
import prcoords
import pytest
from shapely.geometry import LineString, Point

from gis.db import transaction
from layers.spatial.catalog import layer
from layers.spatial.io import export_layer, import_file
from layers.spatial.writer import RowsRejected
from tests.conftest import scalar
from tests.crafted import town

LON, LAT = 114.10, 34.10


@pytest.fixture(scope="module")
def place(database):
    return town("419902", LON, LAT)


def _import(layer_name, path, **kw):
    with transaction() as s:
        return import_file(s, layer(layer_name), path, actor="test", **kw)


def _geojson(path, features):
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": p, "geometry": g.__geo_interface__} for p, g in features
                ],
            },
            ensure_ascii=False,
        )
    )
    return path


def test_geojson_reimport_does_not_duplicate(place, tmp_path):
    feats = [
        (
            {"名称": f"路{i}", "道路等级": "主干道"},
            LineString([(LON + 0.001 * i, LAT + 0.001), (LON + 0.001 * i, LAT + 0.005)]),
        )
        for i in range(1, 6)
    ]
    path = _geojson(tmp_path / "streets.geojson", feats)
    first = _import("streets", path)
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    second = _import("streets", path)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 5)
    assert scalar("SELECT count(*) FROM streets WHERE name LIKE '路%' AND region_code LIKE '419902%'") == 5
    # A changed attribute updates in place under the same stable key.
    feats[0] = ({"名称": "路1", "道路等级": "次干道", "code": None}, feats[0][1])
    third = _import("streets", _geojson(tmp_path / "streets.geojson", feats))
    assert third.inserted + third.updated == 1


def test_csv_lonlat_in_gcj02(place, tmp_path):
    lon, lat = LON + 0.003, LAT + 0.003
    g = prcoords.wgs_gcj((lat, lon))
    (tmp_path / "toilets.csv").write_text(f"code,name,type,经度,纬度\nWC-1,一号公厕,公共厕所,{g.lon},{g.lat}\n")
    result = _import("assessment_points", tmp_path / "toilets.csv", coord_sys="gcj02")
    assert result.inserted == 1
    x, y = (scalar(f"SELECT ST_{c}(geom) FROM assessment_points WHERE code = 'WC-1'") for c in "XY")
    assert (x, y) == pytest.approx((lon, lat), abs=1e-7)


def test_csv_wkt_with_bad_rows_writes_nothing(place, tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text(
        "code,wkt\n"
        f'419902001001901,"POLYGON(({LON} {LAT},{LON + 0.001} {LAT},{LON + 0.001} {LAT + 0.001},'
        f'{LON} {LAT + 0.001},{LON} {LAT}))"\n'
        "419902001001902,POLYGON((broken\n"
        f'41990200100190,"POINT({LON} {LAT})"\n'
    )
    with pytest.raises(RowsRejected) as info:
        _import("grid_cells", path)
    assert [(r.row, r.field) for r in info.value.rejections] == [(2, "wkt"), (3, "geometry")]
    assert scalar("SELECT count(*) FROM grid_cells WHERE code LIKE '419902001001%'") == 0


def test_projected_file_with_its_crs(place, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"name": ["投影市场"], "point_type": ["农贸市场"], "code": ["MK-3857"]},
        geometry=[Point(LON + 0.004, LAT + 0.004)],
        crs=4490,
    ).to_crs(3857)
    path = tmp_path / "market.gpkg"
    gdf.to_file(path, engine="pyogrio")
    assert _import("assessment_points", path).inserted == 1
    assert scalar("SELECT ST_X(geom) FROM assessment_points WHERE code = 'MK-3857'") == pytest.approx(LON + 0.004)


def test_projected_csv_without_crs_is_refused_then_accepted_with_crs(place, tmp_path):
    x, y = gpd.GeoSeries([Point(LON + 0.002, LAT + 0.004)], crs=4490).to_crs(4547).iloc[0].coords[0]
    path = tmp_path / "gk.csv"
    path.write_text(f"code,name,point_type,x,y\nGK-1,高斯点,公共厕所,{x},{y}\n")
    with pytest.raises(RowsRejected, match="out of range"):
        _import("assessment_points", path)
    assert _import("assessment_points", path, crs="EPSG:4547").inserted == 1


def test_zipped_shapefile(place, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"name": ["形状路"], "road_class": ["branch"], "code": ["SHP-1"]},
        geometry=[LineString([(LON + 0.002, LAT + 0.001), (LON + 0.002, LAT + 0.004)])],
        crs=4490,
    )
    gdf.to_file(tmp_path / "roads.shp", engine="pyogrio", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "roads.zip", "w") as z:
        for part in tmp_path.glob("roads.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    assert _import("streets", tmp_path / "roads.zip").inserted == 1
    assert scalar("SELECT name FROM streets WHERE code = 'SHP-1'") == "形状路"


def test_osm_pbf_streets(place, tmp_path):
    path = tmp_path / "town.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        for i, (x, y) in enumerate(
            [(LON + 0.001, LAT + 0.002), (LON + 0.006, LAT + 0.002), (LON + 0.006, LAT + 0.007)], 1
        ):
            w.add_node(osmium.osm.mutable.Node(id=i, location=osmium.osm.Location(x, y), version=1))
        w.add_way(
            osmium.osm.mutable.Way(id=101, nodes=[1, 2], tags={"highway": "primary", "name": "人民路"}, version=1)
        )
        w.add_way(osmium.osm.mutable.Way(id=102, nodes=[2, 3], tags={"highway": "service"}, version=1))
        w.add_way(osmium.osm.mutable.Way(id=103, nodes=[1, 3], tags={"waterway": "river"}, version=1))
    first = _import("streets", path)
    assert first.inserted == 2
    assert scalar("SELECT road_class FROM streets WHERE code = 'osm101'") == "arterial"
    assert scalar("SELECT road_class FROM streets WHERE code = 'osm102'") == "back_lane"
    assert _import("streets", path).unchanged == 2


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
def test_export_reads_back(place, tmp_path, suffix):
    path = tmp_path / f"regions{suffix}"
    with transaction() as s:
        n = export_layer(s, layer("regions"), path, scope="419902")
    assert n == 3
    if suffix == ".csv":
        text = path.read_text()
        assert "wkt" in text.splitlines()[0] and "测试社区" in text
    else:
        back = gpd.read_file(path)
        assert sorted(back["code"]) == ["419902", "419902001", "419902001001"]
        assert back.total_bounds == pytest.approx([LON, LAT, LON + 0.02, LAT + 0.02], abs=1e-7)
