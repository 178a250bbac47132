"""Unit grid cells (单元网格): generation inside a community and the no-gap/no-overlap check.

Codes follow CJ/T 213: the community's 12-digit code plus a 3-digit serial, serials running west→east
within rows that run north→south. A community therefore holds at most 999 cells.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, InvalidInput, NotFound
from layers.common.audit import record

Method = Literal["blocks", "hex", "square"]
MAX_SERIAL = 999

# Pieces of the metric grid that fall inside the community; :size is the edge (square) or hex edge.
_TILES = {
    "square": "SELECT (ST_SquareGrid(:size, c.geom_m)).geom AS g FROM c",
    "hex": "SELECT (ST_HexagonGrid(:size, c.geom_m)).geom AS g FROM c",
    # City blocks: faces of the street network noded together with the community outline.
    # Blocks far above the nominal size are cut by a square grid so cells stay walkable.
    "blocks": """
        WITH faces AS (
            SELECT (ST_Dump(ST_Polygonize(lines))).geom AS g FROM (
                SELECT ST_Node(ST_Collect(l)) AS lines FROM (
                    SELECT ST_Boundary(c.geom_m) AS l FROM c
                    UNION ALL
                    -- Street pieces lengthened by 1 m so ends on the outline cross it instead of dangling.
                    SELECT ccgrid_extend_line(d.geom, 1.0)
                    FROM streets s, c,
                         ST_Dump(ST_CollectionExtract(ST_Intersection(s.geom_m, ST_Buffer(c.geom_m, 1)), 2)) d
                    WHERE ST_Intersects(s.geom_m, c.geom_m) AND ST_NPoints(d.geom) >= 2) parts) noded)
        SELECT g FROM faces WHERE ST_Area(g) <= 4 * :nominal
        UNION ALL
        SELECT ST_Intersection(f.g, sq.geom) FROM faces f
        CROSS JOIN LATERAL ST_SquareGrid(sqrt(:nominal), f.g) sq
        WHERE ST_Area(f.g) > 4 * :nominal AND ST_Intersects(sq.geom, f.g)
    """,
}

_GENERATE = """
WITH c AS (SELECT id, code, geom_m FROM regions WHERE id = :cid),
tiles AS ({tiles}),
pieces AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(t.g, c.geom_m)), 3)) AS g
    FROM tiles t, c WHERE ST_Intersects(t.g, c.geom_m)),
big AS (SELECT row_number() OVER () AS id, g FROM pieces WHERE ST_Area(g) >= 1),
-- Slivers under 1 m² (where streets nearly meet) join the neighbour they share most edge with.
small AS (
    SELECT (SELECT b.id FROM big b WHERE ST_DWithin(b.g, p.g, 0.01)
            ORDER BY ST_Length(ST_Intersection(ST_Boundary(b.g), ST_Buffer(p.g, 0.01))) DESC LIMIT 1) AS id, p.g
    FROM pieces p WHERE ST_Area(p.g) < 1 AND NOT ST_IsEmpty(p.g)),
kept AS (
    SELECT ST_Multi(ST_CollectionExtract(ST_UnaryUnion(ST_Collect(b.g, ST_Collect(s.g)), 0.001), 3)) AS g
    FROM big b LEFT JOIN small s ON s.id = b.id GROUP BY b.id, b.g),
numbered AS (
    SELECT g, row_number() OVER (ORDER BY -floor(ST_Y(ST_Centroid(g)) / :row_height), ST_X(ST_Centroid(g))) AS serial
    FROM kept)
