"""What a 通报 says, taken at publishing time as plain JSON (layers/campaign/notice_service.py stores it): the period's
numbers, the 红黑榜 of each level (layers/analytics/ranking.py: never a row on both, no lists below min_ranked),
the 红旗/黄旗 its rules award (notice_flags.py), the 曝光台 (problems the escalation ladder recorded as exposed in
the period, with their photos), the overdue list, the escalations the office acted on, and the period's 测评 results
(layers/campaign/round_results.py).

Everything is turned into JSON values here (times as ISO text in the city's zone, rates as fractions), so the
document rendered from it later (maps/notice_docx.py, the printable page) depends on nothing but the snapshot.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from gis.errors import InvalidInput, NotFound
from gis.sql import load
from gis.times import CITY_TZ
from layers.access.caller import Caller
from layers.analytics import ranking as ranking_svc
from layers.campaign import notice_flags, round_results
from layers.ledger import photos as photo_svc
from layers.ledger.filters import flag_params

LEVEL_NAMES = {"subdistrict": "街道", "community": "社区", "department": "职能部门", "owner": "责任人"}
LEVELS = tuple(LEVEL_NAMES)
METRIC_NAMES = {"on_time_rate": "按期结案率", "closure_rate": "结案率", "rework_rate": "返工率",
                "overdue_rate": "超期率", "per_street_km": "每公里问题数", "per_point": "每点位问题数",
                "escalations": "升级次数"}
ROW_FIELDS = ("key", "name", "rank", "board", "ranked", "dispatched", "due", "closed", "closed_on_time",
              "on_time_rate", "closure_rate", "rework_rate", "overdue_rate", "escalations", "accountability",
              "change", "rank_change", "previous_rank")
TABLE_ROWS = 50  # ranked rows kept per level besides those on a list or flagged (a city has thousands of owners)
EXPOSURES = 30  # exposed problems shown, with up to two photos each (all are counted)
OVERDUE = 50
ESCALATIONS = 100


def plain(value: Any) -> Any:
    """A JSON value: times in the city's zone as ISO text, dates as ISO dates, decimals as numbers."""
    if isinstance(value, datetime):
        return value.astimezone(CITY_TZ).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


def region_name(session: Session, code: str | None) -> str:
    if not code:
        return "全市"
    name = session.execute(text("SELECT name FROM regions WHERE code = :c"), {"c": code}).scalar()
    if name is None:
        raise NotFound(f"no region {code}", field="scope")
    return name


def levels_for(scope: str | None) -> tuple[str, ...]:
    """The boards a 通报 of this scope shows by default: a 街道's 通报 ranks its 社区, owners and departments."""
    if scope and len(scope) >= 9:
        return ("community", "department", "owner")
    return LEVELS


def _accountability(session: Session, p: dict[str, Any]) -> dict[str, dict[str, int]]:
    """问责 records of the period per level and key."""
    out: dict[str, dict[str, int]] = {level: {} for level in LEVELS}
    for r in session.execute(text(load(__file__, "notice_accountability")), p):
        keys = {"subdistrict": (r.region_code or "")[:9], "community": (r.region_code or "")[:12],
                "owner": r.party_key, "department": r.party_key}
        for level, key in keys.items():
            out[level][key] = out[level].get(key, 0) + 1
    return out


def _boards(session: Session, chosen: periods.Period, scope: str | None, levels: tuple[str, ...], *,
            sort: str, min_sample: int, min_ranked: int, accountability: dict[str, dict[str, int]]) -> list[dict]:
    boards = []
    for level in levels:
        r = ranking_svc.ranking(session, level=level, period=chosen.code, scope=scope, sort=sort,
                                min_sample=min_sample, min_ranked=min_ranked)
        rows = [{**{k: row.get(k) for k in ROW_FIELDS},
                 "accountability": accountability[level].get(row["key"], 0)} for row in r["rows"]]
        boards.append({"level": level, "level_name": LEVEL_NAMES[level], "sort": sort,
                       "sort_name": METRIC_NAMES[sort], "higher_is_better": r["higher_is_better"],
                       "min_sample": min_sample, "min_ranked": min_ranked, "ranked": r["ranked"],
                       "listed": len(rows), "boards_shown": r["boards_shown"], "rows": rows})
    return boards


def _trim(boards: list[dict], flags: list[dict]) -> None:
    """Keep the ranked rows a document can print: the first TABLE_ROWS, and every one on a list or flagged."""
    flagged = {(f["level"], f["key"]) for f in flags}
    for b in boards:
        keep = [r for r in b["rows"] if r["ranked"] and (r["rank"] <= TABLE_ROWS or r["board"]
                                                        or (b["level"], r["key"]) in flagged)]
        b["unranked"] = sum(1 for r in b["rows"] if not r["ranked"])
        b["cut"] = sum(1 for r in b["rows"] if r["ranked"]) - len(keep)
        b["rows"] = keep
        b["red"] = [r["key"] for r in keep if r["board"] == "red"]
        b["black"] = [r["key"] for r in keep if r["board"] == "black"]


