"""Ownership coverage: where the rule "every place has a person" (不留盲区) is broken, set-based in PostGIS.

Coverage rules (table `coverage_rules`) say which role family each kind of feature needs. The report lists the
features missing one, features with several primary owners of one role (交叉: allowed, shown), assignments about
to expire, owners over their workload limit and people with no assignment, with totals per 街道 and 社区.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.registry.assignments import today


def status_sql(query: str) -> str:
    """The coverage status head (sql/coverage_status.sql) followed by `query`, a statement over `rules` and
    `status`; the head binds its own parameters (on, layer, family, scope)."""
    return load(__file__, "coverage_status") + query


def _family(session: Session, role: str | None) -> str | None:
    if not role:
        return None
    return session.execute(
        text("SELECT coalesce((SELECT family FROM owner_roles WHERE code = :r OR name = :r), :r)"), {"r": role}
    ).scalar()


def _pct(covered: int, required: int) -> float:
    return round(100.0 * covered / required, 1) if required else 100.0


def ownership(
    session: Session,
    *,
    region: str | None = None,
    layer: str | None = None,
    role: str | None = None,
    on: date | None = None,
    expiring_days: int = 30,
    limit: int = 1000,
    offset: int = 0,
) -> dict[str, Any]:
    """The report; `limit` cuts each list, `offset` pages the missing list (its true size is totals.missing)."""
    on = on or today(session)
    params = {"on": on, "layer": layer, "family": _family(session, role), "scope": region or "", "limit": limit,
              "offset": offset, "days": expiring_days}

    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in session.execute(text(sql), params).mappings()]

    # One statement per part of the report, each in sql/coverage_<part>.sql; the first five read the status head.
    sql = {q: load(__file__, f"coverage_{q}") for q in _PARTS}
    found = {q: rows(status_sql(sql[q]) if q in _OVER_STATUS else sql[q]) for q in _PARTS}
    return _report(on, region, found)


def totals(session: Session, *, region: str | None = None, on: date | None = None) -> dict[str, Any]:
    """The report's totals only (what the home page shows): required and covered places, pct, missing, and the
    street kilometres with and without every required role; the same statements as `ownership`'s, without the
    lists."""
    params = {"on": on or today(session), "layer": None, "family": None, "scope": region or ""}
    by_rule = [dict(r) for r in session.execute(text(status_sql(load(__file__, "coverage_by_rule"))),
                                                params).mappings()]
    km = session.execute(text(status_sql(load(__file__, "coverage_streets_km"))), params).mappings().one()
    return {**_sums(by_rule), "streets_km": _km(km)}


def _sums(by_rule: list[dict[str, Any]]) -> dict[str, Any]:
    required = sum(r["required"] for r in by_rule)
    covered = sum(r["covered"] for r in by_rule)
    return {"required": required, "covered": covered, "pct": _pct(covered, required), "missing": required - covered}


def _km(row: Any) -> dict[str, float]:
    return {"covered": round(float(row["covered_km"]), 2), "uncovered": round(float(row["uncovered_km"]), 2)}


_OVER_STATUS = ("by_rule", "by_region", "by_region_family", "streets_km", "missing")
_PARTS = (*_OVER_STATUS, "doubly_owned", "expiring", "overloaded", "idle")


def _report(on: date, region: str | None, found: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    by_rule, by_region, missing, doubly = found["by_rule"], found["by_region"], found["missing"], found["doubly_owned"]
    expiring, overloaded, idle, km = found["expiring"], found["overloaded"], found["idle"], found["streets_km"][0]
    gaps: dict[str, list[dict[str, Any]]] = {}
    for g in found["by_region_family"]:
        gaps.setdefault(g.pop("code"), []).append(g)
    for r in by_rule + by_region:
        r["pct"] = _pct(r["covered"], r["required"])
    for r in by_region:
        r["missing"] = r["required"] - r["covered"]
        r["missing_by_family"] = gaps.get(r["code"], [])
    for r in overloaded:
        r["street_km"] = float(r["street_km"]) if r["street_km"] is not None else None
    return {
        "on": on,
        "region": region,
        "totals": {**_sums(by_rule), "doubly_owned": len(doubly), "expiring": len(expiring),
                   "overloaded": len(overloaded), "idle_people": len(idle)},
        "streets_km": _km(km),
        "by_rule": by_rule,
        "by_subdistrict": [r for r in by_region if r["level"] == "subdistrict"],
        "by_community": [r for r in by_region if r["level"] == "community"],
        "missing": missing,
        "doubly_owned": doubly,
        "expiring": expiring,
        "overloaded": overloaded,
        "idle_people": idle,
    }
