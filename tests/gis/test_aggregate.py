"""Arithmetic binning lands every point in the PostGIS hexagon/square it lies in."""

import numpy as np
import pytest
from sqlalchemy import text

from gis.aggregate import bin_columns, cell_area_m2, cell_geometry
from gis.db import transaction


@pytest.mark.parametrize("shape", ["hex", "square"])
@pytest.mark.parametrize("size", [250.0, 37.5])
def test_every_point_falls_in_its_cell(database, shape, size):
    rng = np.random.default_rng(3)
    xy = rng.uniform(-50_000, 50_000, size=(20_000, 2)) + [500_000, 3_800_000]
    i, j = bin_columns(shape, "x", "y", str(size))
    with transaction() as s:
        outside, cells = s.execute(text(f"""
            WITH p AS (SELECT x, y FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) AS t(x, y)),
                 b AS (SELECT x, y, {i} AS i, {j} AS j FROM p)
            SELECT count(*) FILTER (WHERE NOT ST_Intersects(ST_MakePoint(x, y),
                                                           {cell_geometry(shape, str(size), 'i', 'j', '0')})),
                   count(DISTINCT (i, j))
            FROM b"""), {"x": xy[:, 0].tolist(), "y": xy[:, 1].tolist()}).one()
        area = s.execute(text(f"SELECT ST_Area({cell_geometry(shape, str(size), '3', '-7', '0')})")).scalar()
    assert outside == 0
    assert cells > 1000  # the points really were spread over many cells
    assert area == pytest.approx(cell_area_m2(shape, size))
