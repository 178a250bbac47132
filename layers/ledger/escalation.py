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

from layers.common.audit import record

KIND_NAMES = {"overdue": "超期未整改", "rework": "复查未通过（退回）", "mystery": "暗访曝光"}

_RUN = """
WITH cfg AS (SELECT
        (SELECT value::boolean FROM escalation_settings WHERE key = 'count_overdue') AS c_overdue,
        (SELECT value::boolean FROM escalation_settings WHERE key = 'count_rework') AS c_rework,
        (SELECT value::boolean FROM escalation_settings WHERE key = 'count_mystery') AS c_mystery),
exposures AS (
    -- Not rectified by the deadline: still open past it, or rectified only after it.
    SELECT p.id AS problem_id, 'overdue' AS kind, p.due_at AS at FROM problems p, cfg
    WHERE cfg.c_overdue AND p.due_at IS NOT NULL AND p.due_at <= :as_of AND p.duplicate_of IS NULL
      AND p.status <> 'rejected'
      AND NOT EXISTS (SELECT 1 FROM problem_events e WHERE e.problem_id = p.id AND e.to_status = 'rectified'
                      AND e.at <= p.due_at)
    UNION ALL
    SELECT e.problem_id, 'rework', e.at FROM problem_events e, cfg
    WHERE cfg.c_rework AND e.action = '退回' AND e.at <= :as_of
    UNION ALL
    SELECT p.id, 'mystery', p.reported_at FROM problems p, cfg
    WHERE cfg.c_mystery AND p.source = 'mystery' AND p.reported_at <= :as_of AND p.status <> 'rejected'
      AND p.duplicate_of IS NULL),
owned AS (
    SELECT DISTINCT ON (holder_key, x.kind, x.problem_id)
           x.problem_id, x.kind, x.at, a.person_id, a.unit_id,
           coalesce('person:' || a.person_id, 'unit:' || a.unit_id) AS holder_key, p.region_code
    FROM exposures x
    JOIN problem_owners po ON po.problem_id = x.problem_id
    JOIN assignments a ON a.id = po.assignment_id
    JOIN owner_roles r ON r.code = a.role AND r.is_primary
    JOIN problems p ON p.id = x.problem_id
    ORDER BY holder_key, x.kind, x.problem_id),
counted AS (
    SELECT o.*,
           count(*) OVER w AS n,
           array_agg(o.problem_id) OVER w AS ids
    FROM owned o
    WINDOW w AS (PARTITION BY holder_key ORDER BY at
                 RANGE BETWEEN INTERVAL '{days} days' PRECEDING AND CURRENT ROW))
INSERT INTO escalations (person_id, unit_id, holder_key, level, exposure_no, kind, problem_id, exposed_at,
                         region_code, window_problem_ids)
SELECT c.person_id, c.unit_id, c.holder_key,
       (SELECT max(level) FROM escalation_levels WHERE exposures <= c.n), c.n, c.kind, c.problem_id, c.at,
       c.region_code, c.ids
FROM counted c
ON CONFLICT (holder_key, kind, problem_id) DO NOTHING
RETURNING id
"""


def run(session: Session, *, as_of: datetime | None = None, actor: str = "system") -> int:
    """Record every exposure up to `as_of` (default now) with the level it reaches; returns how many are new."""
    as_of = as_of or session.execute(text("SELECT now()")).scalar_one()
    days = session.execute(text("SELECT value FROM escalation_settings WHERE key = 'window_days'")).scalar_one()
    # A window frame's offset is written into the SQL (as a checked integer), not bound.
    new = len(session.execute(text(_RUN.format(days=int(days))), {"as_of": as_of}).scalars().all())
    record(session, actor, "escalate", "escalations", None, {"as_of": as_of, "new": new})
    return new


def listing(session: Session, *, week: str | None = None, scope: str | None = None, level: int | None = None,
            limit: int = 1000) -> list[dict[str, Any]]:
    """Escalation records, newest first; `week` as ISO week 2026-W47 (Asia/Shanghai)."""
    rows = session.execute(text("""
        SELECT e.id, e.level, l.name AS level_name, e.exposure_no, e.kind, e.problem_id, e.exposed_at,
               to_char(e.exposed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-"W"IW') AS week,
               e.person_id, e.unit_id, coalesce(p.name, u.name) AS holder, e.region_code, e.window_problem_ids
        FROM escalations e JOIN escalation_levels l ON l.level = e.level
        LEFT JOIN people p ON p.id = e.person_id LEFT JOIN units u ON u.id = e.unit_id
        WHERE (CAST(:week AS text) IS NULL
               OR to_char(e.exposed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-"W"IW') = :week)
          AND (CAST(:scope AS text) IS NULL OR e.region_code LIKE :scope || '%')
          AND (CAST(:level AS int) IS NULL OR e.level = :level)
        ORDER BY e.exposed_at DESC, e.id DESC LIMIT :limit"""),
        {"week": week, "scope": scope, "level": level, "limit": limit}).mappings()
    return [{**dict(r), "reason": KIND_NAMES[r["kind"]]} for r in rows]
