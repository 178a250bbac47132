"""Patrols and checklist inspections.

A patrol is a GPS track with its start and end time: every street segment and assessment point within reach of the
track counts as inspected at the moment the walker was nearest to it (interpolated along the track).
A checklist visit (暗访, 模拟测评) scores a point on its type's weighted items; each failed item becomes a problem,
routed like any report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Forbidden, InvalidInput, NotFound
from gis.settings import get_settings
from gis.sql import load
from gis.validate import geometry_problem
from layers.access.caller import Caller
from layers.common.audit import record
from layers.ledger.calendar import TZ
from layers.ledger.intake import MAX_AHEAD, Report, intake

STREET_REACH_M = 20.0
POINT_REACH_M = 30.0
MODES = {"walk": "步行", "bike": "骑行", "drive": "驾车"}

# SQL in layers/ledger/sql/: patrol_hits (what a patrol passed), patrol_stretches and patrol_whole (its speed).


def _check_times(track: LineString, started_at: datetime, ended_at: datetime,
                 times: Sequence[datetime] | None) -> None:
    if ended_at <= started_at:
        raise InvalidInput("ended_at must be after started_at", field="ended_at")
    # A patrol marks what it passed as inspected at its time: one dated ahead would hide patrol gaps until then,
    # one dated before the archive would write history; and a shift is hours, not the month an untimed track
    # would need to pass the speed check.
    if ended_at > datetime.now(TZ) + MAX_AHEAD:
        raise InvalidInput("ended_at is in the future", field="ended_at")
    start = get_settings().archive_start
    if started_at < datetime.combine(start, time(), TZ):
        raise InvalidInput(f"started_at is before the city's archive start {start:%Y-%m-%d}", field="started_at")
    hours = get_settings().patrol_max_hours
    if ended_at - started_at > timedelta(hours=hours):
        raise InvalidInput(f"a patrol lasts at most {hours:g} hours; send each shift as its own track",
                           field="ended_at")
    if times is None:
        if get_settings().patrol_require_fix_times:
            raise InvalidInput("a track needs the time of every fix (times, one per coordinate)", field="times")
        return
    if len(times) != len(track.coords):
        raise InvalidInput(f"times needs one time per coordinate: {len(track.coords)} coordinates, "
                           f"{len(times)} times", field="times")
    if any(b < a for a, b in zip(times, times[1:], strict=False)):
        raise InvalidInput("times must not go backwards", field="times")
    if times[0] < started_at or times[-1] > ended_at:
        raise InvalidInput("times must lie between started_at and ended_at", field="times")


def _check_speed(session: Session, track: LineString, mode: str, started_at: datetime, ended_at: datetime,
                 times: Sequence[datetime] | None) -> None:
    """Refuse a track no one could have made in its mode: segment by segment when the fixes are timed (less the
    GPS error, so jitter between close fixes passes), else the whole track over its duration."""
    settings = get_settings()
    limit_kmh = float(getattr(settings, f"patrol_max_speed_kmh_{mode}"))
    params = {"wkt": track.wkt, "times": list(times) if times else None, "s": started_at, "e": ended_at}
    stretches = session.execute(text(load(__file__, "patrol_stretches" if times else "patrol_whole")), params).all()
    slack = settings.patrol_gps_accuracy_m
    for i, metres, seconds in stretches:
        metres, seconds = float(metres), float(seconds or 0)
        moved = max(metres - slack, 0.0)
        if not moved or (seconds and moved / seconds * 3.6 <= limit_kmh):
            continue
        where = f"fix {i} → {i + 1}" if times else "the track"
        how = f"{metres:,.0f} m in {seconds:,.0f} s ({metres / seconds * 3.6:,.1f} km/h)" if seconds \
            else f"{metres:,.0f} m in no time"
        raise InvalidInput(f"{where}: {how}, faster than the {mode} ({MODES[mode]}) limit of {limit_kmh:g} km/h",
                           field="times" if times else "track")


def _check_person(session: Session, person_id: int | None, caller: Caller) -> None:
    if person_id is None:
        return
    region = session.execute(text("SELECT region_code FROM people WHERE id = :p"), {"p": person_id}).one_or_none()
    if region is None:
        raise InvalidInput(f"person {person_id} not found", field="person_id")
    caller.require_covers(region[0], what=f"person {person_id}", field="person_id")


def _region_of(session: Session, track: LineString, caller: Caller) -> str | None:
    """The region a patrol is filed under: that of its middle; for a scoped caller whose region the track touches
    but whose middle lies beyond, the caller's region (so the caller lists it). A track that never comes within the
    containment tolerance of the caller's region is refused: it could mark nothing there."""
    row = session.execute(text("""
        SELECT ccgrid_region_at(ST_LineInterpolatePoint(ST_GeomFromText(:wkt, 4490), 0.5)) AS middle,
               EXISTS (SELECT 1 FROM regions r WHERE r.code = CAST(:scope AS text)
                       AND ST_DWithin(r.geom_m, ST_Transform(ST_GeomFromText(:wkt, 4490), ccgrid_metric_srid()),
                                      :tol)) AS touches"""),
        {"wkt": track.wkt, "scope": caller.scope, "tol": get_settings().containment_tolerance_m}).one()
    if caller.scope is None or caller.covers(row.middle):
        return row.middle
    if not row.touches:
        raise Forbidden(f"the track lies outside your region {caller.scope}", field="track")
    return caller.scope


