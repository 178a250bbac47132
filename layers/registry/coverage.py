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

from layers.registry.assignments import today

# Each feature that some active rule applies to, with whether that rule is met on :on.
_STATUS = """
WITH cur AS (
    SELECT a.layer, a.feature_id, r.family FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role),
rules AS (
    SELECT * FROM coverage_rules
    WHERE active AND (CAST(:layer AS text) IS NULL OR layer = :layer)
      AND (CAST(:family AS text) IS NULL OR role_family = :family)),
status AS (
    SELECT f.layer, f.id, f.code, f.name, f.region_code, f.kind, f.length_m, rl.id AS rule_id, rl.role_family,
           EXISTS (SELECT 1 FROM cur WHERE cur.layer = f.layer AND cur.feature_id = f.id
                   AND cur.family = rl.role_family) AS covered
    FROM ownable_features f
    JOIN rules rl ON rl.layer = f.layer AND (rl.filter_value IS NULL OR rl.filter_value = f.kind)
    WHERE coalesce(f.region_code, '') LIKE :scope || '%')
"""


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
) -> dict[str, Any]:
    on = on or today(session)
    params = {"on": on, "layer": layer, "family": _family(session, role), "scope": region or "", "limit": limit,
              "days": expiring_days}
    # The Chinese names of a family's roles, e.g. 市级街长/区级街长/街道级街长.
    names = "(SELECT string_agg(o.name, '/' ORDER BY o.sort) FROM owner_roles o WHERE o.family = {t}.role_family)"

    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in session.execute(text(sql), params).mappings()]

    by_rule = rows(_STATUS + f"""
        SELECT rl.id AS rule_id, rl.layer, rl.filter_value AS kind, rl.role_family,
               {names.format(t="rl")} AS role_names,
               count(s.id) AS required, count(s.id) FILTER (WHERE s.covered) AS covered
        FROM rules rl LEFT JOIN status s ON s.rule_id = rl.id
        GROUP BY rl.id, rl.layer, rl.filter_value, rl.role_family ORDER BY rl.id""")
    by_region = rows(_STATUS + """
        , per AS (
            SELECT left(region_code, 9) AS code, count(*) AS required, count(*) FILTER (WHERE covered) AS covered
            FROM status WHERE length(region_code) >= 9 GROUP BY 1
            UNION ALL
            SELECT left(region_code, 12), count(*), count(*) FILTER (WHERE covered)
            FROM status WHERE length(region_code) >= 12 GROUP BY 1)
        SELECT r.code, r.name, r.level, p.required, p.covered FROM per p JOIN regions r ON r.code = p.code
        ORDER BY r.code""")
    km = rows(_STATUS + """
        , seg AS (SELECT id, max(length_m) AS len, bool_and(covered) AS ok FROM status
                  WHERE layer = 'streets' GROUP BY id)
        SELECT coalesce(sum(len) FILTER (WHERE ok), 0) / 1000 AS covered_km,
               coalesce(sum(len) FILTER (WHERE NOT ok), 0) / 1000 AS uncovered_km FROM seg""")[0]
    missing = rows(_STATUS + f"""
        SELECT s.layer, s.id, s.code, s.name, s.kind, s.region_code, s.role_family,
               {names.format(t="s")} AS role_names
        FROM status s WHERE NOT s.covered ORDER BY s.layer, s.region_code, s.code LIMIT :limit""")
    doubly = rows("""
        SELECT a.layer, a.feature_id, f.code, f.name, a.role, r.name AS role_name,
               count(*) AS owners, string_agg(coalesce(p.name, u.name), '、' ORDER BY a.id) AS holders
        FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role AND r.is_primary
        JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
        LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
        WHERE coalesce(a.region_code, '') LIKE :scope || '%' AND (CAST(:layer AS text) IS NULL OR a.layer = :layer)
          AND (CAST(:family AS text) IS NULL OR r.family = :family)
        GROUP BY a.layer, a.feature_id, f.code, f.name, a.role, r.name
        HAVING count(DISTINCT (a.person_id, a.unit_id)) > 1 ORDER BY f.code LIMIT :limit""")
    expiring = rows("""
        SELECT a.id, a.layer, a.feature_id, f.code, a.role, r.name AS role_name, coalesce(p.name, u.name) AS holder,
               a.valid_to, a.valid_to - CAST(:on AS date) AS days_left
        FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
        JOIN ownable_features f ON f.layer = a.layer AND f.id = a.feature_id
        LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
        WHERE a.valid_to IS NOT NULL AND a.valid_to <= CAST(:on AS date) + :days
          AND coalesce(a.region_code, '') LIKE :scope || '%' AND (CAST(:layer AS text) IS NULL OR a.layer = :layer)
          AND (CAST(:family AS text) IS NULL OR r.family = :family)
        ORDER BY a.valid_to, a.id LIMIT :limit""")
    overloaded = rows("""
        SELECT p.id AS person_id, p.name, r.code AS role, r.name AS role_name,
               round((sum(s.length_m) / 1000)::numeric, 2) AS street_km, r.max_street_km,
               count(*) AS places, r.max_points
        FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role JOIN people p ON p.id = a.person_id
        LEFT JOIN streets s ON a.layer = 'streets' AND s.id = a.feature_id
        WHERE coalesce(p.region_code, a.region_code, '') LIKE :scope || '%'
          AND (CAST(:family AS text) IS NULL OR r.family = :family)
        GROUP BY p.id, p.name, r.code, r.name, r.max_street_km, r.max_points
        HAVING (r.max_street_km IS NOT NULL AND sum(s.length_m) / 1000 > r.max_street_km)
            OR (r.max_points IS NOT NULL AND bool_and(a.layer <> 'streets') AND count(*) > r.max_points)
        ORDER BY p.id LIMIT :limit""")
    idle = rows("""
        SELECT p.id, p.name, u.name AS unit_name, p.region_code FROM people p LEFT JOIN units u ON u.id = p.unit_id
        WHERE p.active AND coalesce(p.region_code, '') LIKE :scope || '%'
          AND NOT EXISTS (SELECT 1 FROM assignments_on(:on) a WHERE a.person_id = p.id)
        ORDER BY p.id LIMIT :limit""")

    for r in by_rule + by_region:
        r["pct"] = _pct(r["covered"], r["required"])
    required = sum(r["required"] for r in by_rule)
    covered = sum(r["covered"] for r in by_rule)
    for r in overloaded:
        r["street_km"] = float(r["street_km"]) if r["street_km"] is not None else None
    return {
        "on": on,
        "region": region,
        "totals": {"required": required, "covered": covered, "pct": _pct(covered, required),
                   "missing": required - covered, "doubly_owned": len(doubly), "expiring": len(expiring),
                   "overloaded": len(overloaded), "idle_people": len(idle)},
        "streets_km": {"covered": round(float(km["covered_km"]), 2), "uncovered": round(float(km["uncovered_km"]), 2)},
        "by_rule": by_rule,
        "by_subdistrict": [r for r in by_region if r["level"] == "subdistrict"],
        "by_community": [r for r in by_region if r["level"] == "community"],
        "missing": missing,
        "doubly_owned": doubly,
        "expiring": expiring,
        "overloaded": overloaded,
        "idle_people": idle,
    }
