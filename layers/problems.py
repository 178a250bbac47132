"""Problem intake and routing: each report lands on its region, grid cell, street segment, assessment point and
current owners in one set-based pass, and is linked to an open report of the same kind nearby (duplicates).

Bulk imports stage rows with COPY and route them all in the same SQL as a single report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from layers.audit import record
from layers.problem_filters import ProblemFilter, check_source, flag_params, overdue_sql, pending_sql

MAX_DESCRIPTION = 2000
POINT_RADIUS_M = 50  # a report this close to an assessment point belongs to it

# Route the problems in `ids`: the smallest region, the cell, the nearest street within the category's tolerance,
# the assessment point containing or near it. A report inside a grid cell takes the cell's community, so the
# (large, detailed) region polygons are only tested for reports outside every cell.
_ROUTE = f"""
UPDATE problems p SET
    region_code = coalesce(g.region_code, r.code), district_code = left(coalesce(g.region_code, r.code), 6),
    grid_cell_id = g.id, grid_cell_code = g.code,
    street_id = s.id, street_distance_m = s.dist,
    point_id = ap.id
FROM problems q
JOIN problem_categories c ON c.code = q.category_code
LEFT JOIN LATERAL (SELECT id, code, region_code FROM grid_cells WHERE ST_Intersects(geom, q.geom)
                   ORDER BY id LIMIT 1) g ON true
LEFT JOIN LATERAL (SELECT code FROM regions WHERE g.id IS NULL AND ST_Intersects(geom, q.geom)
                   ORDER BY length(code) DESC LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT id, ST_Distance(geom_m, q.geom_m) AS dist FROM streets
                   WHERE ST_DWithin(geom_m, q.geom_m, coalesce(c.street_tolerance_m, 50))
                   ORDER BY geom_m <-> q.geom_m LIMIT 1) s ON true
LEFT JOIN LATERAL (SELECT id FROM assessment_points WHERE ST_DWithin(geom_m, q.geom_m, {POINT_RADIUS_M})
                   ORDER BY ST_Distance(geom_m, q.geom_m), id LIMIT 1) ap ON true
WHERE p.id = q.id AND q.id IN (SELECT id FROM route_batch)
"""

# Snapshot the owners in force at routing time, place by place.
_OWNERS = """
INSERT INTO problem_owners (problem_id, assignment_id, place)
SELECT p.id, a.id, x.place
FROM problems p
CROSS JOIN LATERAL (VALUES ('streets', p.street_id, 'street'), ('grid_cells', p.grid_cell_id, 'grid_cell'),
                           ('assessment_points', p.point_id, 'assessment_point'),
                           ('regions', (SELECT id FROM regions WHERE code = left(p.region_code, 9)), 'subdistrict'),
                           ('regions', (SELECT id FROM regions WHERE code = left(p.region_code, 12)), 'community'))
                   AS x(layer, fid, place)
JOIN assignments a ON a.layer = x.layer AND a.feature_id = x.fid
     AND a.valid_from <= CAST(:on AS date) AND (a.valid_to IS NULL OR a.valid_to > CAST(:on AS date))
WHERE p.id IN (SELECT id FROM route_batch) AND x.fid IS NOT NULL
ON CONFLICT DO NOTHING
"""

# Candidate masters for each new report: an earlier open report of the same category within the category's radius
# and window that is not itself a duplicate. One LATERAL probe per report (GiST on geom_m or the category+time index)
# with a LIMIT keeps the plan per row and the candidate list short however dense the city.
_DUPLICATE_CANDIDATES = """
SELECT n.id AS report, m.id AS master
FROM route_batch b
JOIN problems n ON n.id = b.id AND n.duplicate_of IS NULL
JOIN problem_categories c ON c.code = n.category_code AND c.duplicate_radius_m IS NOT NULL
CROSS JOIN LATERAL (
    SELECT m.id, m.reported_at FROM problems m
    WHERE ST_DWithin(m.geom_m, n.geom_m, c.duplicate_radius_m)
      AND m.category_code = n.category_code AND m.id <> n.id AND m.duplicate_of IS NULL
      AND m.status NOT IN ('closed', 'rejected')
      AND (m.reported_at, m.id) < (n.reported_at, n.id)
      AND m.reported_at >= n.reported_at - make_interval(hours => c.duplicate_window_h)
    ORDER BY m.reported_at, m.id
    LIMIT :per_report
) m
ORDER BY n.reported_at, n.id, m.reported_at, m.id
"""
# For a big batch, per-report probes add up (0.5 ms each); instead bucket every report by a square of its
# category's radius and hash-join each new report with the open reports in its own and the eight neighbouring
# squares, same category, inside the window: one pass over integers, no index probes.
_DUPLICATE_CANDIDATES_BULK = """
WITH n AS (
    SELECT p.id, p.category_code, p.reported_at, p.x_m, p.y_m, c.duplicate_radius_m AS r,
           make_interval(hours => c.duplicate_window_h) AS w,
           floor(p.x_m / c.duplicate_radius_m)::bigint AS cx, floor(p.y_m / c.duplicate_radius_m)::bigint AS cy
    FROM route_batch b JOIN problems p ON p.id = b.id AND p.duplicate_of IS NULL
    JOIN problem_categories c ON c.code = p.category_code AND c.duplicate_radius_m IS NOT NULL),
