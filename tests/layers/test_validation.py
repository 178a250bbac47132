"""Each layer rejects bad input with a reason naming the row and field, and writes nothing."""

import pytest
from shapely.geometry import LineString, Point, Polygon, box

from gis.db import transaction
from gis.errors import NotFound
from layers.spatial.catalog import layer
from layers.spatial.writer import RowsRejected
from tests.conftest import scalar
from tests.crafted import put, town

LON, LAT = 114.00, 34.00


@pytest.fixture(scope="module")
def place(database):
    return town("419901", LON, LAT)


def _rejected(layer_name, records):
    with pytest.raises(RowsRejected) as info:
        put(layer_name, records)
    return info.value.rejections


def test_self_intersecting_polygon(place):
    bowtie = Polygon([(LON, LAT), (LON + 0.001, LAT + 0.001), (LON + 0.001, LAT), (LON, LAT + 0.001)])
    [r] = _rejected("grid_cells", [({"community_code": place["community"]}, bowtie)])
    assert (r.row, r.field) == (1, "geometry") and "Self-intersection" in r.reason


def test_point_outside_its_community(place):
    far = Point(LON - 1.0, LAT - 1.0)  # no test town lies south-west of here
    [r] = _rejected("assessment_points", [({"name": "远处市场", "point_type": "农贸市场"}, far)])
    assert r.field == "geometry" and "not inside any region" in r.reason


def test_cell_sticking_out_of_its_community(place):
    cell = box(LON + 0.009, LAT, LON + 0.012, LAT + 0.002)  # crosses the community's east edge by ~180 m
    [r] = _rejected("grid_cells", [({"community_code": place["community"]}, cell)])
    assert r.field == "geometry" and "outside community 419901001001" in r.reason


def test_wrong_crs_coordinates(place):
    projected = Point(38_500_000, 3_840_000)  # Gauss-Krüger metres passed as degrees
    [r] = _rejected("assessment_points", [({"name": "x", "point_type": "公共厕所"}, projected)])
    assert "out of range" in r.reason and "--crs" in r.reason


def test_missing_field_names_it(place):
    [r] = _rejected("streets", [({"name": "无等级路"}, LineString([(LON, LAT), (LON + 0.001, LAT)]))])
    assert (r.field, r.reason) == ("road_class", "is required")


def test_unknown_road_class_lists_the_choices(place):
    [r] = _rejected("streets", [({"road_class": "高速"}, LineString([(LON, LAT), (LON + 0.001, LAT)]))])
    assert r.field == "road_class" and "背街小巷" in r.reason


def test_region_code_and_level_must_agree(place):
    [r] = _rejected(
        "regions", [({"code": "419901002", "name": "x", "level": "community"}, box(LON, LAT, LON + 0.001, LAT + 0.001))]
    )
    assert r.field == "level"


def test_orphan_region(place):
    [r] = _rejected("regions", [({"code": "419999001", "name": "孤儿街道"}, box(LON, LAT, LON + 0.001, LAT + 0.001))])
    assert "parent region 419999 not found" in r.reason


def test_unknown_layer():
    with pytest.raises(NotFound, match="unknown layer 'roads'"):
        layer("roads")


def test_nothing_half_written(place):
    before = scalar("SELECT count(*) FROM assessment_points WHERE region_code LIKE '419901%'")
    good = ({"name": "好市场", "point_type": "农贸市场"}, Point(LON + 0.002, LAT + 0.002))
    bad = ({"name": "坏点"}, Point(LON + 0.003, LAT + 0.003))  # no point_type
    rejections = _rejected("assessment_points", [good, bad])
    assert [(r.row, r.field) for r in rejections] == [(2, "point_type")]
    assert scalar("SELECT count(*) FROM assessment_points WHERE region_code LIKE '419901%'") == before


