"""Binning points into hexagons or squares in a metric CRS, as SQL.

The bin of each point is computed arithmetically from its metric x/y (no grid is generated and joined), so binning
a million points is one scan and one GROUP BY. The indices follow PostGIS's ST_HexagonGrid/ST_SquareGrid layout, so
`ST_Hexagon(size, i, j)` / `ST_Square(size, i, j)` draw the cell of a group afterwards.

Hexagons are flat-topped with edge length `size` (= circumradius): column i has its centres at x = 1.5·size·i and
y = √3·size·(j + ½·(i odd)). A point lies in the hexagon whose centre is nearest; only columns floor(x/1.5size) and
the next one can hold it.
"""

from __future__ import annotations

SHAPES = ("hex", "square")
SQRT3 = 3**0.5


def bin_columns(shape: str, x: str, y: str, size: str) -> tuple[str, str]:
    """SQL expressions (i, j) of the cell holding point (x, y); `size` is a SQL expression in metres.

    All arithmetic is float8: a numeric literal (0.5, 1.5) would turn every row's maths into slow numeric maths.
    """
    s = f"CAST({size} AS float8)"
    if shape == "square":
        return f"floor({x} / {s})::bigint", f"floor({y} / {s})::bigint"
    if shape != "hex":
        raise ValueError(f"unknown cell shape {shape!r}")
    col_w = f"(1.5::float8 * {s})"  # distance between column centres
    row_h = f"({SQRT3}::float8 * {s})"  # distance between row centres
    i0 = f"floor({x} / {col_w})::bigint"

    def odd(c: str) -> str:  # ½ for odd columns, which sit half a row higher
        return f"(0.5::float8 * ({c} & 1))"

    def row(c: str) -> str:
        return f"round({y} / {row_h} - {odd(c)})::bigint"

    def dist2(c: str) -> str:
        return f"(({x}) - {col_w} * ({c}))^2 + (({y}) - {row_h} * ({row(c)} + {odd(c)}))^2"

    i1 = f"({i0} + 1)"
    nearer0 = f"({dist2(i0)} <= {dist2(i1)})"
    return (f"CASE WHEN {nearer0} THEN {i0} ELSE {i1} END",
            f"CASE WHEN {nearer0} THEN {row(i0)} ELSE {row(i1)} END")


def cell_geometry(shape: str, size: str, i: str, j: str, srid: str) -> str:
    """SQL for the polygon of cell (i, j) in the metric CRS `srid`."""
    fn = {"hex": "ST_Hexagon", "square": "ST_Square"}[shape]
    return f"ST_SetSRID({fn}({size}, ({i})::int, ({j})::int), {srid})"


def cell_area_m2(shape: str, size_m: float) -> float:
    return 1.5 * SQRT3 * size_m**2 if shape == "hex" else size_m**2
