"""The numbers of the day on the leaders' landing page, inside the caller's region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.ledger.bins import HEX_GRID
from layers.ledger.filters import flag_params
from layers.registry import coverage


def numbers(session: Session, scope: str | None) -> dict[str, Any]:
    """Each number from what keeps it or an index that finds it, never a scan of every report: open from the
    pre-binned counts (kept by the reports' triggers), today's from this month's partition, overdue through the
    status/deadline index, closed in 30 days through the closing-time index, the coverage totals alone."""
    params = {"scope": scope or "", **flag_params(session)}
    row = session.execute(text(load(__file__, "headline")), {**params, "grid": HEX_GRID}).mappings().one()
    escalated = session.execute(text("""
        SELECT count(*) FILTER (WHERE l.code = 'notice'), count(*) FILTER (WHERE l.code = 'talk'),
               count(*) FILTER (WHERE l.code = 'accountability')
        FROM escalations e JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
        WHERE e.because_of IS NULL AND e.exposed_at >= now() - interval '7 days'
          AND coalesce(e.region_code, '') LIKE :scope || '%'"""), {"scope": scope or ""}).one()
    owned = coverage.totals(session, region=scope)
    return {**dict(row), "coverage_pct": owned["pct"], "missing_owners": owned["missing"],
            "unowned_street_km": owned["streets_km"]["uncovered"], "notices_7d": escalated[0],
            "talks_7d": escalated[1], "accountability_7d": escalated[2]}
