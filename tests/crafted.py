"""Small hand-made places for tests, each under its own district code so tests do not meet each other, and spots
to report at inside the demo city."""

from __future__ import annotations

from typing import Any

from shapely.geometry import box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text

from gis.db import transaction
from layers.spatial.catalog import LAYERS
from layers.spatial.writer import WriteResult, prepare, write


def put(layer: str, records: list[tuple[dict[str, Any], BaseGeometry]], **kw) -> WriteResult:
    spec = LAYERS[layer]
    with transaction() as s:
        rows, rejected = prepare(
            spec,
            [(i, a, g) for i, (a, g) in enumerate(records, start=1)],
            {"point_types": set(s.execute(text("SELECT name FROM point_types")).scalars())},
        )
        return write(s, spec, rows, actor="test", prior_rejections=rejected, **kw)


def town(district: str, lon: float, lat: float, size: float = 0.02) -> dict[str, Any]:
    """A square district with one sub-district and one community covering its south-west quarter."""
    d = box(lon, lat, lon + size, lat + size)
    c = box(lon, lat, lon + size / 2, lat + size / 2)
    put(
        "regions",
        [
            ({"code": district, "name": f"测试区{district}"}, d),
            ({"code": district + "001", "name": "测试街道"}, d),
            ({"code": district + "001001", "name": "测试社区"}, c),
        ],
    )
    return {
        "district": district,
        "subdistrict": district + "001",
        "community": district + "001001",
        "district_geom": d,
        "community_geom": c,
    }


def owner_town(district: str, lon: float, lat: float) -> dict[str, Any]:
    """A town with a named arterial of three segments, a back lane, a branch road, a market, four toilets and
    square grid cells in its community; returns the ids by name."""
    from shapely.geometry import LineString, Point
    from sqlalchemy import text

    from layers.spatial import grid

    t = town(district, lon, lat)
    y = lat + 0.005
    put("streets", [
        ({"code": f"{district}-h{i}", "name": "和平路", "road_class": "arterial"},
         LineString([(lon + 0.002 * i, y), (lon + 0.002 * (i + 1), y)])) for i in range(3)
    ] + [
        ({"code": f"{district}-lane", "name": "幸福巷", "road_class": "back_lane"},
         LineString([(lon + 0.001, lat + 0.001), (lon + 0.001, lat + 0.004)])),
        ({"code": f"{district}-br", "name": "支路一", "road_class": "branch"},
         LineString([(lon + 0.008, lat + 0.001), (lon + 0.008, lat + 0.004)])),
    ])
    put("assessment_points", [
        ({"code": f"{district}-M", "name": "和平市场", "point_type": "农贸市场"}, Point(lon + 0.003, lat + 0.003)),
    ] + [
        ({"code": f"{district}-T{i}", "name": f"公厕{i}", "point_type": "公共厕所"},
         Point(lon + 0.001 * i + 0.0005, lat + 0.008)) for i in range(4)
    ])
    with transaction() as s:
        grid.generate(s, t["community"], method="square", size_m=300, replace=True)
        ids = {r.code: r.id for r in s.execute(text(
            "SELECT code, id FROM streets WHERE code LIKE :d || '-%' UNION ALL "
            "SELECT code, id FROM assessment_points WHERE code LIKE :d || '-%'"), {"d": district})}
        cells = list(s.execute(text("SELECT id FROM grid_cells WHERE region_code = :c ORDER BY code"),
                               {"c": t["community"]}).scalars())
    return {**t, "ids": ids, "cells": cells}


# The orders spots are handed out in: each test module walks the 社区 its own way, so reports of different modules
# fall apart from each other and none is taken as a duplicate of another's.
SPOT_ORDERS = {"west_first": "g.i, g.j", "south_first": "g.j, g.i", "east_first": "g.i DESC, g.j"}


def spots(subdistrict: str, step_m: int, order: str, limit: int = 200) -> list[tuple[float, float]]:
    """Points `step_m` apart (lon, lat) inside the largest 社区 of a 街道, at least 60 m from its edge."""
    with transaction() as s:
        return [tuple(r) for r in s.execute(text(f"""
            SELECT ST_X(p), ST_Y(p) FROM (
                SELECT ST_Transform(ST_Centroid(g.geom), 4490) AS p
                FROM (SELECT geom_m FROM regions WHERE code LIKE :c ORDER BY ST_Area(geom_m) DESC LIMIT 1) r,
                     LATERAL ST_SquareGrid(:step, r.geom_m) g
                WHERE ST_Contains(ST_Buffer(r.geom_m, -60), ST_Centroid(g.geom))
                ORDER BY {SPOT_ORDERS[order]} LIMIT :limit) x"""),
            {"c": f"{subdistrict}___", "step": step_m, "limit": limit}).all()]


