"""Grid cells: generation tiles a community without gaps; the check finds crafted gaps and overlaps."""

import pytest
from shapely.geometry import LineString, box
from sqlalchemy import text

from gis.db import transaction
from gis.errors import Conflict, InvalidInput
from layers.spatial import grid
from tests.conftest import scalar
from tests.crafted import put, town

LON, LAT = 114.20, 34.20


@pytest.fixture(scope="module")
def place(database):
    return town("419903", LON, LAT)  # community: 0.01° square, about 920 m × 1110 m


def _check(code):
    with transaction() as s:
        [row] = grid.check(s, code)
    return row


@pytest.mark.parametrize("method", ["square", "hex"])
def test_generated_cells_tile_the_community(place, method):
    with transaction() as s:
        n = grid.generate(s, place["community"], method=method, size_m=100, replace=True)
    area = scalar("SELECT ST_Area(geom_m) FROM regions WHERE code = :c", c=place["community"])
    assert n == scalar("SELECT count(*) FROM grid_cells WHERE region_code = :c", c=place["community"])
    assert area / 10_000 * 0.9 < n < area / 10_000 * 1.3  # about one cell per 10,000 m²
    row = _check(place["community"])
    assert row["gaps"] == [] and row["overlaps"] == [] and row["covered_pct"] == pytest.approx(100, abs=0.01)


def test_serials_run_west_to_east_then_north_to_south(place):
    with transaction() as s:
        grid.generate(s, place["community"], method="square", size_m=200, replace=True)
        rows = s.execute(
            text(
                "SELECT right(code, 3)::int, ST_X(ST_Centroid(geom_m)), ST_Y(ST_Centroid(geom_m)) FROM grid_cells "
                "WHERE region_code = :c ORDER BY code"
            ),
            {"c": place["community"]},
        ).all()
    assert rows[0][0] == 1 and [r[0] for r in rows] == list(range(1, len(rows) + 1))
    first_row = [r for r in rows if abs(r[2] - rows[0][2]) < 100]
    assert [r[1] for r in first_row] == sorted(r[1] for r in first_row)  # west → east
    assert rows[0][2] > rows[-1][2]  # north first


def test_blocks_follow_the_streets(place):
    c = place["community_geom"]
    x0, y0, x1, y1 = c.bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    put(
        "streets",
        [
            ({"code": "G-ns", "name": "纵路", "road_class": "arterial"}, LineString([(xm, y0), (xm, y1 + 0.001)])),
            ({"code": "G-ew", "name": "横路", "road_class": "arterial"}, LineString([(x0, ym), (x1, ym)])),
        ],
    )
    with transaction() as s:
        n = grid.generate(s, place["community"], method="blocks", size_m=500, replace=True)
    assert n == 4  # four blocks, each under 4× the nominal 250,000 m²
    assert _check(place["community"])["gaps"] == []


def test_existing_cells_need_replace(place):
    with transaction() as s:
        grid.generate(s, place["community"], method="square", size_m=300, replace=True)
    with pytest.raises(Conflict, match="--replace"), transaction() as s:
        grid.generate(s, place["community"], method="square", size_m=300)


def test_too_many_cells_for_the_code(place):
    with pytest.raises(InvalidInput, match="999"), transaction() as s:
        grid.generate(s, place["community"], method="square", size_m=20, replace=True)


def test_check_finds_the_crafted_gap_and_overlap(database):
    p = town("419904", 114.30, 34.30)
    x0, y0, x1, y1 = p["community_geom"].bounds
    xm = (x0 + x1) / 2
    with transaction() as s:
        s.execute(text("DELETE FROM grid_cells WHERE region_code = :c"), {"c": p["community"]})
    # West half and east half, but the east cell starts 0.0005° late (a gap strip) and
    # a third cell overlaps the west one.
    put(
        "grid_cells",
        [
            ({"code": p["community"] + "001"}, box(x0, y0, xm, y1)),
            ({"code": p["community"] + "002"}, box(xm + 0.0005, y0, x1, y1)),
            ({"code": p["community"] + "003"}, box(xm - 0.001, y0, xm, y0 + 0.001)),
        ],
    )
    row = _check(p["community"])
    strip = scalar(
        "SELECT ST_Area(ST_Transform(ST_MakeEnvelope(:a, :b, :c, :d, 4490), 4547))", a=xm, b=y0, c=xm + 0.0005, d=y1
    )
    assert len(row["gaps"]) == 1 and row["gaps"][0] == pytest.approx(strip, rel=0.01)
    [ov] = row["overlaps"]
    assert ov["cells"] == [p["community"] + "001", p["community"] + "003"]
    assert ov["area_m2"] == pytest.approx(
        scalar("SELECT area_m2 FROM grid_cells WHERE code = :c", c=p["community"] + "003"), rel=0.01
    )