def record_patrol(session: Session, *, track: BaseGeometry, started_at: datetime, ended_at: datetime, walker: str,
                  caller: Caller, person_id: int | None = None, mode: str = "walk",
                  times: Sequence[datetime] | None = None) -> dict[str, Any]:
    """Store a patrol and mark the streets and points it passed inside the caller's region as inspected."""
    problem = geometry_problem(track, "line")
    if problem is None and not isinstance(track, LineString):
        problem = "a patrol track is a LineString"
    if problem:
        raise InvalidInput(problem, field="track")
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}", field="mode")
    _check_times(track, started_at, ended_at, times)
    _check_speed(session, track, mode, started_at, ended_at, times)
    _check_person(session, person_id, caller)
    region = _region_of(session, track, caller)
    pid = session.execute(text("""
        INSERT INTO patrols (person_id, walker, started_at, ended_at, track, track_m, region_code, created_by, mode,
                             fix_times)
        VALUES (:person, :walker, :s, :e, ST_GeomFromText(:wkt, 4490),
                ST_Transform(ST_GeomFromText(:wkt, 4490), ccgrid_metric_srid()), :region, :actor, :mode,
                CAST(:times AS timestamptz[]))
        RETURNING id"""), {"person": person_id, "walker": walker, "s": started_at, "e": ended_at, "wkt": track.wkt,
                           "region": region, "actor": caller.actor, "mode": mode,
                           "times": list(times) if times else None}).scalar_one()
    measured = None
    if times:
        measured = "LINESTRING M (" + ", ".join(
            f"{x!r} {y!r} {t.timestamp()!r}" for (x, y, *_), t in zip(track.coords, times, strict=True)) + ")"
    session.execute(text(load(__file__, "patrol_hits")),
                    {"id": pid, "street_reach": STREET_REACH_M, "point_reach": POINT_REACH_M, "measured": measured,
                     "scope": caller.scope or ""})
    counts = dict(session.execute(text(
        "SELECT layer, count(*) FROM patrol_hits WHERE patrol_id = :id GROUP BY layer"), {"id": pid}).all())
    record(session, caller.actor, "patrol", "patrols", pid, {**counts, "mode": mode})
    return {"id": pid, "region_code": region, "mode": mode, "streets": counts.get("streets", 0),
            "assessment_points": counts.get("assessment_points", 0)}