def metric(lon: float, lat: float):
    """(to degrees, origin): shapes drawn in metres in the database's own metric CRS from the point (lon, lat), and
    turned into CGCS2000 for writing, so that lengths and areas stored are the ones drawn."""
    from pyproj import Transformer
    from shapely.ops import transform

    with transaction() as s:
        srid = s.execute(text("SELECT ccgrid_metric_srid()")).scalar()
        if srid is None:
            srid = s.execute(text("SELECT ccgrid_gk3_srid(:lon)"), {"lon": lon}).scalar()
    fwd = Transformer.from_crs(4490, srid, always_xy=True)
    back = Transformer.from_crs(srid, 4490, always_xy=True)
    x0, y0 = fwd.transform(lon, lat)
    return (lambda g: transform(lambda x, y, z=None: back.transform(x + x0, y + y0), g)), (x0, y0)


def river_town(district: str, lon: float, lat: float) -> dict[str, Any]:
    """A 3 km square district cut by a river running north–south between x = 1400 and 1600 m (metres from its
    south-west corner), with one bridge in the far north (y = 2800). West of the river, community 001: the bank
    road W1 (x = 1400), road V (x = 500), the cross road N (y = 2000), and a walled compound (900–1300 × 400–800)
    whose only street K1 (y = 600) leaves by its west gate along G to V; G stops 1.5 m short of V (hand-drawn).
    East, community 002: the bank road E1 (x = 1600). A 公共厕所 10 m west of W1 at y = 600, a 农贸市场 10 m east of
    E1 at y = 600. Cells: c1 the compound, c2 1300–1500 × 400–800, c3 900–1500 × 800–1200 (west); c4 1500–2000 ×
    400–800, c5 1500–2000 × 2600–3000 (east). Returns ids and the drawing function."""
    from shapely.geometry import LineString, Point

    deg, _ = metric(lon, lat)
    sub, west, east = district + "001", district + "001001", district + "001002"
    put("regions", [
        ({"code": district, "name": f"河城{district}"}, deg(box(0, 0, 3000, 3000))),
        ({"code": sub, "name": "河城街道"}, deg(box(0, 0, 3000, 3000))),
        ({"code": west, "name": "河西社区"}, deg(box(0, 0, 1500, 3000))),
        ({"code": east, "name": "河东社区"}, deg(box(1500, 0, 3000, 3000))),
    ])
    lines = {
        "W1": ("滨河西路", "arterial", [(1400, 20), (1400, 2980)]),
        "E1": ("滨河东路", "arterial", [(1600, 20), (1600, 2980)]),
        "B": ("北桥", "branch", [(1400, 2800), (1650, 2800)]),
        "V": ("西环路", "secondary", [(500, 20), (500, 2980)]),
        "N": ("北横路", "branch", [(500, 2000), (1400, 2000)]),
        "G": ("大院门前路", "back_lane", [(950, 600), (501.5, 600)]),
        "K1": ("大院内路", "back_lane", [(950, 600), (1250, 600)]),
    }
    put("streets", [({"code": f"{district}-{k}", "name": n, "road_class": rc}, deg(LineString(xy)))
                    for k, (n, rc, xy) in lines.items()])
    put("assessment_points", [
        ({"code": f"{district}-T", "name": "河西公厕", "point_type": "公共厕所"}, deg(Point(1390, 600))),
        ({"code": f"{district}-M", "name": "河东市场", "point_type": "农贸市场"}, deg(Point(1610, 600))),
    ])
    cells = {"c1": (west + "001", (900, 400, 1300, 800)), "c2": (west + "002", (1300, 400, 1500, 800)),
             "c3": (west + "003", (900, 800, 1500, 1200)), "c4": (east + "001", (1500, 400, 2000, 800)),
             "c5": (east + "002", (1500, 2600, 2000, 3000))}
    put("grid_cells", [({"code": code}, deg(box(*b))) for code, b in cells.values()])
    with transaction() as s:
        ids = {r.code.split("-")[-1]: r.id for r in s.execute(text(
            "SELECT code, id FROM streets WHERE code LIKE :d || '-%' UNION ALL "
            "SELECT code, id FROM assessment_points WHERE code LIKE :d || '-%'"), {"d": district})}
    return {"district": district, "west": west, "east": east, "ids": ids, "deg": deg,
            "cells": {k: code for k, (code, _) in cells.items()}, "areas": {k: (b[2] - b[0]) * (b[3] - b[1])
                                                                           for k, (_, b) in cells.items()}}
