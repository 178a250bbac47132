"""Who visits which sampled point: inspectors' accounts (role `inspector`, active, whose region — if they have one —
holds the point), handed out balanced by 街道 (each 街道 kept with one inspector as far as the loads allow), then
edited point by point or 街道 by 街道. Assignments may change until the round closes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from math import ceil
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.sql import load
from layers.access.caller import Caller
from layers.campaign import rounds
from layers.common.audit import record

INSPECTOR_ROLE = "inspector"


def _covers(region: str | None, code: str | None) -> bool:
    return region is None or (code or "").startswith(region)


def inspectors(session: Session, caller: Caller, round_id: int) -> list[dict[str, Any]]:
    """The accounts that may be given points of the round: active inspectors whose region (if any) meets its
    scope, with how many of its points each holds and has visited (by display name: a login may be a phone
    number, which only people managers read)."""
    r = rounds.get(session, caller, round_id)
    rows = session.execute(text("""
        SELECT u.id, u.display_name, u.region_code,
               count(rp.point_id) AS assigned, count(v.visit_id) AS visited
        FROM users u
        LEFT JOIN assessment_round_points rp ON rp.round_id = :r AND rp.assignee_user_id = u.id
        LEFT JOIN assessment_round_visits v ON v.round_id = rp.round_id AND v.point_id = rp.point_id
        WHERE u.active AND u.role = :role
          AND (u.region_code IS NULL OR starts_with(u.region_code, :scope) OR starts_with(:scope, u.region_code))
        GROUP BY u.id ORDER BY u.display_name, u.id"""),
        {"r": round_id, "role": INSPECTOR_ROLE, "scope": r["scope_code"] or ""}).mappings()
    return [dict(x) for x in rows]


def points(session: Session, caller: Caller, round_id: int, *, subdistrict: str | None = None,
           point_type: str | None = None, assignee: int | None = None,
           limit: int | None = None) -> list[dict[str, Any]]:
    """The round's sample inside the caller's region; `assignee=0` lists the points nobody holds yet."""
    rounds.get(session, caller, round_id)
    rows = session.execute(text(load(__file__, "round_points")), {
        "round": round_id, "cs": caller.scope or "", "sub": subdistrict, "type": point_type, "assignee": assignee,
        "limit": limit}).mappings()
    return [{**dict(x), "reason_name": rounds.REASONS[x["reason"]]} for x in rows]


def balance(sample: Sequence[dict[str, Any]], people: Sequence[dict[str, Any]]) -> dict[int, int]:
    """point id → inspector id: the largest 街道 first, each to the inspector with the fewest points who may visit
    all of it, up to an even share (ceil(points / inspectors)); what is left of a 街道 goes on to the next one."""
    if not people:
        raise InvalidInput("name at least one inspector", field="inspectors")
    cap = ceil(len(sample) / len(people))
    load_ = {p["id"]: 0 for p in people}
    rank = {p["id"]: i for i, p in enumerate(people)}
    by_sub: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for pt in sample:
        by_sub[pt["subdistrict_code"]].append(pt)
    out: dict[int, int] = {}
    for sub in sorted(by_sub, key=lambda s: (-len(by_sub[s]), s or "")):
        todo = sorted(by_sub[sub], key=lambda p: (p["region_code"] or "", p["point_type"], p["point_id"]))
        whole = [p["id"] for p in people if _covers(p["region_code"], sub)]
        while todo:
            pool = whole or [p["id"] for p in people if _covers(p["region_code"], todo[0]["region_code"])]
            if not pool:
                raise InvalidInput(f"none of the inspectors named may visit {todo[0]['subdistrict_name'] or sub}",
                                   field="inspectors")
            who = min(pool, key=lambda u: (load_[u], rank[u]))
            take = todo[:max(cap - load_[who], 1)] if whole else todo[:1]
            for pt in take:
                out[pt["point_id"]] = who
            load_[who] += len(take)
            todo = todo[len(take):]
    return out


def _eligible(session: Session, caller: Caller, round_id: int, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    known = {p["id"]: p for p in inspectors(session, caller, round_id)}
    for uid in ids:
        if uid not in known:
            raise InvalidInput(f"account {uid} is no active inspector of this round's area", field="inspectors")
    return known


def assign(session: Session, caller: Caller, round_id: int, *, inspectors_: Sequence[int] | None = None,
           points_: Sequence[tuple[int, int | None]] = (), subdistricts: Sequence[tuple[str, int | None]] = ()
           ) -> dict[str, Any]:
    """Hand the sample out: `inspectors_` balances every point among those accounts by 街道; then `subdistricts`
    (街道 code → account, None to take back) and `points_` (point id → account or None) edit it."""
    r = rounds.for_change(session, caller, round_id, ("sampled", "in_progress"), "assigning it")
    sample = points(session, caller, round_id)
    named = [u for u in (inspectors_ or [])] + [u for _, u in points_ if u] + [u for _, u in subdistricts if u]
    people = _eligible(session, caller, round_id, named)
    plan: dict[int, int | None] = {}
    if inspectors_:
        plan.update(balance(sample, [people[u] for u in dict.fromkeys(inspectors_)]))
    by_point = {p["point_id"]: p for p in sample}
    for code, uid in subdistricts:
        mine = [p for p in sample if p["subdistrict_code"] == code]
        if not mine:
            raise InvalidInput(f"no sampled point of the round lies in {code}", field="subdistricts")
        plan.update({p["point_id"]: uid for p in mine})
    for pid, uid in points_:
        if pid not in by_point:
            raise InvalidInput(f"assessment point {pid} is not in the round's sample", field="points")
        plan[pid] = uid
    for pid, uid in plan.items():
        if uid is not None and not _covers(people[uid]["region_code"], by_point[pid]["region_code"]):
            raise InvalidInput(f"{people[uid]['display_name']} may not visit {by_point[pid]['name']} (outside "
                               f"their region {people[uid]['region_code']})", field="points")
    if not plan:
        raise InvalidInput("name inspectors, 街道 or points to assign", field="inspectors")
    session.execute(text("""
        UPDATE assessment_round_points rp SET assignee_user_id = x.uid, assigned_by = :a, assigned_at = now()
        FROM unnest(CAST(:pids AS integer[]), CAST(:uids AS integer[])) AS x(pid, uid)
        WHERE rp.round_id = :r AND rp.point_id = x.pid AND rp.assignee_user_id IS DISTINCT FROM x.uid"""),
        {"r": round_id, "a": caller.actor, "pids": list(plan), "uids": list(plan.values())})
    record(session, caller.actor, "assign", "assessment_rounds", round_id,
           {"points": len(plan), "inspectors": sorted({u for u in plan.values() if u})})
    return {"round_id": r["id"], "changed": len(plan),
            "inspectors": [p for p in inspectors(session, caller, round_id) if p["assigned"]],
            "unassigned": sum(1 for p in points(session, caller, round_id) if p["assignee_user_id"] is None)}


def my_points(session: Session, caller: Caller) -> list[dict[str, Any]]:
    """The field app's round work: the points assigned to the caller's account in rounds in progress."""
    if caller.user_id is None:
        return []
    rows = session.execute(text(load(__file__, "round_my_points")),
                           {"user": caller.user_id, "cs": caller.scope or ""}).mappings()
    return [{**dict(x), "kind_name": rounds.KINDS[x["kind"]]} for x in rows]
