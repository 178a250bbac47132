"""A round's results: score rates per checklist item, point, point type, 社区, 街道 and the whole (score rate =
passed weight / weight of the items scored, at each sampled point's latest visit in the round), the 失分条目, the
coverage of the sample (visited / sampled, by 街道, type and inspector) and the change against the previous closed
round of the same kind and scope. A scoped caller gets the part of the round inside their region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load
from layers.access.caller import Caller
from layers.campaign import rounds
from layers.campaign.rounds import rate

LEVELS = ("city", "subdistrict", "community", "point_type", "point", "item")
PLURAL = {"subdistrict": "subdistricts", "community": "communities", "point_type": "point_types", "point": "points",
          "item": "items"}
LOST_ITEMS_LIMIT = 2000


def rates(session: Session, round_id: int, scope: str | None) -> dict[str, list[dict[str, Any]]]:
    """Every level's rows (round_rates.sql), each with its score rate."""
    out: dict[str, list[dict[str, Any]]] = {level: [] for level in LEVELS}
    for row in session.execute(text(load(__file__, "round_rates")), {"round": round_id, "cs": scope or ""}).mappings():
        if row["total_weight"] is None:  # the grand total of nothing scored yet
            continue
        passed, total = float(row["passed_weight"]), float(row["total_weight"])
        out[row["level"]].append({**dict(row), "passed_weight": passed, "total_weight": total,
                                  "score_rate": rate(passed, total)})
    return out


def _compare(now: dict[str, list[dict[str, Any]]], before: dict[str, list[dict[str, Any]]] | None) -> None:
    """Each row gains the previous round's rate of the same key and the change in percentage points."""
    for level, rows in now.items():
        old = {r["key"]: r["score_rate"] for r in (before or {}).get(level, [])}
        for r in rows:
            r["previous_score_rate"] = old.get(r["key"])
            r["change"] = (round(r["score_rate"] - old[r["key"]], 1)
                           if old.get(r["key"]) is not None and r["score_rate"] is not None else None)


def _pick(rows: list[dict[str, Any]], level: str, *keys: str) -> list[dict[str, Any]]:
    return [{k: r[k] for k in (*keys, "sampled", "visited", "forced", "coverage")} for r in rows if r["level"] == level]


def coverage(session: Session, round_id: int, scope: str | None) -> dict[str, Any]:
    rows = [dict(r) for r in session.execute(text(load(__file__, "round_coverage")),
                                             {"round": round_id, "cs": scope or ""}).mappings()]
    for r in rows:
        r["coverage"] = rate(r["visited"], r["sampled"])
    whole = next((r for r in rows if r["level"] == "round"), {"sampled": 0, "visited": 0, "forced": 0})
    return {"sampled": whole["sampled"], "visited": whole["visited"], "forced": whole["forced"],
            "coverage": rate(whole["visited"], whole["sampled"]),
            "subdistricts": _pick(rows, "subdistrict", "subdistrict_code", "subdistrict_name"),
            "point_types": _pick(rows, "point_type", "point_type"),
            "table": _pick(rows, "subdistrict_type", "subdistrict_code", "subdistrict_name", "point_type"),
            "inspectors": _pick(rows, "inspector", "assignee_user_id", "assignee_name")}


def lost_items(session: Session, round_id: int, scope: str | None,
               limit: int = LOST_ITEMS_LIMIT) -> list[dict[str, Any]]:
    rows = session.execute(text(load(__file__, "round_lost_items")),
                           {"round": round_id, "cs": scope or "", "limit": limit}).mappings()
    return [{**dict(r), "weight": float(r["weight"]), "photo_ids": list(r["photo_ids"])} for r in rows]


def results(session: Session, caller: Caller, round_id: int) -> dict[str, Any]:
    """Everything the round's page and its API answer show about how the round went."""
    r = rounds.get(session, caller, round_id)
    now = rates(session, round_id, caller.scope)
    previous_id = rounds.previous(session, r)
    before = rates(session, previous_id, caller.scope) if previous_id else None
    _compare(now, before)
    previous = None
    if previous_id:
        p = rounds.get(session, caller, previous_id)
        previous = {k: p[k] for k in ("id", "name", "period", "period_label", "state", "sampled", "visited")}
        previous["score_rate"] = before["city"][0]["score_rate"] if before and before["city"] else None
    empty = {"passed_weight": 0.0, "total_weight": 0.0, "score_rate": None, "points": 0, "scored": 0, "failed": 0,
             "previous_score_rate": previous["score_rate"] if previous else None, "change": None}
    lost = lost_items(session, round_id, caller.scope)
    out: dict[str, Any] = {
        "round": {k: r[k] for k in ("id", "name", "kind", "kind_name", "period", "period_label", "state",
                                    "state_name", "scope_code", "scope_name")},
        "city": (now["city"] or [empty])[0],
        **{PLURAL[level]: now[level] for level in LEVELS if level != "city"},
        "lost_items": lost, "lost_items_truncated": len(lost) >= LOST_ITEMS_LIMIT,
        "coverage": coverage(session, round_id, caller.scope),
        "previous": previous,
    }
    return out


def period_summary(session: Session, *, period: str, scope: str | None) -> dict[str, Any] | None:
    """What a 通报 of `period` says about 测评: the newest round of that period the scope sees that has started (its
    name, type, state, score rate in per cent, visited of sampled, and the change against the previous round), with
    the score rate of each 街道 and each point type; None: 本期无测评."""
    caller = Caller(actor="notice", scope=scope)
    started = [r for r in rounds.listing(session, caller, period=period) if r["state"] in ("in_progress", "closed")]
    if not started:
        return None
    r = started[0]
    found = results(session, caller, r["id"])
    city = found["city"]

    def rows(level: str) -> list[dict[str, Any]]:
        return [{"name": x["name"], "points": x["points"], "score_rate": x["score_rate"],
                 "previous_score_rate": x["previous_score_rate"], "change": x["change"]} for x in found[level]]

    return {"name": r["name"], "kind": r["kind_name"], "period": r["period_label"], "state": r["state_name"],
            "score_rate": city["score_rate"], "previous_score_rate": city["previous_score_rate"],
            "change": city["change"], "visited": r["visited"], "points": r["sampled"],
            "subdistricts": rows("subdistricts"), "point_types": rows("point_types")}
