"""测评 rounds: a 模拟测评, 暗访 or 双月测评 of the points of a scope in a period, and its states.

draft (created with its quotas) → sampled (sampling.py drew its points) → in_progress (the inspectors' visits count
for it) → closed (its results stand). Who sees a round: a caller whose region holds the round's scope or lies
inside it (a 街道's staff sees the city's round, and in it only the points of their 街道). Who runs one: `run_rounds`
(the 创城办 and district offices), for a scope inside their own region; a city-wide round only city-wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.sql import load
from layers.access.caller import Caller
from layers.common.audit import record

# The kinds of round: each is also the source its failed items are filed under (problem_sources).
KINDS = {"mock_assessment": "模拟测评", "mystery": "暗访", "bimonthly": "双月测评"}
STATES = {"draft": "草稿", "sampled": "已抽样", "in_progress": "测评中", "closed": "已结束"}
REASONS = {"quota": "随机抽取", "weak": "易失分/易反弹点位", "failed_previous": "上轮失分点位", "listed": "指定点位"}
MAX_QUOTA = 100_000
MAX_INCLUDES = 2_000


@dataclass(frozen=True)
class Quota:
    """Per point type: `count` points, or a `share` (0–1] of them (rounded, at least one when there is one)."""

    point_type: str
    count: int | None = None
    share: float | None = None


def rate(passed: Any, total: Any) -> float | None:
    """A score rate in per cent (one decimal): passed weight over the weight of the items visited."""
    return round(100 * float(passed) / float(total), 1) if total else None


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["passed_weight"], out["total_weight"] = float(out["passed_weight"]), float(out["total_weight"])
    period = periods.parse(out["period"])
    out.update(kind_name=KINDS[out["kind"]], state_name=STATES[out["state"]], period_label=period.label,
               period_end=out["period_end"] - timedelta(days=1),
               scope_name=out["scope_name"] or ("全市" if out["scope_code"] is None else out["scope_code"]),
               score_rate=rate(out["passed_weight"], out["total_weight"]))
    return out


def listing(session: Session, caller: Caller, *, state: str | None = None, kind: str | None = None,
            period: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The rounds the caller sees, newest period first; `period` is a code (2026-B6)."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}", field="state")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    code = periods.parse(period).code if period else None
    rows = session.execute(text(load(__file__, "round_list")), {
        "id": None, "cs": caller.scope or "", "state": state, "kind": kind, "period": code, "limit": limit,
    }).mappings()
    return [_shape(r) for r in rows]


def get(session: Session, caller: Caller, round_id: int, *, field: str = "round_id") -> dict[str, Any]:
    """One round the caller sees (NotFound otherwise, as for one that does not exist), with quotas and includes."""
    row = session.execute(text(load(__file__, "round_list")), {
        "id": round_id, "cs": caller.scope or "", "state": None, "kind": None, "period": None, "limit": 1,
    }).mappings().one_or_none()
    if row is None:
        raise NotFound(f"round {round_id} not found", field=field)
    out = _shape(row)
    out["quotas"] = [dict(q) for q in session.execute(text(
        "SELECT point_type, count, share::float AS share FROM assessment_round_quotas WHERE round_id = :r "
        "ORDER BY point_type"), {"r": round_id}).mappings()]
    out["always_include"] = list(session.execute(text(
        "SELECT point_id FROM assessment_round_includes WHERE round_id = :r ORDER BY point_id"),
        {"r": round_id}).scalars())
    return out


def may_run(caller: Caller, scope: str | None) -> bool:
    """A round's scope must lie inside the caller's region (a city-wide round: city-wide callers only)."""
    return caller.scope is None or (scope is not None and scope.startswith(caller.scope))


def for_change(session: Session, caller: Caller, round_id: int, states: Sequence[str], doing: str) -> dict[str, Any]:
    """The round, locked for this transaction, when the caller may run it and it is in one of `states`."""
    session.execute(text("SELECT 1 FROM assessment_rounds WHERE id = :r FOR UPDATE"), {"r": round_id})
    r = get(session, caller, round_id)
    if not may_run(caller, r["scope_code"]):
        raise Forbidden(f"round {round_id} covers {r['scope_name']}, beyond your region {caller.scope}",
                        field="round_id")
    if r["state"] not in states:
        allowed = "、".join(STATES[s] for s in states)
        raise Conflict(f"round {round_id} is {r['state']} ({r['state_name']}); {doing} needs it {allowed}",
                       field="round_id")
    return r


def _check_scope(session: Session, caller: Caller, scope: str | None) -> tuple[str | None, str]:
    scope = scope or caller.scope
    if not may_run(caller, scope):
        raise Forbidden(f"a round of {scope or 'the whole city'} lies beyond your region {caller.scope}",
                        field="scope")
    if scope is None:
        return None, "全市"
    name = session.execute(text("SELECT name FROM regions WHERE code = :c"), {"c": scope}).scalar_one_or_none()
    if name is None:
        raise InvalidInput(f"scope {scope!r} is no region code", field="scope")
    return scope, name


def _check_quotas(session: Session, quotas: Sequence[Quota]) -> None:
    if not quotas:
        raise InvalidInput("a round needs a quota for at least one point type", field="quotas")
    names = [q.point_type for q in quotas]
    if len(set(names)) < len(names):
        raise InvalidInput("each point type may have one quota", field="quotas")
    known = {r.name: r for r in session.execute(text(
        "SELECT t.name, t.active, EXISTS (SELECT 1 FROM checklist_items c WHERE c.point_type = t.name AND c.active) "
        "AS has_checklist FROM point_types t WHERE t.name = ANY(:n)"), {"n": names})}
    for q in quotas:
        t = known.get(q.point_type)
        if t is None or not t.active:
            raise InvalidInput(f"point type {q.point_type!r} is unknown or retired", field="quotas")
        if not t.has_checklist:
            raise InvalidInput(f"point type {q.point_type!r} has no checklist: its points cannot be scored",
                               field="quotas")
        if (q.count is None) == (q.share is None):
            raise InvalidInput(f"{q.point_type}: give a count or a share, not both", field="quotas")
        if q.count is not None and not 0 <= q.count <= MAX_QUOTA:
            raise InvalidInput(f"{q.point_type}: count must be 0–{MAX_QUOTA}", field="quotas")
        if q.share is not None and not 0 < q.share <= 1:
            raise InvalidInput(f"{q.point_type}: share must be more than 0 and at most 1", field="quotas")


def _check_includes(session: Session, caller: Caller, scope: str | None, points: Sequence[int]) -> list[int]:
    wanted = sorted(set(points))
    if len(wanted) > MAX_INCLUDES:
        raise InvalidInput(f"at most {MAX_INCLUDES} points may be named", field="always_include")
    found = {r.id: r for r in session.execute(text(
        "SELECT a.id, a.region_code, EXISTS (SELECT 1 FROM checklist_items c WHERE c.point_type = a.point_type "
        "AND c.active) AS has_checklist FROM assessment_points a WHERE a.id = ANY(:p)"), {"p": wanted})}
    for pid in wanted:
        p = found.get(pid)
        if p is None or not caller.covers(p.region_code) or not (p.region_code or "").startswith(scope or ""):
            raise InvalidInput(f"assessment point {pid} is not in the round's scope", field="always_include")
        if not p.has_checklist:
            raise InvalidInput(f"assessment point {pid} has no checklist for its type", field="always_include")
    return wanted


def create(session: Session, caller: Caller, *, name: str, kind: str, period: str, scope: str | None,
           quotas: Sequence[Quota], include_weak: bool = True, include_failed_previous: bool = True,
           always_include: Sequence[int] = (), seed: int | None = None, note: str | None = None) -> dict[str, Any]:
    """A draft round with its quotas; sampling.sample draws its points."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("a round needs a name of at most 200 characters", field="name")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)} ({'、'.join(KINDS.values())})", field="kind")
    p = periods.parse(period, field="period")
    scope, _ = _check_scope(session, caller, scope)
    _check_quotas(session, quotas)
    includes = _check_includes(session, caller, scope, always_include)
    if seed is not None and not 0 <= seed < 2**63:
        raise InvalidInput("seed must be a whole number from 0 to 2^63 - 1", field="seed")
    rid = session.execute(text(
        "INSERT INTO assessment_rounds (name, kind, period, period_start, period_end, scope_code, seed, include_weak, "
        "include_failed_previous, note, created_by) VALUES (:n, :k, :p, :ps, :pe, :sc, :seed, :w, :f, :note, :a) "
        "RETURNING id"), {"n": name, "k": kind, "p": p.code, "ps": p.start, "pe": p.end, "sc": scope, "seed": seed,
                          "w": include_weak, "f": include_failed_previous, "note": note or None,
                          "a": caller.actor}).scalar_one()
    for q in quotas:
        session.execute(text("INSERT INTO assessment_round_quotas (round_id, point_type, count, share) "
                             "VALUES (:r, :t, :c, :s)"), {"r": rid, "t": q.point_type, "c": q.count, "s": q.share})
    if includes:
        session.execute(text("INSERT INTO assessment_round_includes (round_id, point_id) SELECT :r, unnest(:p)"),
                        {"r": rid, "p": includes})
    record(session, caller.actor, "create", "assessment_rounds", rid, {
        "name": name, "kind": kind, "period": p.code, "scope": scope, "seed": seed,
        "quotas": [q.__dict__ for q in quotas], "always_include": includes})
    return get(session, caller, rid)


