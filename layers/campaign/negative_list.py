"""负面清单 (the seeds' 负面清单制度): per period, the people and units that reached 约谈 or 问责 on the escalation
ladder, and those on the 黑榜 of two published 通报 in a row (this period's and the one before, of the same kind and
scope), each with its reasons. Read from the escalation records and from the notices' frozen snapshots — a 黑榜
counts as it was published, not as the ranking would say today. Exportable as Excel.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from gis.sql import load
from layers.access.caller import Caller
from layers.common.excel import workbook

KIND_NAMES = {"person": "个人", "unit": "单位", "subdistrict": "街道", "community": "社区"}
RANKS = {"accountability": 0, "talk": 1, "black_list": 2}
HEADER = ["期", "对象类别", "名称", "所在街道", "列入原因", "依据"]
WIDTHS = [16, 10, 24, 18, 48, 40]


def _kind(key: str, level: str | None = None) -> str:
    if key.startswith("person:"):
        return "person"
    if key.startswith("unit:"):
        return "unit"
    return level or ("community" if len(key) >= 12 else "subdistrict")


def _black_twice(session: Session, chosen: periods.Period, scope: str | None) -> dict[str, dict[str, Any]]:
    """Keys on the 黑榜 of both this period's 通报 and the previous one's (same scope, same board level)."""
    before = chosen.previous()
    rows = session.execute(text(load(__file__, "negative_list_notices")),
                           {"periods": [chosen.code, before.code], "scope": scope}).mappings().all()
    lists: dict[tuple[str | None, str, str], dict[str, dict]] = {}
    for r in rows:
        lists.setdefault((r["scope"], r["level"], r["period"]), {})[r["key"]] = dict(r)
    out: dict[str, dict[str, Any]] = {}
    for (where, level, period), now in lists.items():
        if period != chosen.code:
            continue
        earlier = lists.get((where, level, before.code), {})
        for key, row in now.items():
            if key not in earlier:
                continue
            entry = out.setdefault(key, {"key": key, "kind": _kind(key, level), "name": row["name"], "reasons": [],
                                         "basis": [], "rank": RANKS["black_list"], "problem_ids": []})
            entry["reasons"].append(f"连续两期上{row['level_name']}黑榜（{before.label}、{chosen.label}）")
            entry["basis"] += [earlier[key]["number"], row["number"]]
    return out


def listing(session: Session, *, caller: Caller, period: str | None = None, today: date | None = None
            ) -> dict[str, Any]:
    """{period, rows}: each row key, kind, kind_name, name, subdistrict, reasons, basis (problem numbers and
    notice numbers), the gravest first (问责, 约谈, then 黑榜)."""
    if period:
        chosen = periods.parse(period)
    else:
        today = today or session.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar_one()
        chosen = periods.last_complete("month", today)
    since, until = chosen.bounds()
    rows: dict[str, dict[str, Any]] = {}
    for r in session.execute(text(load(__file__, "negative_list_escalations")),
                             {"since": since, "until": until, "scope": caller.scope or ""}).mappings():
        head = f"（{'、'.join(r['head_of'])}一把手）" if r["head_of"] else ""
        problems = sorted(r["problem_ids"])
        rows[r["key"]] = {
            "key": r["key"], "kind": r["party"], "name": r["name"], "rank": RANKS.get(r["level_code"], 1),
            "reasons": [f"{r['level_name']}{head}：本期{r['records']}起，{'、'.join(r['kinds'])}"],
            "basis": [f"问题{p}" for p in problems[:20]] + ([f"等{len(problems)}件"] if len(problems) > 20 else []),
            "problem_ids": problems}
    escalated = set(rows)  # already inside the caller's region by their records' places
    for key, entry in _black_twice(session, chosen, caller.scope).items():
        if key in rows:
            rows[key]["reasons"] += entry["reasons"]
            rows[key]["basis"] += entry["basis"]
        else:
            rows[key] = entry
    places = {r.key: r for r in session.execute(text(load(__file__, "negative_list_places")),
                                                 {"keys": list(rows)})} if rows else {}
    out = []
    for key, row in rows.items():
        place = places.get(key)
        if caller.scope and key not in escalated and not (place and (place.region_code or "").startswith(caller.scope)):
            continue  # a city-wide 通报's 黑榜 row of another region
        out.append({**row, "kind_name": KIND_NAMES[row["kind"]],
                    "subdistrict": place.subdistrict if place else None})
    out.sort(key=lambda r: (r["rank"], r["kind"] != "person", r["name"] or "", r["key"]))
    return {"period": chosen.as_dict(), "rows": out}


def xlsx(result: dict[str, Any]) -> bytes:
    label = result["period"]["label"]
    rows = [[label, r["kind_name"], r["name"], r["subdistrict"] or "", "；".join(r["reasons"]), "、".join(r["basis"])]
            for r in result["rows"]]
    return workbook(f"负面清单 {result['period']['code']}", HEADER, rows, WIDTHS)