INSERT INTO grid_cells (code, community_id, geom)
SELECT c.code || lpad(serial::text, 3, '0'), c.id,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(n.g, 4490)), 3))
FROM numbered n, c
"""


def _community(session: Session, code: str) -> Any:
    row = session.execute(
        text("SELECT id, code, name, ST_Area(geom_m) AS area FROM regions WHERE code = :code"), {"code": code}
    ).one_or_none()
    if row is None:
        raise NotFound(f"community {code} not found", field="community")
    if len(code) != 12:
        raise InvalidInput(f"{code} is not a community (社区) code; give a 12-digit code", field="community")
    return row


def generate(
    session: Session,
    community_code: str,
    *,
    method: Method = "square",
    size_m: float = 100.0,
    replace: bool = False,
    actor: str = "cli",
) -> int:
    """Tile a community with cells; returns how many were made. `size_m` is the side of the nominal square."""
    if method not in _TILES:
        raise InvalidInput(f"method must be one of {', '.join(_TILES)}", field="method")
    if not 10 <= size_m <= 5000:
        raise InvalidInput("size must be between 10 and 5000 metres", field="size_m")
    com = _community(session, community_code)
    existing = session.execute(
        text("SELECT count(*) FROM grid_cells WHERE community_id = :cid"), {"cid": com.id}
    ).scalar_one()
    if existing and not replace:
        raise Conflict(f"community {community_code} already has {existing} grid cells; use --replace to redo them")
    nominal = size_m * size_m
    if com.area / nominal > MAX_SERIAL * 0.9:
        raise InvalidInput(
            f"community {community_code} covers {com.area / 1e6:.2f} km²: cells of {size_m:.0f} m would exceed the "
            f"{MAX_SERIAL} serials a CJ/T 213 code allows; use a larger size",
            field="size_m",
        )
    session.execute(text("DELETE FROM grid_cells WHERE community_id = :cid"), {"cid": com.id})
    # A hexagon with edge a has area 3√3/2·a²; pick a so it matches the nominal square.
    size = math.sqrt(2 * nominal / (3 * math.sqrt(3))) if method == "hex" else size_m
    sql = _GENERATE.format(tiles=_TILES[method])
    made = session.execute(text(sql), {"cid": com.id, "size": size, "nominal": nominal, "row_height": size_m}).rowcount
    if made > MAX_SERIAL:
        raise InvalidInput(
            f"community {community_code} would need {made} cells, more than the {MAX_SERIAL} a code allows; "
            "use a larger size",
            field="size_m",
        )
    record(
        session,
        actor,
        "generate",
        "grid_cells",
        None,
        {"community": community_code, "method": method, "size_m": size_m, "cells": made, "replaced": existing},
    )
    return made


def check(session: Session, region_code: str | None = None, *, min_area_m2: float = 1.0) -> list[dict[str, Any]]:
    """Per community: cell count, uncovered area (gaps) and overlapping cell pairs, each with its area in m²."""
    params = {"scope": region_code or "", "min": min_area_m2}
    communities = (
        session.execute(
            text("""
        WITH c AS (SELECT id, code, name, geom_m FROM regions
                   WHERE level = 'community' AND code LIKE :scope || '%'),
        u AS (SELECT c.id, count(g.id) AS n, ST_Union(g.geom_m, 0.001) AS cells
              FROM c LEFT JOIN grid_cells g ON g.community_id = c.id GROUP BY c.id)
        SELECT c.id, c.code, c.name, u.n AS cells, ST_Area(c.geom_m) AS area_m2,
               coalesce(ST_Area(ST_Intersection(c.geom_m, u.cells, 0.001)), 0) AS covered_m2,
               (SELECT coalesce(sum(ST_Area(d.geom)), 0)
                FROM ST_Dump(ST_Difference(u.cells, c.geom_m, 0.001)) d WHERE ST_Area(d.geom) >= :min) AS outside_m2,
               ARRAY(SELECT round(ST_Area(d.geom)::numeric, 1)
                     FROM ST_Dump(ST_Difference(c.geom_m, coalesce(u.cells, 'POLYGON EMPTY'::geometry), 0.001)) d
                     WHERE ST_Area(d.geom) >= :min ORDER BY ST_Area(d.geom) DESC) AS gaps
        FROM c JOIN u USING (id) ORDER BY c.code
    """),
            params,
        )
        .mappings()
        .all()
    )
    overlaps = (
        session.execute(
            text("""
        SELECT a.region_code AS community, a.code AS a, b.code AS b,
               round(ST_Area(ST_Intersection(a.geom_m, b.geom_m))::numeric, 1) AS area_m2
        FROM grid_cells a JOIN grid_cells b
          ON a.id < b.id AND ST_Intersects(a.geom_m, b.geom_m) AND ST_Relate(a.geom_m, b.geom_m, '2********')
        WHERE a.region_code LIKE :scope || '%'
          AND ST_Area(ST_Intersection(a.geom_m, b.geom_m)) >= :min
        ORDER BY 4 DESC
    """),
            params,
        )
        .mappings()
        .all()
    )
    by_community: dict[str, list[dict[str, Any]]] = {}
    for o in overlaps:
        by_community.setdefault(o["community"], []).append({"cells": [o["a"], o["b"]], "area_m2": float(o["area_m2"])})
    out = []
    for c in communities:
        gaps = [float(g) for g in c["gaps"]]
        out.append(
            {
                "code": c["code"],
                "name": c["name"],
                "cells": c["cells"],
                "area_m2": round(c["area_m2"], 1),
                "covered_pct": round(100 * c["covered_m2"] / c["area_m2"], 2) if c["area_m2"] else 0.0,
                "gap_m2": round(sum(gaps), 1),
                "gaps": gaps,
                "outside_m2": round(c["outside_m2"], 1),
                "overlaps": by_community.get(c["code"], []),
            }
        )
    return out
