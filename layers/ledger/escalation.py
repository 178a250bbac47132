"""The escalation ladder: a responsible party exposed once is 通报, twice 约谈, three times 问责 (the seeds' ladder).

An exposure is one event per responsible party per problem — the person who is the primary owner of its most
specific place, and the 主办 department (else the place's 责任单位) — of a kind that counts (`exposure_kinds`:
超期, 核查不通过, 暗访/模拟测评发现, 媒体曝光, 领导交办未落实). The ladder counts exposures in a rolling window or in
consecutive periods (`escalation_settings`), per party kind (`escalation_levels`: people and units); a unit at
约谈 or above takes its head along. Each escalation is a record the office works through: 通报 issued, 约谈
scheduled and held with minutes, 问责 decided. Running it again adds only what is new (sql/escalation_run.sql).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from gis.errors import InvalidInput, NotFound
from gis.sql import load
from layers.common.audit import record

MODES = ("window", "periods")
PERIODS = ("week", "month", "quarter")
STATE_NAMES = {"pending": "待处理", "notified": "已通报", "scheduled": "已安排约谈", "held": "已约谈",
               "decided": "已问责", "waived": "免于处理"}

# What the office does with a record of each level (the level's code), from which state, to which, and what it must
# write down: 通报 is issued; a 约谈 is scheduled (date, place, attendees), then held (minutes); a 问责 is decided.
# Any pending record can be waived with a reason (a wrong routing found later).
ACTIONS: dict[str, tuple[set[str], tuple[str, ...], str, tuple[str, ...]]] = {
    # action: (level codes, from states, to state, required fields)
    "notify": ({"notice"}, ("pending",), "notified", ()),
    "schedule": ({"talk"}, ("pending", "scheduled"), "scheduled", ("scheduled_at", "venue", "attendees")),
    "hold": ({"talk"}, ("scheduled",), "held", ("minutes",)),
    "decide": ({"accountability"}, ("pending",), "decided", ("decision",)),
    "waive": ({"notice", "talk", "accountability"}, ("pending", "scheduled"), "waived", ("decision",)),
}


def settings(session: Session) -> dict[str, Any]:
    """The counting settings, checked: an admin edits them as text."""
    raw = dict(session.execute(text("SELECT key, value FROM escalation_settings")).all())
    mode, unit_mode = raw.get("count_mode", "window"), raw.get("unit_count_mode", "periods")
    period = raw.get("period", "month")
    for key, value in (("count_mode", mode), ("unit_count_mode", unit_mode)):
        if value not in MODES:
            raise InvalidInput(f"escalation {key} must be one of {', '.join(MODES)}", field=key)
    if period not in PERIODS:
        raise InvalidInput(f"escalation period must be one of {', '.join(PERIODS)}", field="period")
    try:
        days = int(raw.get("window_days", "90"))
    except ValueError:
        raise InvalidInput("escalation window_days must be a whole number of days", field="window_days") from None
    if not 1 <= days <= 3660:
        raise InvalidInput("escalation window_days must be between 1 and 3660", field="window_days")
    return {"mode": mode, "unit_mode": unit_mode, "period": period, "days": days}


def run(session: Session, *, as_of: datetime | None = None, actor: str = "system") -> int:
    """Record every exposure up to `as_of` (default now) with the level it reaches; returns how many are new
    (the heads' records included)."""
    as_of = as_of or session.execute(text("SELECT now()")).scalar_one()
    # One run at a time: two would count the same exposures and race on the same keys.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('ccgrid.escalation'))"))
    cfg = settings(session)
    new = len(session.execute(text(load(__file__, "escalation_run")), {"as_of": as_of, **cfg}).scalars().all())
    new += len(session.execute(text(load(__file__, "escalation_heads"))).scalars().all())
    record(session, actor, "escalate", "escalations", None, {"as_of": as_of, "new": new, **cfg})
    return new


def listing(session: Session, *, week: str | None = None, scope: str | None = None, level: int | None = None,
            party: str | None = None, state: str | None = None, department: int | None = None,
            limit: int = 1000, escalation_id: int | None = None, period: str | None = None) -> list[dict[str, Any]]:
    """Escalation records, newest first; `week` as ISO week 2026-W47 (Asia/Shanghai), `period` any period code
    (2026-W47, 2026-11, 2026-B6, 2026-Q4, 2026) by when the exposure happened."""
    since, until = periods.parse(period).bounds() if period else (None, None)
    rows = session.execute(text(load(__file__, "escalation_listing")),
                           {"week": week, "scope": scope, "level": level, "party": party, "state": state,
                            "department": department, "limit": limit, "id": escalation_id, "since": since,
                            "until": until}).mappings()
    return [{**dict(r), "state_name": STATE_NAMES[r["state"]]} for r in rows]


def get(session: Session, escalation_id: int, *, scope: str | None = None) -> dict[str, Any]:
    rows = listing(session, scope=scope, escalation_id=escalation_id, limit=1)
    if not rows:
        raise NotFound(f"escalation {escalation_id} not found", field="id")
    return rows[0]


def act(session: Session, escalation_id: int, action: str, *, actor: str, scope: str | None = None,
        **fields: Any) -> dict[str, Any]:
    """Move one record on: `action` is one of ACTIONS, with the fields it needs (scheduled_at, venue, attendees,
    minutes, decision). Audited."""
    if action not in ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(ACTIONS)}", field="action")
    levels, sources, target, required = ACTIONS[action]
    row = get(session, escalation_id, scope=scope)
    if row["level_code"] not in levels:
        raise InvalidInput(f"a {row['level_name']} record cannot be {action}d; "
                           f"its actions are {', '.join(a for a, v in ACTIONS.items() if row['level_code'] in v[0])}",
                           field="action")
    if row["state"] not in sources:
        raise InvalidInput(f"the record is {STATE_NAMES[row['state']]}; {action} needs it "
                           f"{' or '.join(STATE_NAMES[s] for s in sources)}", field="action")
    values = {k: v for k, v in fields.items() if v is not None and v != ""}
    for name in required:
        if name not in values:
            raise InvalidInput(f"{action} needs {name}", field=name)
    if action == "hold" and row["scheduled_at"] is not None:
        now = session.execute(text("SELECT now()")).scalar_one()
        if row["scheduled_at"] > now:  # minutes of a talk not held yet
            raise InvalidInput(f"the talk is scheduled for {row['scheduled_at']:%Y-%m-%d %H:%M}; record its minutes "
                               "once it has been held (约谈尚未举行)", field="minutes")
    for name in ("venue", "attendees", "minutes", "decision"):
        if name in values and len(str(values[name])) > 4000:
            raise InvalidInput(f"{name} is longer than 4000 characters", field=name)
    session.execute(text("""
        UPDATE escalations SET state = :state, updated_by = :actor, updated_at = now(),
               scheduled_at = coalesce(CAST(:scheduled_at AS timestamptz), scheduled_at),
               venue = coalesce(:venue, venue), attendees = coalesce(:attendees, attendees),
               minutes = coalesce(:minutes, minutes), decision = coalesce(:decision, decision),
               decided_at = CASE WHEN :state IN ('decided', 'waived') THEN now() ELSE decided_at END
        WHERE id = :id"""), {"state": target, "actor": actor, "id": escalation_id,
                             **{k: values.get(k) for k in ("scheduled_at", "venue", "attendees", "minutes",
                                                          "decision")}})
    record(session, actor, f"escalation_{action}", "escalations", str(escalation_id),
           {"from": row["state"], "to": target, **{k: str(v) for k, v in values.items()}})
    return get(session, escalation_id, scope=scope)
