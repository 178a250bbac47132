"""The 测评 pages' data: /maps/rounds (the rounds and the create form), /maps/rounds/{id} (the sample by 街道 and
type, the assignment, progress and results) and the field app's /m/rounds (an inspector's round points). Reads go
through layers/campaign; the pages' writes go through the JSON API (/api/v1/rounds…)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from gis import periods
from gis.times import CITY_TZ
from layers.access.caller import Caller
from layers.campaign import round_assign, round_results, round_weak, rounds, sampling

PERIOD_KINDS = ("bimonth", "month", "quarter")


def period_choices(today: date) -> tuple[str, list[tuple[str, str]]]:
    """The default (this 双月) and the periods offered: this and the next of each kind, and the last complete."""
    out: list[tuple[str, str]] = []
    for kind in PERIOD_KINDS:
        now = periods.containing(kind, today)
        for p in (now, now.next(), now.previous()):
            if (p.code, p.label) not in out:
                out.append((p.code, p.label))
    return periods.containing("bimonth", today).code, out


def list_context(session: Session, caller: Caller, *, can_run: bool, state: str | None = None,
                 today: date | None = None) -> dict[str, Any]:
    today = today or datetime.now(CITY_TZ).date()
    default, choices = period_choices(today)
    ctx: dict[str, Any] = {"rounds": rounds.listing(session, caller, state=state), "states": rounds.STATES,
                           "kinds": rounds.KINDS, "state": state or "", "can_run": can_run}
    if can_run:
        ctx.update(form=rounds.form_choices(session, caller), period_default=default, period_choices=choices,
                   weak=round_weak.listing(session, caller))
    return ctx


def _matrix(table: list[dict[str, Any]]) -> dict[str, Any]:
    """The sample as a 街道 × point type table of (visited, sampled) cells."""
    subs: dict[str | None, str] = {}
    types: list[str] = []
    cells: dict[tuple[str | None, str], dict[str, Any]] = {}
    for row in table:
        subs.setdefault(row["subdistrict_code"], row["subdistrict_name"] or row["subdistrict_code"] or "—")
        if row["point_type"] not in types:
            types.append(row["point_type"])
        cells[(row["subdistrict_code"], row["point_type"])] = row
    return {"subdistricts": list(subs.items()), "types": sorted(types), "cells": cells}


def detail_context(session: Session, caller: Caller, round_id: int, *, can_run: bool) -> dict[str, Any]:
    r = rounds.get(session, caller, round_id)
    runs = can_run and rounds.may_run(caller, r["scope_code"])
    results = round_results.results(session, caller, round_id)
    ctx: dict[str, Any] = {
        "round": r, "results": results, "runs": runs, "matrix": _matrix(results["coverage"]["table"]),
        "quotas": sampling.quota_table(session, r), "points": round_assign.points(session, caller, round_id),
        "reasons": rounds.REASONS,
    }
    ctx["inspectors"] = round_assign.inspectors(session, caller, round_id) if runs else []
    by_sub: dict[str | None, dict[str, Any]] = {}
    for p in ctx["points"]:
        s = by_sub.setdefault(p["subdistrict_code"], {"code": p["subdistrict_code"], "name": p["subdistrict_name"],
                                                      "points": 0, "assignees": set()})
        s["points"] += 1
        s["assignees"].add(p["assignee_name"] or "未分配")
    ctx["assign_by_sub"] = [{**s, "assignees": "、".join(sorted(s["assignees"]))} for s in by_sub.values()]
    return ctx


def field_context(session: Session, caller: Caller) -> dict[str, Any]:
    """The inspector's rounds in progress, each with its points (not yet visited first)."""
    groups: dict[int, dict[str, Any]] = {}
    for p in round_assign.my_points(session, caller):
        g = groups.setdefault(p["round_id"], {"id": p["round_id"], "name": p["round_name"], "kind_name": p["kind_name"],
                                             "period": periods.parse(p["period"]).label, "points": [], "done": 0})
        g["points"].append(p)
        g["done"] += p["visited_at"] is not None
    return {"groups": list(groups.values())}
