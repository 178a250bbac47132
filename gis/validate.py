"""Geometry checks that return readable reasons (zh-CN users read these in the import report)."""

from __future__ import annotations

import math

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

# Families of geometry type a layer may accept; Multi* of the same family is accepted too.
FAMILIES = {
    "point": {"Point"},
    "line": {"LineString", "MultiLineString"},
    "polygon": {"Polygon", "MultiPolygon"},
    "point_or_polygon": {"Point", "Polygon", "MultiPolygon"},
}


def geometry_problem(geom: BaseGeometry | None, family: str) -> str | None:
    """None when the geometry is acceptable for the family, else the reason in one line."""
    if geom is None:
        return "geometry is missing"
    if geom.is_empty:
        return "geometry is empty"
    if geom.geom_type not in FAMILIES[family]:
        allowed = "/".join(sorted(FAMILIES[family]))
        return f"geometry type {geom.geom_type} is not allowed here (expected {allowed})"
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel()):
        return "coordinates contain NaN or infinity"
    xs, ys = coords[:, 0], coords[:, 1]
    if xs.min() < -180 or xs.max() > 180 or ys.min() < -90 or ys.max() > 90:
        return (
            f"coordinates out of range for longitude/latitude (x {xs.min():.3f}..{xs.max():.3f}, "
            f"y {ys.min():.3f}..{ys.max():.3f}); projected data needs its CRS (--crs EPSG:N)"
        )
    if not geom.is_valid:
        return f"invalid geometry: {explain_validity(geom)}"
    if family == "line" and geom.length == 0:
        return "line has zero length"
    if family in ("polygon",) and geom.area == 0:
        return "polygon has zero area"
    return None
