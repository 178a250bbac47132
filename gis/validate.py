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


# How deep a GeoJSON geometry's coordinates nest above the positions.
_NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _position_problem(value: object) -> str | None:
    if not isinstance(value, list) or len(value) not in (2, 3):
        return f"a position must be [longitude, latitude] (optionally with altitude), got {str(value)[:60]}"
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in value):
        return f"a position holds numbers only, got {str(value)[:60]}"
    return None


def geojson_problem(geometry: object) -> str | None:
    """None when a GeoJSON geometry object nests its coordinates as its type says; shapely itself would quietly
    read a Point of [[[x, y]]] or an altitude given as true."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        return "must be a GeoJSON geometry object"
    kind = geometry["type"]
    if kind not in _NESTING:
        return f"unsupported GeoJSON geometry type {str(kind)[:40]!r}; use one of {', '.join(_NESTING)}"
    level: list[object] = [geometry.get("coordinates")]
    for depth in range(_NESTING[kind]):
        if not all(isinstance(c, list) for c in level):
            return f"{kind} coordinates must nest {_NESTING[kind]} arrays above each position (level {depth + 1})"
        level = [item for c in level for item in c]  # type: ignore[union-attr]
    for position in level:
        problem = _position_problem(position)
        if problem:
            return problem
    return None


def geometry_problem(geom: BaseGeometry | None, family: str, max_vertices: int | None = None) -> str | None:
    """None when the geometry is acceptable for the family, else the reason in one line."""
    if geom is None:
        return "geometry is missing"
    if geom.is_empty:
        return "geometry is empty"
    if geom.geom_type not in FAMILIES[family]:
        allowed = "/".join(sorted(FAMILIES[family]))
        return f"geometry type {geom.geom_type} is not allowed here (expected {allowed})"
    # Before the validity check, which is what a huge geometry makes slow.
    vertices = shapely.get_num_coordinates(geom)
    if max_vertices is not None and vertices > max_vertices:
        return f"geometry has {vertices} vertices; a feature of this layer may have at most {max_vertices}"
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
