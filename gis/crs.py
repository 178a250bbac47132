"""Coordinate systems: CGCS2000 storage, WGS84 output, GCJ-02/BD-09 input, the metric Gauss-Krüger zone."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import prcoords
import shapely
from shapely.geometry.base import BaseGeometry

STORAGE_SRID = 4490  # CGCS2000 geographic
WGS84 = 4326
# EPSG:4534 is "CGCS2000 / 3-degree Gauss-Kruger CM 75E"; the series runs in 3° steps to CM 135E (EPSG:4554).
_GK3_FIRST_SRID, _GK3_FIRST_CM, _GK3_LAST_CM = 4534, 75, 135


class CoordSys(StrEnum):
    """How the incoming longitude/latitude were produced."""

    standard = "standard"  # WGS84 / CGCS2000 (GPS, 天地图)
    gcj02 = "gcj02"  # 高德, 腾讯 (the "Mars" offset)
    bd09 = "bd09"  # 百度


def gk3_zone_srid(longitude: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (no zone prefix) whose meridian is nearest."""
    cm = int(round(longitude / 3.0)) * 3
    if not _GK3_FIRST_CM <= cm <= _GK3_LAST_CM:
        raise ValueError(f"longitude {longitude} is outside China's Gauss-Krüger zones (75°E–135°E)")
    return _GK3_FIRST_SRID + (cm - _GK3_FIRST_CM) // 3


def _convert_one(lon: float, lat: float, fn) -> tuple[float, float]:
    # The offsets exist only inside China; elsewhere GCJ-02 and BD-09 coordinates are taken as they are
    # (the formulas are undefined at the poles). prcoords works on (lat, lon).
    if not prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)):
        return lon, lat
    lat2, lon2 = fn((lat, lon))
    return lon2, lat2


def _convert_xy(coords: np.ndarray, fn) -> np.ndarray:
    out = np.empty_like(coords)
    for i, (x, y) in enumerate(coords):
        out[i] = _convert_one(float(x), float(y), fn)
    return out


def to_standard(geom: BaseGeometry | np.ndarray, coord_sys: CoordSys | str):
    """Undo the GCJ-02 / BD-09 offset (precise iterative inverse), leaving WGS84 ≈ CGCS2000 coordinates."""
    coord_sys = CoordSys(coord_sys)
    if coord_sys is CoordSys.standard:
        return geom
    fn = prcoords.gcj_wgs_bored if coord_sys is CoordSys.gcj02 else prcoords.bd_wgs_bored
    return shapely.transform(geom, lambda c: _convert_xy(c, fn))


def point_to_standard(lon: float, lat: float, coord_sys: CoordSys | str) -> tuple[float, float]:
    coord_sys = CoordSys(coord_sys)
    if coord_sys is CoordSys.standard:
        return lon, lat
    fn = prcoords.gcj_wgs_bored if coord_sys is CoordSys.gcj02 else prcoords.bd_wgs_bored
    return _convert_one(lon, lat, fn)


def from_standard(geom, coord_sys: CoordSys | str):
    """WGS84 → GCJ-02 / BD-09, for clients that draw on 高德 or 百度 basemaps."""
    coord_sys = CoordSys(coord_sys)
    if coord_sys is CoordSys.standard:
        return geom
    fn = prcoords.wgs_gcj if coord_sys is CoordSys.gcj02 else prcoords.wgs_bd
    return shapely.transform(geom, lambda c: _convert_xy(c, fn))
