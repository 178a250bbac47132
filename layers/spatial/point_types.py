"""Assessment point types (测评点位类型): the kinds a point of the assessment layer may be."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def listing(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(text("SELECT name, category, geometry_hint FROM point_types ORDER BY sort, name"))
    return [dict(r) for r in rows.mappings()]
