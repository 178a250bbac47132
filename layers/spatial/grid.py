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
from gis.sql import load
from layers.common.audit import record
from layers.network import build as network

Method = Literal["blocks", "hex", "square"]
MAX_SERIAL = 999

METHODS: tuple[Method, ...] = ("blocks", "hex", "square")


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
    if method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}", field="method")
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
    sql = load(__file__, f"grid_generate_{method}")
    made = session.execute(text(sql), {"cid": com.id, "size": size, "nominal": nominal, "row_height": size_m}).rowcount
    if made > MAX_SERIAL:
        raise InvalidInput(
            f"community {community_code} would need {made} cells, more than the {MAX_SERIAL} a code allows; "
            "use a larger size",
            field="size_m",
        )
    network.features_written(session, "grid_cells", list(session.execute(
        text("SELECT id FROM grid_cells WHERE community_id = :cid"), {"cid": com.id}).scalars()))
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
    communities = session.execute(text(load(__file__, "grid_check_communities")), params).mappings().all()
    overlaps = session.execute(text(load(__file__, "grid_check_overlaps")), params).mappings().all()
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
