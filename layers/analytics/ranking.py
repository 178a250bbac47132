"""红黑榜: 街道, 社区 or owners ranked on a period's indicators, normalised by what each is responsible for, with
the change against the previous period of the same length. Rows below the minimum sample are shown, not ranked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from gis.errors import InvalidInput
from gis.sql import load
from layers.ledger.ledgers import LEVELS, indicators

# metric → True when higher is better.
METRICS = {"on_time_rate": True, "closure_rate": True, "rework_rate": False, "overdue_rate": False,
           "per_street_km": False, "per_point": False, "escalations": False}
DEFAULT_MIN_SAMPLE = 10
# Fewer ranked rows than this and there are no lists: with four ranked communities, the 3rd and 4th are not 黑榜
# material just for being last.
DEFAULT_MIN_RANKED = 6


def _extras(session: Session, level: str, scope: str, since: datetime, until: datetime) -> dict[str, dict]:
    # What each row answers for (km of street, assessment points) and its escalations: sql/ranking_*_<level>.sql.
    size_sql, esc_sql = load(__file__, f"ranking_size_{level}"), load(__file__, f"ranking_escalations_{level}")
    sizes = {r["key"]: dict(r) for r in session.execute(text(size_sql), {"scope": scope}).mappings()}
    esc = dict(session.execute(text(esc_sql), {"since": since, "until": until, "scope": scope}).all())
    for key, n in esc.items():
        if key in sizes:
            sizes[key]["escalations"] = n
    return sizes


def _rows(session: Session, level: str, scope: str, since: datetime, until: datetime) -> dict[str, dict]:
    extras = _extras(session, level, scope, since, until)
    rows = {}
    quiet = {"dispatched": 0, "due": 0, "closed": 0, "closed_on_time": 0, "reworked": 0, "overdue": 0,
             "evidence_flagged": 0, "closure_rate": None, "on_time_rate": None, "rework_rate": None,
             "overdue_rate": None}
    found = indicators(session, level=level, scope=scope or None, since=since, until=until)
    seen = {r["key"] for r in found}
    # Places and owners with nothing dispatched in the period are listed too (below the sample, not ranked).
    found += [{"key": k, "name": x.get("name"), **quiet} for k, x in extras.items() if k not in seen and x.get("name")]
    for r in found:
        x = extras.get(r["key"], {})
        km = float(x.get("street_km") or 0)
        rows[r["key"]] = {**r, "street_km": round(km, 2), "points": int(x.get("points") or 0),
                          "escalations": int(x.get("escalations") or 0),
                          "per_street_km": round(r["dispatched"] / km, 2) if km else None,
                          "per_point": round(r["dispatched"] / int(x["points"]), 2) if x.get("points") else None}
    return rows


def ranking(session: Session, *, level: str = "subdistrict", period: str | None = None, scope: str | None = None,
            sort: str = "on_time_rate", min_sample: int = DEFAULT_MIN_SAMPLE, board: int = 3,
            min_ranked: int = DEFAULT_MIN_RANKED) -> dict[str, Any]:
    """Rows ranked on `sort`; the top `board` (at most half of the ranked) are the 红榜, the bottom ones the 黑榜,
    once at least `min_ranked` rows rank. A row never sits on both, nor on the 黑榜 with a value as good as a 红榜
    row's (ties at the boundary stay off both)."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}", field="level")
    if sort not in METRICS:
        raise InvalidInput(f"sort must be one of {', '.join(METRICS)}", field="sort")
    today = session.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar_one()
    # None: the last complete month (a ranking of a month four days old would rank almost nothing).
    chosen = periods.parse(period) if period else periods.last_complete("month", today)
    start, end = chosen.bounds()
    prev_start, prev_end = chosen.previous().bounds()
    period = chosen.code
    scope = scope or ""
    now_rows = _rows(session, level, scope, start, end)
    before = _rows(session, level, scope, prev_start, prev_end)
    higher_better = METRICS[sort]

    def order(r: dict) -> tuple:
        v = r[sort]
        return (v is None, -(v or 0) if higher_better else (v or 0), r["key"])

    def ranked(rows: dict[str, dict]) -> list[dict]:
        return sorted((r for r in rows.values() if r["due"] >= min_sample), key=order)

    prev_rank = {r["key"]: i for i, r in enumerate(ranked(before), start=1)}
    out = []
    ranked_now = ranked(now_rows)
    rank_of = {r["key"]: i for i, r in enumerate(ranked_now, start=1)}
    n = len(ranked_now)
    size = min(board, n // 2) if n >= min_ranked else 0
    red = {r["key"] for r in ranked_now[:size]}
    red_values = {r[sort] for r in ranked_now[:size]}
    black = {r["key"] for r in ranked_now[n - size:] if r["key"] not in red and r[sort] not in red_values}
    for r in sorted(now_rows.values(), key=lambda r: (r["key"] not in rank_of, rank_of.get(r["key"], 0), r["key"])):
        p = before.get(r["key"])
        rank = rank_of.get(r["key"])
        row = {**r, "rank": rank, "ranked": rank is not None,
               "board": "red" if r["key"] in red else "black" if r["key"] in black else None,
               "previous": ({k: p[k] for k in ("dispatched", "on_time_rate", "closure_rate", "rework_rate",
                                               "overdue_rate", "per_street_km", "per_point", "escalations")}
                            if p else None),
               "previous_rank": prev_rank.get(r["key"])}
        row["change"] = (round(r[sort] - p[sort], 4) if p and r[sort] is not None and p[sort] is not None
                         else None)
        row["rank_change"] = (prev_rank[r["key"]] - rank if rank and r["key"] in prev_rank else None)
        out.append(row)
    return {"level": level, "period": period, "period_label": chosen.label, "since": start, "until": end,
            "previous_since": prev_start,
            "previous_until": prev_end, "sort": sort, "higher_is_better": higher_better, "min_sample": min_sample,
            "ranked": n, "min_ranked": min_ranked, "boards_shown": size > 0, "rows": out}
