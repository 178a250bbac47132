"""The planning indicators the campaign is scored on, per 社区, 街道, district or the whole city, from the data the
grid runs on, each against its target in `indicator_targets` (data: a city edits them):

- 路网密度 road_density = km of street / km² of built-up area. Built-up area: the imported built-up polygons
  (`land_cover` kind built_up) where a city has imported any, else its grid cells' area.
- 道路面积率 road_area_share and 建成区绿化覆盖率 green_cover = imported road surface / green polygons inside the region
  over the built-up area, in %: only where such polygons were imported (never made up from the streets).
- 15分钟生活圈覆盖率 living_circle_share: % of the cell area whose centre is within the living circle's walk of
  every one of its facility types (network reach, layers/network/reach.py), and each type's own share.
- 志愿服务站点覆盖率 and any target naming a point type: % of the cell area within the circle's walk of that type.
- 无街长道路占比 no_chief_share: % of the street km a coverage rule requires a 街长 for that has none today (the
  coverage report's definition, layers/registry/coverage.py).

A street counts in the region of its midpoint, a cell in its community.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load
from layers.network import reach
from layers.registry.assignments import today
from layers.registry.coverage import status_sql

LEVELS = ("community", "subdistrict", "district", "city")
DEFAULT_CIRCLE = "15min"


def circles(session: Session) -> list[dict[str, Any]]:
    return reach.circles(session)


def targets(session: Session) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(text(
        "SELECT code, name, unit, comparison, target, point_type, source FROM indicator_targets "
        "ORDER BY sort, code")).mappings()]


def _sum(by_code: dict[str, float], prefix: str) -> float:
    return sum(v for k, v in by_code.items() if k.startswith(prefix))


def indicators(session: Session, *, level: str = "community", scope: str | None = None,
               circle: str = DEFAULT_CIRCLE) -> dict[str, Any]:
    """One row per region of `level` inside `scope` (level `city`: one row for all of it)."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}", field="level")
    scope = scope or ""
    if len(circle) > 50 or "\x00" in circle:
        raise InvalidInput("must be a name of at most 50 characters", field="circle")
    goals = targets(session)
    circ = next((c for c in reach.circles(session) if circle in (c["code"], c["name"])), None)
    if circ is None:
        raise InvalidInput(f"unknown living circle {circle!r}", field="circle")
    # Level `city`: the land cover of the region asked (every district when none).
    region_level = "district" if len(scope) <= 6 else "subdistrict" if len(scope) <= 9 else "community"
    params = {"scope": scope, "on": today(session), "layer": "streets", "family": "street_chief",
              "level": region_level if level == "city" else level}
    streets = [dict(r) for r in session.execute(text(status_sql(load(__file__, "planning_streets"))), params)
               .mappings()]
    road = {r["code"]: float(r["road_km"]) for r in streets}
    required = {r["code"]: float(r["chief_required_km"]) for r in streets}
    lacking = {r["code"]: float(r["no_chief_km"]) for r in streets}
    cells = {r[0]: float(r[1]) for r in session.execute(text(load(__file__, "planning_cells")), params)}
    cover: dict[str, dict[str, float]] = defaultdict(dict)
    for code, kind, km2 in session.execute(text(load(__file__, "planning_land_cover")), params):
        cover[kind][code] = float(km2 or 0)
    imported = set(session.execute(text("SELECT DISTINCT kind FROM land_cover")).scalars())
    # The facility types: the circle's, and those a target names (志愿服务站), at the circle's minutes.
    types = [(f["facility"], f["walk_m"]) for f in circ["facilities"]]
    types += [(g["point_type"], circ["walk_m"]) for g in goals
              if g["point_type"] and g["point_type"] not in {t for t, _ in types}]
    facilities = [reach.Facility(t, m) for t, m in types]
    circle_types = {f["facility"] for f in circ["facilities"]}
    reached = (reach.analyse(session, facilities, scope=scope or None, geometry=False, together=circle_types)
               if facilities else {"communities": []})
    # (facility, community) → cell area and the part inside reach; facility None: the whole circle at once.
    area: dict[tuple[str | None, str], float] = defaultdict(float)
    inside: dict[tuple[str | None, str], float] = defaultdict(float)
    for c in reached["communities"]:
        area[(c["facility"], c["code"])] += c["area_m2"]
        inside[(c["facility"], c["code"])] += c["reached_area_m2"]

    def share(facility: str | None, prefix: str) -> float | None:
        a = sum(v for (f, c), v in area.items() if f == facility and c.startswith(prefix))
        i = sum(v for (f, c), v in inside.items() if f == facility and c.startswith(prefix))
        return i / a if a else None

    if level == "city":
        regions = [{"code": scope, "name": "全市" if not scope else _name(session, scope)}]
        land = {kind: {scope: sum(v.values())} for kind, v in cover.items()}
    else:
        regions = [dict(r) for r in session.execute(text(load(__file__, "planning_regions")), params).mappings()]
        land = cover
    rows = []
    for r in regions:
        code = r["code"]
        km = _sum(road, code)
        built_src = "land_cover" if "built_up" in imported else "grid_cells"
        built = land.get("built_up", {}).get(code, 0.0) if built_src == "land_cover" else _sum(cells, code)
        values: dict[str, float | None] = {
            "road_density": km / built if built else None,
            "road_area_share": 100 * land.get("road", {}).get(code, 0.0) / built
            if "road" in imported and built else None,
            "green_cover": 100 * land.get("green", {}).get(code, 0.0) / built
            if "green" in imported and built else None,
            "no_chief_share": 100 * _sum(lacking, code) / _sum(required, code) if _sum(required, code) else None,
        }
        whole = share(None, code) if circle_types else None
        values["living_circle_share"] = 100 * whole if whole is not None else None
        shares = [{"facility": t, "walk_m": m, "share": _round(share(t, code))} for t, m in types]
        for g in goals:
            if g["point_type"]:
                s = next((x["share"] for x in shares if x["facility"] == g["point_type"]), None)
                values[g["code"]] = 100 * s if s is not None else None
        rows.append({"code": code, "name": r["name"], "road_km": round(km, 3), "built_up_km2": round(built, 4),
                     "built_up_source": built_src, "no_chief_km": round(_sum(lacking, code), 3),
                     "indicators": [_judge(g, values.get(g["code"]), imported) for g in goals],
                     "reach": shares})
    return {"level": level, "region": scope or None, "circle": {k: circ[k] for k in ("code", "name", "minutes",
                                                                                    "walk_m")},
            "criterion": reach.CRITERION, "targets": goals, "rows": rows}


def _round(v: float | None) -> float | None:
    return round(v, 4) if v is not None else None


def _name(session: Session, code: str) -> str | None:
    return session.execute(text("SELECT name FROM regions WHERE code = :c"), {"c": code}).scalar()


_NEEDS_LAYER = {"road_area_share": ("road", "未导入道路面层"), "green_cover": ("green", "未导入绿地面层")}


def _judge(goal: dict[str, Any], value: float | None, imported: set[str]) -> dict[str, Any]:
    passed = None
    if value is not None and goal["target"] is not None:
        passed = value >= goal["target"] if goal["comparison"] == ">=" else value <= goal["target"]
    note = None
    if goal["code"] in _NEEDS_LAYER and _NEEDS_LAYER[goal["code"]][0] not in imported:
        note = _NEEDS_LAYER[goal["code"]][1]
    return {"code": goal["code"], "name": goal["name"], "unit": goal["unit"], "comparison": goal["comparison"],
            "target": goal["target"], "value": round(value, 4) if value is not None else None, "pass": passed,
            **({"note": note} if note else {})}
