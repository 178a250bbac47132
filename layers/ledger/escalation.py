"""The escalation ladder: an owner exposed once in the rolling window is 通报, twice 约谈, three times 问责.

Exposures are: a problem not rectified by its deadline (overdue), a failed re-inspection (退回), a report from a
暗访 (mystery inspection). Each counts against the primary owners the problem was routed to. Levels, the window and
which kinds count are data (`escalation_levels`, `escalation_settings`). Running it again adds only what is new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.common.audit import record

KIND_NAMES = {"overdue": "超期未整改", "rework": "复查未通过（退回）", "mystery": "暗访曝光"}


def run(session: Session, *, as_of: datetime | None = None, actor: str = "system") -> int:
    """Record every exposure up to `as_of` (default now) with the level it reaches; returns how many are new."""
    as_of = as_of or session.execute(text("SELECT now()")).scalar_one()
    days = session.execute(text("SELECT value FROM escalation_settings WHERE key = 'window_days'")).scalar_one()
    new = len(session.execute(text(load(__file__, "escalation_run")),
                              {"as_of": as_of, "days": int(days)}).scalars().all())
    record(session, actor, "escalate", "escalations", None, {"as_of": as_of, "new": new})
    return new


def listing(session: Session, *, week: str | None = None, scope: str | None = None, level: int | None = None,
            limit: int = 1000) -> list[dict[str, Any]]:
    """Escalation records, newest first; `week` as ISO week 2026-W47 (Asia/Shanghai)."""
    rows = session.execute(text(load(__file__, "escalation_listing")),
                           {"week": week, "scope": scope, "level": level, "limit": limit}).mappings()
    return [{**dict(r), "reason": KIND_NAMES[r["kind"]]} for r in rows]
