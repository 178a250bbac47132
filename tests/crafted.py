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
