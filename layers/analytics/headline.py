"""The numbers of the day on the leaders' landing page, inside the caller's region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.ledger.filters import flag_params, open_sql, overdue_sql
from layers.registry import coverage


def numbers(session: Session, scope: str | None) -> dict[str, Any]:
    row = session.execute(text(f"""
        SELECT count(*) FILTER (WHERE reported_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai')
                                                    AT TIME ZONE 'Asia/Shanghai') AS today,
               count(*) FILTER (WHERE {open_sql("p")}) AS open,
               count(*) FILTER (WHERE {overdue_sql("p")}) AS overdue,
               count(*) FILTER (WHERE status = 'closed' AND closed_at >= now() - interval '30 days') AS closed_30d
        FROM problems p WHERE duplicate_of IS NULL AND coalesce(region_code, '') LIKE :scope || '%'"""),
        {"scope": scope or "", **flag_params(session)}).mappings().one()
    escalated = session.execute(text("""
        SELECT count(*) FILTER (WHERE l.code = 'notice'), count(*) FILTER (WHERE l.code = 'talk'),
               count(*) FILTER (WHERE l.code = 'accountability')
        FROM escalations e JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
        WHERE e.because_of IS NULL AND e.exposed_at >= now() - interval '7 days'
          AND coalesce(e.region_code, '') LIKE :scope || '%'"""), {"scope": scope or ""}).one()
    owned = coverage.ownership(session, region=scope, limit=1)
    return {**dict(row), "coverage_pct": owned["totals"]["pct"], "missing_owners": owned["totals"]["missing"],
            "unowned_street_km": owned["streets_km"]["uncovered"], "notices_7d": escalated[0],
            "talks_7d": escalated[1], "accountability_7d": escalated[2]}