def list_patrols(session: Session, caller: Caller, *, person_id: int | None = None, since: datetime | None = None,
                 until: datetime | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Patrols filed in the caller's region, newest first; `since`/`until` bound when they started."""
    where = ["starts_with(coalesce(p.region_code, ''), :scope)"]
    params: dict[str, Any] = {"scope": caller.scope or "", "limit": limit, "offset": offset}
    for cond, key, value in (("p.person_id = :person", "person", person_id), ("p.started_at >= :since", "since", since),
                             ("p.started_at < :until", "until", until)):
        if value is not None:
            where.append(cond)
            params[key] = value
    rows = session.execute(text(f"""
        SELECT p.id, p.person_id, p.walker, p.mode, p.started_at, p.ended_at, p.region_code,
               round(ST_Length(p.track_m)::numeric, 1)::float AS length_m,
               (SELECT count(*) FROM patrol_hits h WHERE h.patrol_id = p.id AND h.layer = 'streets') AS streets,
               (SELECT count(*) FROM patrol_hits h WHERE h.patrol_id = p.id AND h.layer = 'assessment_points')
                   AS assessment_points,
               p.fix_times IS NOT NULL AS timed_fixes, ST_AsGeoJSON(p.track, 7)::json AS track
        FROM patrols p WHERE {' AND '.join(where)}
        ORDER BY p.started_at DESC, p.id DESC LIMIT :limit OFFSET :offset"""), params).mappings()
    return [dict(r) for r in rows]


def last_inspected(session: Session, layer: str, feature_id: int) -> datetime | None:
    return session.execute(text(
        "SELECT max(at) FROM patrol_hits WHERE layer = :l AND feature_id = :f"), {"l": layer, "f": feature_id}).scalar()


def checklist(session: Session, point_type: str) -> list[dict[str, Any]]:
    rows = session.execute(text(
        "SELECT id, code, text, weight, category_code FROM checklist_items WHERE point_type = :t AND active "
        "ORDER BY code"), {"t": point_type}).mappings()
    return [dict(r) for r in rows]


def _point_in_scope(session: Session, point_id: int, caller: Caller) -> dict[str, Any]:
    point = session.execute(text(
        "SELECT id, code, point_type, region_code, ST_X(ST_PointOnSurface(geom)) AS x, "
        "ST_Y(ST_PointOnSurface(geom)) AS y, name FROM assessment_points WHERE id = :i"),
        {"i": point_id}).mappings().one_or_none()
    if point is None or not caller.covers(point["region_code"]):
        # Out of scope looks the same as missing.
        raise NotFound(f"assessment point {point_id} not found", field="point_id")
    return dict(point)


def point_in_scope(session: Session, point_id: int, caller: Caller) -> dict[str, Any]:
    """A point of the caller's region (NotFound outside it), with a spot on it."""
    return _point_in_scope(session, point_id, caller)


def points_to_visit(session: Session, *, caller: Caller, q: str = "", limit: int = 300) -> list[dict[str, Any]]:
    """Points of the caller's region that have a checklist, each with a spot on it (the phone sorts them by
    distance) and its last visit; `q` keeps those whose name or code contains it, or of that type."""
    rows = session.execute(text(load(__file__, "points_to_visit")),
                           {"s": caller.scope, "q": q.strip(), "l": limit}).mappings()
    return [dict(r) for r in rows]


VISIT_KINDS = ("mystery", "mock_assessment", "patrol", "bimonthly")


def visit(session: Session, *, point_id: int, kind: str, inspector: str, results: dict[str, bool],
          caller: Caller, notes: dict[str, str] | None = None, visited_at: datetime | None = None,
          round_id: int | None = None) -> dict[str, Any]:
    """Score a point on its checklist; failed items become problems (source = the visit kind). `round_id` files the
    visit under a 测评 round (layers/campaign/round_visits.py checks that the point is in its sample first)."""
    if kind not in VISIT_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(VISIT_KINDS)}", field="kind")
    point = _point_in_scope(session, point_id, caller)
    actor = caller.actor
    items = {i["code"]: i for i in checklist(session, point["point_type"])}
    if not items:
        raise InvalidInput(f"no checklist for point type {point['point_type']}", field="point_id")
    unknown = set(results) - set(items)
    if unknown:
        raise InvalidInput(f"unknown checklist item {sorted(unknown)[0]!r}; items: {', '.join(items)}",
                           field="results")
    missing = set(items) - set(results)
    if missing:
        raise InvalidInput(f"every item needs a result; missing {', '.join(sorted(missing))}", field="results")
    total = sum(float(i["weight"]) for i in items.values())
    score = round(100 * sum(float(items[c]["weight"]) for c, ok in results.items() if ok) / total, 1)
    at = visited_at or session.execute(text("SELECT now()")).scalar_one()
    vid = session.execute(text(
        "INSERT INTO inspection_visits (point_id, kind, inspector, visited_at, score, created_by, round_id) "
        "VALUES (:p, :k, :i, :at, :s, :a, :r) RETURNING id"),
        {"p": point_id, "k": kind, "i": inspector, "at": at, "s": score, "a": actor, "r": round_id}).scalar_one()
    created, failed = [], {}
    for code, ok in sorted(results.items()):
        item = items[code]
        problem_id = None
        if not ok:
            note = (notes or {}).get(code)
            problem_id = intake(session, Report(
                category=item["category_code"], source=kind, lon=point["x"], lat=point["y"], reported_at=at,
                description=f"{point['name']} 测评项未通过：{item['text']}" + (f"（{note}）" if note else "")),
                caller=caller)
            created.append(problem_id)
            failed[code] = problem_id
        session.execute(text(
            "INSERT INTO inspection_results (visit_id, item_id, passed, note, problem_id, weight) "
            "VALUES (:v, :i, :p, :n, :pr, :w)"),
            {"v": vid, "i": item["id"], "p": ok, "n": (notes or {}).get(code), "pr": problem_id, "w": item["weight"]})
    record(session, actor, "inspect", "assessment_points", point_id,
           {"visit": vid, "score": score, **({"round": round_id} if round_id else {})})
    return {"id": vid, "point_id": point_id, "score": score, "problems": created, "failed": failed}


def score_history(session: Session, point_id: int, caller: Caller) -> list[dict[str, Any]]:
    _point_in_scope(session, point_id, caller)
    rows = session.execute(text("""
        SELECT v.id, v.kind, v.inspector, v.visited_at, v.score, v.round_id,
               (SELECT array_agg(c.code ORDER BY c.code) FROM inspection_results r
                JOIN checklist_items c ON c.id = r.item_id WHERE r.visit_id = v.id AND NOT r.passed) AS failed
        FROM inspection_visits v WHERE v.point_id = :p ORDER BY v.visited_at, v.id"""), {"p": point_id}).mappings()
    return [dict(r) for r in rows]
