import prcoords
import pytest
from shapely.geometry import LineString, Point, Polygon

from gis.crs import CoordSys, gk3_zone_srid, point_to_standard, to_standard
from gis.validate import geometry_problem


@pytest.mark.parametrize(("lon", "srid"), [(115.15, 4547), (114.0, 4547), (116.6, 4548), (121.47, 4549), (75.0, 4534)])
def test_gauss_kruger_zone(lon, srid):
    assert gk3_zone_srid(lon) == srid


def test_gauss_kruger_zone_outside_china():
    with pytest.raises(ValueError):
        gk3_zone_srid(10.0)


def test_gcj02_input_lands_back_on_the_true_position():
    lon, lat = 115.148, 34.648
    g = prcoords.wgs_gcj((lat, lon))
    assert (g.lon - lon) ** 2 + (g.lat - lat) ** 2 > 1e-6  # the offset is real (hundreds of metres)
    back = point_to_standard(g.lon, g.lat, CoordSys.gcj02)
    assert back == pytest.approx((lon, lat), abs=1e-7)
    geom = to_standard(Point(g.lon, g.lat), "gcj02")
    assert (geom.x, geom.y) == pytest.approx((lon, lat), abs=1e-7)


def test_bd09_input():
    b = prcoords.wgs_bd((34.648, 115.148))
    assert point_to_standard(b.lon, b.lat, "bd09") == pytest.approx((115.148, 34.648), abs=1e-7)


def test_geometry_reasons():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    assert "Self-intersection" in geometry_problem(bowtie, "polygon")
    assert "not allowed" in geometry_problem(Point(1, 1), "polygon")
    assert "out of range" in geometry_problem(Point(12_800_000, 4_100_000), "point")
    assert "empty" in geometry_problem(Polygon(), "polygon")
    assert "NaN" in geometry_problem(Point(float("nan"), 1), "point")
    assert "missing" in geometry_problem(None, "line")
    assert geometry_problem(LineString([(115, 34), (115.01, 34)]), "line") is None


def test_offsets_apply_only_inside_china():
    assert point_to_standard(-180, -90, "gcj02") == (-180, -90)
    assert point_to_standard(2.35, 48.85, "bd09") == (2.35, 48.85)