def test_skip_invalid_writes_the_good_rows(place):
    good = ({"name": "好厕所", "point_type": "公共厕所"}, Point(LON + 0.004, LAT + 0.004))
    bad = ({"name": "坏厕所", "point_type": "公共厕所"}, Point(LON + 0.9, LAT))
    result = put("assessment_points", [good, bad], skip_invalid=True)
    assert (result.inserted, [r.row for r in result.rejected]) == (1, [2])
    row = scalar("SELECT region_code FROM assessment_points WHERE name = '好厕所'")
    assert row == place["community"]


def test_derived_columns(place):
    put(
        "streets",
        [
            (
                {"code": "T-len", "name": "测量路", "road_class": "支路"},
                LineString([(LON + 0.001, LAT + 0.001), (LON + 0.001, LAT + 0.010)]),
            )
        ],
    )
    with transaction() as s:
        length, region, cls = s.execute(
            __import__("sqlalchemy").text("SELECT length_m, region_code, road_class FROM streets WHERE code = 'T-len'")
        ).one()
    assert length == pytest.approx(998, abs=3)  # 0.009° of latitude ≈ 998 m
    assert region == place["community"] and cls == "branch"


def test_sibling_regions_may_not_overlap_in_a_file(place):
    # Item 19: the staged check sees stored siblings and siblings in the same file alike.
    sub = place["subdistrict"]
    west = box(LON + 0.010, LAT, LON + 0.015, LAT + 0.005)
    sliver = box(LON + 0.015 - 0.0003, LAT, LON + 0.020, LAT + 0.005)  # ~27 m into west: within the tolerance
    deep = box(LON + 0.012, LAT + 0.005, LON + 0.020, LAT + 0.010)
    into_stored = box(LON + 0.008, LAT + 0.008, LON + 0.012, LAT + 0.012)  # ~180 m into 419901001001
    put("regions", [({"code": sub + "002", "name": "西社区"}, west), ({"code": sub + "003", "name": "东社区"}, sliver)])
    rejections = _rejected(
        "regions",
        [
            ({"code": sub + "004", "name": "北社区"}, deep),
            ({"code": sub + "005", "name": "重叠北社区"}, box(LON + 0.013, LAT + 0.006, LON + 0.019, LAT + 0.009)),
            ({"code": sub + "006", "name": "越界社区"}, into_stored),
        ],
    )
    assert [(r.row, r.field) for r in rejections] == [(1, "geometry"), (2, "geometry"), (3, "geometry")]
    assert "overlaps sibling region 419901001005" in rejections[0].reason
    assert "overlaps sibling region 419901001001" in rejections[2].reason
    assert scalar("SELECT count(*) FROM regions WHERE code IN (:a, :b)", a=sub + "004", b=sub + "006") == 0
    # Importing the same file again compares it with itself only once: no overlap with its own stored rows.
    put("regions", [({"code": sub + "002", "name": "西社区"}, west), ({"code": sub + "003", "name": "东社区"}, sliver)])


def test_text_fields_have_types_and_limits(place):
    line = LineString([(LON, LAT), (LON + 0.001, LAT)])
    rejections = _rejected(
        "streets",
        [
            ({"road_class": "支路", "name": "路\x00"}, line),
            ({"road_class": "支路", "section_from": "起" * 201}, line),
            ({"road_class": "支路", "osm_id": str(2**70)}, line),
            ({"road_class": "支路", "name": {"zh": "路"}}, line),
        ],
    )
    assert [(r.row, r.field) for r in rejections] == [(1, "name"), (2, "section_from"), (3, "osm_id"), (4, "name")]


def test_vertex_cap_applies_to_imports(place, monkeypatch):
    from gis.settings import get_settings

    monkeypatch.setattr(get_settings(), "max_vertices_streets", 3)
    wiggle = LineString([(LON + 0.001 * i, LAT + 0.0005 * (i % 2)) for i in range(4)])
    [r] = _rejected("streets", [({"road_class": "支路"}, wiggle)])
    assert r.field == "geometry" and "4 vertices" in r.reason
