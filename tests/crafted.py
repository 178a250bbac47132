"""Small hand-made places for tests, each under its own district code so tests do not meet each other."""

from __future__ import annotations

from typing import Any

from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from gis.db import transaction
from layers.catalog import LAYERS
from layers.writer import WriteResult, prepare, write


def put(layer: str, records: list[tuple[dict[str, Any], BaseGeometry]], **kw) -> WriteResult:
    spec = LAYERS[layer]
    with transaction() as s:
        rows, rejected = prepare(
            spec,
            [(i, a, g) for i, (a, g) in enumerate(records, start=1)],
            {"point_types": {"农贸市场", "公共厕所", "小区"}},
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