span AS (SELECT min(reported_at - w) AS t0, max(reported_at) AS t1 FROM n),
nb AS MATERIALIZED (  -- each new report once per neighbouring square, keys computed, so the join hashes on them
    SELECT n.*, n.cx + dx.d AS kx, n.cy + dy.d AS ky
    FROM n CROSS JOIN (VALUES (-1), (0), (1)) AS dx(d) CROSS JOIN (VALUES (-1), (0), (1)) AS dy(d)),
m AS MATERIALIZED (
    SELECT p.id, p.category_code, p.reported_at, p.x_m, p.y_m,
           floor(p.x_m / c.duplicate_radius_m)::bigint AS kx, floor(p.y_m / c.duplicate_radius_m)::bigint AS ky
    FROM problems p JOIN problem_categories c ON c.code = p.category_code AND c.duplicate_radius_m IS NOT NULL, span
    WHERE p.duplicate_of IS NULL AND p.status NOT IN ('closed', 'rejected')
      AND p.reported_at >= span.t0 AND p.reported_at <= span.t1),
pairs AS (
    SELECT n.id AS report, m.id AS master, n.reported_at, m.reported_at AS master_at,
           row_number() OVER (PARTITION BY n.id ORDER BY m.reported_at, m.id) AS k
    FROM nb n JOIN m ON m.category_code = n.category_code AND m.kx = n.kx AND m.ky = n.ky
    WHERE (m.reported_at, m.id) < (n.reported_at, n.id) AND m.reported_at >= n.reported_at - n.w
      AND (m.x_m - n.x_m) ^ 2 + (m.y_m - n.y_m) ^ 2 <= n.r ^ 2)
SELECT report, master FROM pairs WHERE k <= :per_report ORDER BY reported_at, report, master_at, master
"""
BULK_FROM = 500  # batches this big use the bucketed join
# A report whose few oldest candidates were all linked in this batch starts its own group instead.
_CANDIDATES_PER_REPORT = 8


def _link_duplicates(session: Session, batch_size: int) -> int:
    """Link reports to masters, oldest report first: a report linked here cannot be a later one's master."""
    linked: dict[int, int] = {}
    sql = _DUPLICATE_CANDIDATES_BULK if batch_size >= BULK_FROM else _DUPLICATE_CANDIDATES
    for report, master in session.execute(text(sql), {"per_report": _CANDIDATES_PER_REPORT}).all():
        if report not in linked and master not in linked:
            linked[report] = master
    if linked:
        session.execute(text("""
            UPDATE problems p SET duplicate_of = v.master
            FROM unnest(CAST(:r AS bigint[]), CAST(:m AS bigint[])) AS v(report, master) WHERE p.id = v.report"""),
            {"r": list(linked), "m": list(linked.values())})
        session.execute(text("""
            UPDATE problems m SET duplicates = m.duplicates + v.n
            FROM (SELECT master, count(*) AS n FROM unnest(CAST(:m AS bigint[])) AS master GROUP BY master) v
            WHERE m.id = v.master"""), {"m": list(linked.values())})
    return len(linked)


