"""Patrols and checklist inspections.

A patrol is a GPS track with its start and end time: every street segment and assessment point within reach of the
track counts as inspected at the moment the walker was nearest to it (interpolated along the track).
A checklist visit (暗访, 模拟测评) scores a point on its type's weighted items; each failed item becomes a problem,
routed like any report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shapely.geometry import LineString
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.validate import geometry_problem
from layers.audit import record
from layers.caller import Caller
from layers.problems import Report, intake

STREET_REACH_M = 20.0
POINT_REACH_M = 30.0

_HITS = """
INSERT INTO patrol_hits (patrol_id, layer, feature_id, at)
SELECT pt.id, 'streets', s.id,
       pt.started_at + (pt.ended_at - pt.started_at)
           * ST_LineLocatePoint(pt.track_m, ST_ClosestPoint(pt.track_m, s.geom_m))
FROM patrols pt JOIN streets s ON ST_DWithin(s.geom_m, pt.track_m, :street_reach)
WHERE pt.id = :id
UNION ALL
SELECT pt.id, 'assessment_points', ap.id,
       pt.started_at + (pt.ended_at - pt.started_at)
           * ST_LineLocatePoint(pt.track_m, ST_ClosestPoint(pt.track_m, ST_PointOnSurface(ap.geom_m)))
FROM patrols pt JOIN assessment_points ap ON ST_DWithin(ap.geom_m, pt.track_m, :point_reach)
WHERE pt.id = :id
"""


def record_patrol(session: Session, *, track: LineString, started_at: datetime, ended_at: datetime, walker: str,
                  person_id: int | None = None, actor: str) -> dict[str, Any]:
    problem = geometry_problem(track, "line")
    if problem:
        raise InvalidInput(problem, field="track")
    if ended_at <= started_at:
        raise InvalidInput("ended_at must be after started_at", field="ended_at")
    pid = session.execute(text("""
        INSERT INTO patrols (person_id, walker, started_at, ended_at, track, track_m, region_code, created_by)
        VALUES (:person, :walker, :s, :e, ST_GeomFromText(:wkt, 4490),
                ST_Transform(ST_GeomFromText(:wkt, 4490), ccgrid_metric_srid()),
                ccgrid_region_at(ST_LineInterpolatePoint(ST_GeomFromText(:wkt, 4490), 0.5)), :actor)
        RETURNING id"""), {"person": person_id, "walker": walker, "s": started_at, "e": ended_at,
                           "wkt": track.wkt, "actor": actor}).scalar_one()
    session.execute(text(_HITS), {"id": pid, "street_reach": STREET_REACH_M, "point_reach": POINT_REACH_M})
    counts = dict(session.execute(text(
        "SELECT layer, count(*) FROM patrol_hits WHERE patrol_id = :id GROUP BY layer"), {"id": pid}).all())
    record(session, actor, "patrol", "patrols", pid, counts)
    return {"id": pid, "streets": counts.get("streets", 0), "assessment_points": counts.get("assessment_points", 0)}


def last_inspected(session: Session, layer: str, feature_id: int) -> datetime | None:
    return session.execute(text(
        "SELECT max(at) FROM patrol_hits WHERE layer = :l AND feature_id = :f"), {"l": layer, "f": feature_id}).scalar()


def checklist(session: Session, point_type: str) -> list[dict[str, Any]]:
    rows = session.execute(text(
        "SELECT id, code, text, weight, category_code FROM checklist_items WHERE point_type = :t AND active "
        "ORDER BY code"), {"t": point_type}).mappings()
    return [dict(r) for r in rows]


def visit(session: Session, *, point_id: int, kind: str, inspector: str, results: dict[str, bool],
          notes: dict[str, str] | None = None, visited_at: datetime | None = None,
          caller: Caller) -> dict[str, Any]:
    """Score a point on its checklist; failed items become problems (source = the visit kind), taken for the
    caller as any report is."""
    actor = caller.actor
    if kind not in ("mystery", "mock_assessment", "patrol"):
        raise InvalidInput("kind must be mystery, mock_assessment or patrol", field="kind")
    point = session.execute(text(
        "SELECT id, point_type, region_code, ST_X(ST_PointOnSurface(geom)) AS x, ST_Y(ST_PointOnSurface(geom)) AS y, "
        "name FROM assessment_points WHERE id = :i"), {"i": point_id}).mappings().one_or_none()
    if point is None or not caller.covers(point["region_code"]):
        raise NotFound(f"assessment point {point_id} not found", field="point_id")
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
        "INSERT INTO inspection_visits (point_id, kind, inspector, visited_at, score, created_by) "
        "VALUES (:p, :k, :i, :at, :s, :a) RETURNING id"),
        {"p": point_id, "k": kind, "i": inspector, "at": at, "s": score, "a": actor}).scalar_one()
    created = []
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
        session.execute(text(
            "INSERT INTO inspection_results (visit_id, item_id, passed, note, problem_id) "
            "VALUES (:v, :i, :p, :n, :pr)"),
            {"v": vid, "i": item["id"], "p": ok, "n": (notes or {}).get(code), "pr": problem_id})
    record(session, actor, "inspect", "assessment_points", point_id, {"visit": vid, "score": score})
    return {"id": vid, "point_id": point_id, "score": score, "problems": created}


def score_history(session: Session, point_id: int) -> list[dict[str, Any]]:
    rows = session.execute(text("""
        SELECT v.id, v.kind, v.inspector, v.visited_at, v.score,
               (SELECT array_agg(c.code ORDER BY c.code) FROM inspection_results r
                JOIN checklist_items c ON c.id = r.item_id WHERE r.visit_id = v.id AND NOT r.passed) AS failed
        FROM inspection_visits v WHERE v.point_id = :p ORDER BY v.visited_at, v.id"""), {"p": point_id}).mappings()
    return [dict(r) for r in rows]
