"""Functional departments (职能部门): units of kind `department`, and the categories they handle by the
department rules (主办 or 协办, maybe only at a point type or on a road class). Intake reads the rules itself
(layers/ledger/sql/departments_route.sql); this is what a unit's page shows of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load

DUTY_NAMES = {"lead": "主办", "assist": "协办"}
ROAD_CLASS_NAMES = {"arterial": "主干道", "secondary": "次干道", "branch": "支路", "back_lane": "背街小巷"}


def duties(session: Session, unit_id: int) -> list[dict[str, Any]]:
    """The unit's department rules, active first, each with what it covers said in words."""
    rows = session.execute(text(load(__file__, "department_duties")), {"u": unit_id}).mappings()
    out = []
    for r in rows:
        where = [r["point_type"] or "", ROAD_CLASS_NAMES.get(r["road_class"] or "", "")]
        out.append({**dict(r), "duty_name": DUTY_NAMES[r["duty"]],
                    "covers": r["category_name"] or "全部类别",
                    "where": "、".join(w for w in where if w) or "全市"})
    return out