@dataclass
class Report:
    category: str
    source: str
    lon: float
    lat: float
    description: str = ""
    address: str | None = None
    reporter: str | None = None
    reporter_contact: str | None = None
    reported_at: datetime | None = None
    external_id: str | None = None


def category(session: Session, code: str) -> dict[str, Any]:
    row = session.execute(
        text("SELECT * FROM problem_categories WHERE (code = :c OR name = :c) AND active"), {"c": code}
    ).mappings().one_or_none()
    if row is None:
        raise InvalidInput(f"unknown problem category {code!r}; see /api/v1/problem-categories", field="category")
    if row["parent_code"] is None:
        raise InvalidInput(f"{row['name']} is a top-level class; report one of its small classes", field="category")
    return dict(row)


def route(session: Session, ids: list[int]) -> int:
    """Route problems (set-based), snapshot their owners and link duplicates; returns how many were linked.

    Reports outside every region are refused.
    """
    session.execute(text("DROP TABLE IF EXISTS pg_temp.route_batch"))
    session.execute(text("CREATE TEMP TABLE route_batch (id bigint PRIMARY KEY) ON COMMIT DROP"))
    session.execute(text("INSERT INTO route_batch SELECT unnest(CAST(:ids AS bigint[]))"), {"ids": ids})
    session.execute(text("ANALYZE route_batch"))
    session.execute(text(_ROUTE))
    outside = session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM problems WHERE id IN (SELECT id FROM route_batch) "
             "AND region_code IS NULL LIMIT 1"),
    ).one_or_none()
    if outside is not None:
        raise InvalidInput(f"({outside[0]:.6f}, {outside[1]:.6f}) is outside every region of the city", field="lon")
    session.execute(text(_OWNERS), {"on": session.execute(text("SELECT current_date")).scalar()})
    return _link_duplicates(session, len(ids))


def intake(session: Session, report: Report, *, actor: str, scope: str | None = None) -> int:
    """Take one report: validate, store, route, link duplicates. Returns the problem id (= Open311 request id)."""
    cat = category(session, report.category)
    source = check_source(session, report.source)
    if len(report.description or "") > MAX_DESCRIPTION:
        raise InvalidInput(f"at most {MAX_DESCRIPTION} characters", field="description")
    if not (-180 <= report.lon <= 180 and -90 <= report.lat <= 90):
        raise InvalidInput("longitude/latitude out of range", field="lon")
    if report.external_id:
        existing = session.execute(
            text("SELECT id FROM problems WHERE external_id = :e"), {"e": report.external_id}
        ).scalar()
        if existing:
            return existing  # the same report sent twice (a retry) is the same problem
    pid = session.execute(
        text("""
            INSERT INTO problems (external_id, category_code, source, description, address, reporter,
                                  reporter_contact, geom, reported_at, created_by)
            VALUES (:ext, :cat, :src, :desc, :addr, :rep, :contact, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490),
                    coalesce(CAST(:at AS timestamptz), now()), :actor)
            RETURNING id"""),
        {"ext": report.external_id, "cat": cat["code"], "src": source, "desc": report.description or "",
         "addr": report.address, "rep": report.reporter, "contact": report.reporter_contact, "lon": report.lon,
         "lat": report.lat, "at": report.reported_at, "actor": actor},
    ).scalar_one()
    route(session, [pid])
    if scope:
        inside = session.execute(
            text("SELECT region_code LIKE :s || '%' FROM problems WHERE id = :i"), {"s": scope, "i": pid}
        ).scalar()
        if not inside:
            raise InvalidInput(f"the location is outside your region {scope}", field="lon")
    session.execute(
        text("INSERT INTO problem_events (problem_id, actor, action, to_status, note) "
             "VALUES (:p, :a, '上报', 'reported', :n)"),
        {"p": pid, "a": actor, "n": f"来源：{source}"},
    )
    record(session, actor, "report", "problems", pid, {"category": cat["code"], "source": source})
    return pid