def start(session: Session, caller: Caller, round_id: int) -> dict[str, Any]:
    """sampled → in_progress: from now on the visits that name the round count for it."""
    r = for_change(session, caller, round_id, ("sampled",), "starting it")
    if not r["sampled"]:
        raise Conflict(f"round {round_id} has no points in its sample", field="round_id")
    session.execute(text("UPDATE assessment_rounds SET state = 'in_progress', started_at = now() WHERE id = :r"),
                    {"r": round_id})
    record(session, caller.actor, "start", "assessment_rounds", round_id, {"sampled": r["sampled"]})
    return get(session, caller, round_id)


def close(session: Session, caller: Caller, round_id: int) -> dict[str, Any]:
    """in_progress → closed: its results stand (a visit naming it is refused from now on)."""
    r = for_change(session, caller, round_id, ("in_progress",), "closing it")
    session.execute(text("UPDATE assessment_rounds SET state = 'closed', closed_at = now() WHERE id = :r"),
                    {"r": round_id})
    record(session, caller.actor, "close", "assessment_rounds", round_id,
           {"sampled": r["sampled"], "visited": r["visited"], "score_rate": r["score_rate"]})
    return get(session, caller, round_id)


def delete(session: Session, caller: Caller, round_id: int) -> None:
    """A round not yet started goes whole (its sample with it); one that was visited is history and stays."""
    r = for_change(session, caller, round_id, ("draft", "sampled"), "deleting it")
    session.execute(text("DELETE FROM assessment_rounds WHERE id = :r"), {"r": round_id})
    record(session, caller.actor, "delete", "assessment_rounds", round_id, {"name": r["name"], "period": r["period"]})