def _exposures(session: Session, p: dict[str, Any], caller: Caller) -> tuple[dict, list[dict]]:
    """The 曝光台 and the photos to copy into the notice ({seq, problem_id, photo_id, jpeg, width, height})."""
    rows = [dict(r) for r in session.execute(text(load(__file__, "notice_exposures")),
                                             {**p, "limit": EXPOSURES}).mappings()]
    total = rows[0]["total"] if rows else 0
    kinds = [dict(r) for r in session.execute(text(load(__file__, "notice_exposure_kinds")), p).mappings()]
    ids = [r["problem_id"] for r in rows if r["has_photo"]]
    shots: dict[int, list[int]] = {}
    if ids:
        for photo_id, problem_id in session.execute(text(load(__file__, "notice_exposure_photos")), {"ids": ids}):
            shots.setdefault(problem_id, []).append(photo_id)
    photos: list[dict] = []
    by_problem: dict[int, list[int]] = {}
    for problem_id in ids:  # numbered in the order the 曝光台 shows them
        for photo_id in shots.get(problem_id, []):
            try:
                jpeg, _ = photo_svc.read(session, problem_id, photo_id, caller=caller, thumb=True)
            except NotFound:  # a file no longer on disk: the exposure is listed without it
                continue
            width, height = _size(jpeg)
            seq = len(photos) + 1
            photos.append({"seq": seq, "problem_id": problem_id, "photo_id": photo_id, "jpeg": jpeg,
                           "width": width, "height": height})
            by_problem.setdefault(problem_id, []).append(seq)
    items = [{**{k: v for k, v in r.items() if k not in ("total", "has_photo")},
              "photos": by_problem.get(r["problem_id"], [])} for r in rows]
    return {"total": total, "by_kind": kinds, "items": items, "shown": len(items)}, photos


def _size(jpeg: bytes) -> tuple[int, int]:
    with Image.open(BytesIO(jpeg)) as img:
        return img.size


def _overdue(session: Session, p: dict[str, Any]) -> dict:
    rows = [dict(r) for r in session.execute(text(load(__file__, "notice_overdue")),
                                             {**p, "limit": OVERDUE}).mappings()]
    totals = [dict(r) for r in session.execute(text(load(__file__, "notice_overdue_totals")), p).mappings()]
    return {"total": sum(t["problems"] for t in totals), "by_subdistrict": totals,
            "items": [{k: v for k, v in r.items() if k != "total"} for r in rows]}


def _escalations(session: Session, p: dict[str, Any]) -> dict:
    rows = [dict(r) for r in session.execute(text(load(__file__, "notice_escalations")),
                                             {**p, "limit": ESCALATIONS}).mappings()]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["level_name"]] = counts.get(r["level_name"], 0) + 1
    return {"items": rows, "by_level": [{"level_name": k, "count": v} for k, v in counts.items()]}


def assessment(session: Session, chosen: periods.Period, scope: str | None, caller: Caller | None = None) -> Any:
    """The 测评 results of the period (the newest started round of that period in scope), as they are at publishing
    and kept so; None: 本期无测评."""
    result = round_results.period_summary(session, period=chosen.code, scope=scope)
    return json.loads(json.dumps(plain(result), ensure_ascii=False, default=str)) if result else None


def take(session: Session, *, period: str, scope: str | None, caller: Caller, levels: tuple[str, ...] | None = None,
         sort: str = "on_time_rate", min_sample: int = ranking_svc.DEFAULT_MIN_SAMPLE,
         min_ranked: int = ranking_svc.DEFAULT_MIN_RANKED, at: datetime) -> tuple[dict[str, Any], list[dict]]:
    """(the snapshot without its header, the photos to store with it) for `period` inside `scope` at `at`."""
    chosen = periods.parse(period)
    if sort not in ranking_svc.METRICS:
        raise InvalidInput(f"sort must be one of {', '.join(ranking_svc.METRICS)}", field="sort")
    levels = tuple(levels) if levels else levels_for(scope)
    for level in levels:
        if level not in LEVELS:
            raise InvalidInput(f"levels are {', '.join(LEVELS)}", field="levels")
    since, until = chosen.bounds()
    p = {"since": since, "until": until, "scope": scope or "", "at": at,
         "pending": flag_params(session)["pending"]}
    summary = dict(session.execute(text(load(__file__, "notice_summary")), p).mappings().one())
    boards = _boards(session, chosen, scope, levels, sort=sort, min_sample=min_sample, min_ranked=min_ranked,
                     accountability=_accountability(session, p))
    rules = notice_flags.active_rules(session)
    flags = notice_flags.award(boards, rules)
    _trim(boards, flags)
    exposures, photos = _exposures(session, p, caller)
    escalations = _escalations(session, p)
    summary.update(exposed=exposures["total"], escalations_acted=len(escalations["items"]))
    snapshot = {
        "period": chosen.as_dict(), "scope": {"code": scope, "name": region_name(session, scope)},
        "summary": summary, "boards": boards,
        "flag_rules": [{"flag": r["flag"], "flag_name": notice_flags.FLAGS[r["flag"]], "name": r["name"],
                        "level": r["level"], "conditions": notice_flags.describe(r)} for r in rules],
        "flags": flags, "exposures": exposures, "overdue": _overdue(session, p), "escalations": escalations,
        "assessment": assessment(session, chosen, scope, caller),
    }
    return plain(snapshot), photos