_PROBLEM_SQL = f"""
    SELECT p.id, p.external_id, p.category_code, c.name AS category_name, pc.name AS category_group,
           p.source, src.name AS source_name, p.status, st.name AS status_name, st.final,
           p.description, p.address, p.reporter, p.reporter_contact,
           ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.reported_at, p.region_code, p.district_code,
           p.grid_cell_id, p.grid_cell_code, p.street_id, s.name AS street_name,
           round(p.street_distance_m::numeric, 1)::float AS street_distance_m,
           p.point_id, ap.name AS point_name, ap.point_type,
           p.duplicate_of, p.duplicates, p.dispatched_at, p.due_at, p.closed_at, p.rework_count, p.extension_count,
           {overdue_sql("p")} AS overdue,
           p.updated_at
    FROM problems p
    JOIN problem_categories c ON c.code = p.category_code
    LEFT JOIN problem_categories pc ON pc.code = c.parent_code
    JOIN problem_sources src ON src.code = p.source
    JOIN problem_statuses st ON st.code = p.status
    LEFT JOIN streets s ON s.id = p.street_id
    LEFT JOIN assessment_points ap ON ap.id = p.point_id
"""


def _shape(row: dict[str, Any], with_contact: bool) -> dict[str, Any]:
    out = dict(row)
    if not with_contact:
        out.pop("reporter_contact", None)
        out.pop("reporter", None)
    return out


def get(session: Session, pid: int, *, scope: str | None = None, with_contact: bool = False,
        detail: bool = True) -> dict[str, Any]:
    row = session.execute(text(_PROBLEM_SQL + " WHERE p.id = :i"),
                          {**flag_params(session), "i": pid}).mappings().one_or_none()
    if row is None or (scope and not (row["region_code"] or "").startswith(scope)):
        raise NotFound(f"problem {pid} not found", field="id")
    out = _shape(row, with_contact)
    if detail:
        owners = session.execute(text("""
            SELECT po.place, a.role, r.name AS role_name, coalesce(p.name, u.name) AS holder,
                   CASE WHEN :c THEN coalesce(p.phone, u.phone) END AS phone, a.person_id, a.unit_id
            FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id
            JOIN owner_roles r ON r.code = a.role
            LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
            WHERE po.problem_id = :i ORDER BY r.sort, a.id"""), {"i": pid, "c": with_contact}).mappings()
        out["owners"] = [dict(o) for o in owners]
        events = session.execute(text("""
            SELECT e.id, e.at, e.actor, e.action, e.from_status, e.to_status, e.note, e.photo_id, e.due_at
            FROM problem_events e WHERE e.problem_id = :i ORDER BY e.id"""), {"i": pid}).mappings()
        out["history"] = [dict(e) for e in events]
        out["duplicate_ids"] = list(session.execute(
            text("SELECT id FROM problems WHERE duplicate_of = :i ORDER BY id"), {"i": pid}).scalars())
    return out


def search(
    session: Session,
    *,
    scope: str | None = None,
    status: str | None = None,
    category: str | None = None,
    source: str | None = None,
    overdue: bool | None = None,
    due_within_hours: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    owner_person_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    with_contact: bool = False,
) -> dict[str, Any]:
    base, params = ProblemFilter(scope=scope, category=category, status=status, source=source, since=since,
                                 until=until, bbox=bbox, with_duplicates=True).sql(session)
    where = [base]
    params.update({**flag_params(session), "limit": limit, "offset": offset})
    if overdue is not None:
        where.append(overdue_sql("p") if overdue else f"NOT coalesce({overdue_sql('p')}, false)")
    if due_within_hours is not None:
        where.append(f"{pending_sql('p')} AND p.due_at >= now() AND p.due_at < now() + make_interval(hours => :dw)")
        params["dw"] = due_within_hours
    if owner_person_id is not None:
        where.append("EXISTS (SELECT 1 FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id "
                     "WHERE po.problem_id = p.id AND a.person_id = :owner)")
        params["owner"] = owner_person_id
    cond = " AND ".join(where)
    total = session.execute(text(
        "SELECT count(*) FROM problems p JOIN problem_categories c ON c.code = p.category_code "
        "LEFT JOIN problem_categories pc ON pc.code = c.parent_code "
        f"JOIN problem_statuses st ON st.code = p.status WHERE {cond}"), params).scalar_one()
    rows = session.execute(text(_PROBLEM_SQL + f" WHERE {cond} ORDER BY p.id DESC LIMIT :limit OFFSET :offset"),
                           params).mappings()
    return {"total": total, "items": [_shape(r, with_contact) for r in rows]}