def previous(session: Session, r: dict[str, Any]) -> int | None:
    """The closed round of the same kind and scope before this one (by period, then by id)."""
    return session.execute(text(
        "SELECT id FROM assessment_rounds WHERE kind = :k AND scope_code IS NOT DISTINCT FROM :s "
        "AND state = 'closed' AND (period_start, id) < (:ps, :id) ORDER BY period_start DESC, id DESC LIMIT 1"),
        {"k": r["kind"], "s": r["scope_code"], "ps": r["period_start"], "id": r["id"]}).scalar_one_or_none()


def current_round_summary(session: Session, scope: str | None) -> dict[str, Any] | None:
    """For the dashboard: the newest round in progress the region sees, else the last closed one; its name,
    period and score rate, and how many of its sampled points (inside `scope`) were visited."""
    caller = Caller(actor="dashboard", scope=scope)
    for state in ("in_progress", "closed"):
        rows = listing(session, caller, state=state, limit=1)
        if rows:
            r = rows[0]
            return {"id": r["id"], "name": r["name"], "kind": r["kind"], "kind_name": r["kind_name"],
                    "state": r["state"], "period": r["period"], "period_label": r["period_label"],
                    "score_rate": r["score_rate"], "visited": r["visited"], "sampled": r["sampled"]}
    return None


def form_choices(session: Session, caller: Caller) -> dict[str, Any]:
    """What the create form offers: the scopes the caller may run (the whole city for a city-wide caller, districts
    and 街道 inside their region) and the point types that have a checklist, with their points in the region."""
    scopes = [(r.code, r.name) for r in session.execute(text(
        "SELECT code, repeat('　', (length(code) - 6) / 3) || name AS name FROM regions "
        "WHERE level IN ('district', 'subdistrict') AND starts_with(code, :cs) ORDER BY code"),
        {"cs": caller.scope or ""})]
    if caller.scope is None:
        scopes.insert(0, ("", "全市"))
    types = [dict(r) for r in session.execute(text("""
        SELECT t.name AS point_type, count(a.id) AS points FROM point_types t
        LEFT JOIN assessment_points a ON a.point_type = t.name AND starts_with(coalesce(a.region_code, ''), :cs)
        WHERE t.active AND EXISTS (SELECT 1 FROM checklist_items c WHERE c.point_type = t.name AND c.active)
        GROUP BY t.name, t.sort ORDER BY count(a.id) = 0, t.sort, t.name"""), {"cs": caller.scope or ""}).mappings()]
    return {"scopes": scopes, "point_types": types, "kinds": KINDS}
