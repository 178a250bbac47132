"""The ledger's lookup tables as the API lists them: problem categories (two levels) and sources."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def categories(session: Session) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(text("SELECT * FROM problem_categories ORDER BY code")).mappings()]


def sources(session: Session) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(text("SELECT * FROM problem_sources ORDER BY code")).mappings()]


def common_categories(session: Session, *, scope: str | None, days: int = 30, limit: int = 8) -> list[str]:
    """The small classes reported most in the region lately: the report form offers these first."""
    rows = session.execute(text("""
        SELECT p.category_code FROM problems p JOIN problem_categories c ON c.code = p.category_code AND c.active
        WHERE p.reported_at > now() - make_interval(days => :days)
          AND coalesce(p.region_code, '') LIKE :scope || '%'
        GROUP BY p.category_code ORDER BY count(*) DESC, p.category_code LIMIT :limit"""),
        {"days": days, "scope": scope or "", "limit": limit}).scalars()
    return list(rows)
