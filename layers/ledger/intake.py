"""Problem intake and routing: each report lands on its region, grid cell, street segment, assessment point and
current owners in one set-based pass, and is linked to an open report of the same kind nearby (duplicates).

Reports are routed before they are stored (layers/ledger/placement.py), so each is written once, complete. One report is
taken in one round trip by the server function `ccgrid_intake` (layers/ledger/sql/ccgrid_intake.sql, which writes out
for one report the placement, master and owner queries that bulk imports run set-based here and in
layers/ledger/bulk_import.py); a problem is read as JSON by `ccgrid_problem_json` (layers/ledger/sql/).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound
from gis.settings import get_settings
from gis.sql import load
from layers.access.caller import Caller
from layers.ledger.calendar import TZ
from layers.ledger.filters import check_source

MAX_DESCRIPTION = 2000

# Snapshot the owners in force at routing time, place by place. `{rows}` has the routed reports: id, reported_at,
# district_code, region_code, grid_cell_id, street_id, point_id. `ccgrid_intake` does the same for one report.
_LIVE = """live AS (SELECT id, layer, feature_id FROM assignments
         WHERE valid_from <= current_date AND (valid_to IS NULL OR valid_to > current_date))"""
# The reports are new, so they have no owners yet: one holder of two places of a report (a street chief who is
# also its grid worker) is kept once, at the first place, by the SELECT rather than by ON CONFLICT, whose
# speculative insertion per row is the slow way through four million rows.
_OWNER_COLUMNS = "problem_id, problem_reported_at, district_code, assignment_id, place"
_OWNERS_SELECT = """
SELECT DISTINCT ON (p.id, a.id) p.id AS problem_id, p.reported_at AS problem_reported_at, p.district_code,
       a.id AS assignment_id, x.place
FROM {rows} p
LEFT JOIN regions sd ON sd.code = left(p.region_code, 9)
LEFT JOIN regions cm ON cm.code = left(p.region_code, 12)
CROSS JOIN LATERAL (VALUES (1, 'streets', p.street_id, 'street'), (2, 'grid_cells', p.grid_cell_id, 'grid_cell'),
                           (3, 'assessment_points', p.point_id, 'assessment_point'),
                           (4, 'regions', sd.id, 'subdistrict'), (5, 'regions', cm.id, 'community'))
                   AS x(ord, layer, fid, place)
JOIN live a ON a.layer = x.layer AND a.feature_id = x.fid
WHERE x.fid IS NOT NULL
ORDER BY p.id, a.id, x.ord
"""
OWNERS_SQL = f"WITH {_LIVE} INSERT INTO problem_owners ({_OWNER_COLUMNS}) {_OWNERS_SELECT}"

# Candidate masters for each report of a small batch (`{batch}`: id, reported_at), one probe each: an earlier open
# report of the same category within the category's radius and window that is not itself a duplicate, oldest
# first. A box in degrees a little wider than the radius at any latitude lets each month's GiST find the few
# reports nearby; the category+time index would read every report of the category in the window (~1,000 in a busy
# city, 2.6 ms against 0.2 ms). The exact test is on the metric x/y. One report's master is found the same way by
# `ccgrid_intake` (layers/ledger/sql/ccgrid_intake.sql).
_DUPLICATE_CANDIDATES = """
SELECT n.id AS report, n.reported_at AS report_at, m.id AS master, m.reported_at AS master_at
FROM {batch} b
JOIN problems n ON n.id = b.id AND n.reported_at = b.reported_at AND n.duplicate_of IS NULL
JOIN problem_categories c ON c.code = n.category_code AND c.duplicate_radius_m IS NOT NULL
CROSS JOIN LATERAL (
    SELECT m.id, m.reported_at FROM problems m
    WHERE m.category_code = n.category_code
      AND m.reported_at >= n.reported_at - make_interval(hours => c.duplicate_window_h)
      AND m.reported_at <= n.reported_at
      AND m.geom && ST_Expand(n.geom, c.duplicate_radius_m / 100000.0 / cos(radians(ST_Y(n.geom))),
                              c.duplicate_radius_m / 100000.0)
      AND (m.x_m - n.x_m) ^ 2 + (m.y_m - n.y_m) ^ 2 <= c.duplicate_radius_m ^ 2
      AND m.id <> n.id AND m.duplicate_of IS NULL AND m.status NOT IN ('closed', 'rejected')
      AND (m.reported_at, m.id) < (n.reported_at, n.id)
    ORDER BY m.reported_at, m.id
    LIMIT :per_report) m
ORDER BY n.reported_at, n.id, m.reported_at, m.id
"""
# For a big batch, per-report probes add up (0.5 ms each); instead key every report by a square of twice its
# category's radius and a time bucket of its category's window, and hash-join each new report with the open reports
# of the same category in the 2×2 squares its radius can reach (its own and the nearer neighbour each way) and in
# its own and the previous bucket: one pass over integers, no index probes, and a busy square's year of reports is
# never paired with itself. Work tables (not CTEs) so that both cores build them and share the join's hash table;
# the square is packed into one bigint (x · 2³² + y) and the bucket with the category's number into another.
_CATEGORIES = """
CREATE UNLOGGED TABLE {work}_c AS  -- a table, not a subquery: a window function would keep the rest on one core
SELECT code, row_number() OVER (ORDER BY code) AS no, duplicate_radius_m AS r, duplicate_window_h * 3600 AS ws
FROM problem_categories WHERE duplicate_radius_m IS NOT NULL"""
_SQUARE = "floor({x} / (2 * c.r))::bigint * 4294967296 + floor({y} / (2 * c.r))::bigint"
_BUCKET = "floor(extract(epoch FROM {t}) / c.ws)::bigint * CAST(:ncat AS bigint) + c.no"
_BULK_SPAN = """
SELECT min(p.reported_at - make_interval(secs => c.ws)), max(p.reported_at)
FROM {batch} p JOIN {work}_c c ON c.code = p.category_code"""
_BULK_NEW = f"""
CREATE UNLOGGED TABLE {{work}}_n AS
SELECT p.id, p.reported_at, p.reported_at - make_interval(secs => c.ws) AS lo, p.x_m, p.y_m, c.r,
       ARRAY[k.sq, k.sq + k.dx, k.sq + k.dy, k.sq + k.dx + k.dy] AS squares, k.bucket
FROM {{batch}} p JOIN {{work}}_c c ON c.code = p.category_code
CROSS JOIN LATERAL (
    SELECT {_SQUARE.format(x="p.x_m", y="p.y_m")} AS sq, {_BUCKET.format(t="p.reported_at")} AS bucket,
           CASE WHEN p.x_m / (2 * c.r) - floor(p.x_m / (2 * c.r)) < 0.5 THEN -4294967296 ELSE 4294967296 END AS dx,
           CASE WHEN p.y_m / (2 * c.r) - floor(p.y_m / (2 * c.r)) < 0.5 THEN -1 ELSE 1 END AS dy) k"""
_BULK_MASTERS = f"""
CREATE UNLOGGED TABLE {{work}}_m AS
SELECT p.id, p.reported_at, p.x_m, p.y_m, {_SQUARE.format(x="p.x_m", y="p.y_m")} AS sq,
       {_BUCKET.format(t="p.reported_at")} AS bucket
FROM (SELECT id, category_code, reported_at, x_m, y_m FROM problems
      WHERE duplicate_of IS NULL AND status NOT IN ('closed', 'rejected')
        AND reported_at >= CAST(:t0 AS timestamptz) AND reported_at <= CAST(:t1 AS timestamptz)
      {{also}}) p
JOIN {{work}}_c c ON c.code = p.category_code"""
_BULK_PAIRS = """
CREATE UNLOGGED TABLE {work}_pairs AS
SELECT n.id AS report, n.reported_at AS report_at, m.id AS master, m.reported_at AS master_at
FROM {work}_n n
CROSS JOIN LATERAL unnest(n.squares || n.squares, ARRAY[n.bucket, n.bucket, n.bucket, n.bucket,
                          n.bucket - CAST(:ncat AS bigint), n.bucket - CAST(:ncat AS bigint),
                          n.bucket - CAST(:ncat AS bigint), n.bucket - CAST(:ncat AS bigint)]) AS k(sq, bucket)
JOIN {work}_m m ON m.sq = k.sq AND m.bucket = k.bucket
WHERE (m.reported_at, m.id) < (n.reported_at, n.id) AND m.reported_at >= n.lo
  AND (m.x_m - n.x_m) ^ 2 + (m.y_m - n.y_m) ^ 2 <= n.r ^ 2"""
BULK_FROM = 500  # batches this big use the bucketed join
# A report whose few oldest candidates were all linked in this batch starts its own group instead.
_CANDIDATES_PER_REPORT = 8


Links = dict[int, tuple[int, Any]]  # report → (master, report time)


def find_duplicates(session: Session, batch: str, batch_size: int, staged: bool = False) -> Links:
    """Each new report's master, oldest report first: a report linked here cannot be a later one's master.

    `batch` is a table of the new reports (id, reported_at; for big batches also category_code, x_m, y_m).
    `staged`: the batch (a big one) is not stored yet, and its own reports are masters too; the rows can then be
    written linked instead of updated after (a non-HOT update rewrites a row and its nine index entries: ~25 s for
    a million). One report at a time is linked by `ccgrid_intake` (layers/ledger/server_functions.py).
    """
    bulk = batch_size >= BULK_FROM
    if staged and not bulk:
        raise ValueError("a small batch is linked after it is stored")
    if bulk:
        rows = _bulk_candidates(session, batch, staged)
    else:
        rows = session.execute(text(_DUPLICATE_CANDIDATES.format(batch=batch)),
                               {"per_report": _CANDIDATES_PER_REPORT}).all()
    linked: Links = {}
    last, seen = None, 0
    for report, report_at, master, _master_at in rows:
        seen = seen + 1 if report == last else 1
        last = report
        if seen <= _CANDIDATES_PER_REPORT and report not in linked and master not in linked:
            linked[report] = (master, report_at)
    return linked


def _bulk_candidates(session: Session, batch: str, staged: bool) -> list[Any]:
    """Every (report, master) pair of a big batch, each report's in its masters' order (the bucketed join)."""
    work = f"{batch}_dup"
    ncat = session.execute(text("SELECT count(*) + 1 FROM problem_categories")).scalar_one()
    session.execute(text(_CATEGORIES.format(work=work)))
    session.execute(text(f"ANALYZE {work}_c"))
    t0, t1 = session.execute(text(_BULK_SPAN.format(work=work, batch=batch))).one()
    if t0 is None:  # no report of a category that links duplicates
        session.execute(text(f"DROP TABLE {work}_c"))
        return []
    also = f"UNION ALL SELECT id, category_code, reported_at, x_m, y_m FROM {batch}" if staged else ""
    session.execute(text(_BULK_NEW.format(work=work, batch=batch)), {"ncat": ncat})
    session.execute(text(_BULK_MASTERS.format(work=work, also=also)), {"ncat": ncat, "t0": t0, "t1": t1})
    session.execute(text(f"ANALYZE {work}_n"))
    session.execute(text(f"ANALYZE {work}_m"))
    # A merge join would sort millions of keys; a memo of each report's own keys never hits.
    session.execute(text("SET LOCAL enable_mergejoin = off"))
    session.execute(text("SET LOCAL enable_memoize = off"))
    session.execute(text(_BULK_PAIRS.format(work=work)), {"ncat": ncat})
    session.execute(text("RESET enable_mergejoin"))
    session.execute(text("RESET enable_memoize"))
    rows = session.execute(text(
        f"SELECT * FROM {work}_pairs ORDER BY report_at, report, master_at, master")).all()
    for suffix in ("_pairs", "_m", "_n", "_c"):
        session.execute(text(f"DROP TABLE {work}{suffix}"))
    return rows


def link_duplicates(session: Session, batch: str, batch_size: int) -> int:
    """Find the masters of stored new reports (`find_duplicates`) and link them."""
    linked = find_duplicates(session, batch, batch_size)
    if linked:
        # Both keys of each row, so each update reaches its month's partition directly.
        session.execute(text("""
            UPDATE problems p SET duplicate_of = v.master
            FROM unnest(CAST(:r AS bigint[]), CAST(:rt AS timestamptz[]), CAST(:m AS bigint[]))
                 AS v(report, at, master)
            WHERE p.id = v.report AND p.reported_at = v.at"""),
            {"r": list(linked), "rt": [v[1] for v in linked.values()], "m": [v[0] for v in linked.values()]})
    return len(linked)


def snapshot_owners(session: Session, rows: str, staging: str | None = None) -> None:
    """Record the owners in force today (the database's calendar day, Beijing) of each routed report in the relation
    `rows` (with its category_code), and the departments the rules send it to (sql/departments_route.sql). With
    `staging` (a big batch), the owners are first selected into that new unlogged table: a query that makes a table
    may use both cores, one that inserts does not (the selection of four million owner rows: 8 s → 3 s)."""
    session.execute(text(load(__file__, "departments_route").format(rows=rows)))
    if staging is None:
        session.execute(text(OWNERS_SQL.format(rows=rows)))
        return
    session.execute(text(f"CREATE UNLOGGED TABLE {staging} AS WITH {_LIVE} {_OWNERS_SELECT.format(rows=rows)}"))
    session.execute(text(f"INSERT INTO problem_owners ({_OWNER_COLUMNS}) SELECT {_OWNER_COLUMNS} FROM {staging}"))
    session.execute(text(f"DROP TABLE {staging}"))


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


MAX_AHEAD = timedelta(hours=1)  # clocks differ a little; a report from the future is a typo (and a new partition)


def check_reported_at(at: datetime | None) -> None:
    """A report's time lies between the city's archive start and now (plus a little clock skew)."""
    if at is None:
        return
    local = at if at.tzinfo else at.replace(tzinfo=TZ)  # a time without a zone is Beijing time
    if local > datetime.now(TZ) + MAX_AHEAD:
        raise InvalidInput("reported_at is in the future", field="reported_at")
    start = get_settings().archive_start
    if local < datetime.combine(start, time(), TZ):
        raise InvalidInput(f"reported_at is before the city's archive start {start:%Y-%m-%d}", field="reported_at")


def new_months_back(caller: Caller) -> int | None:
    """How many months back this caller's intake may create a month's partition; None: any (the admin).

    A month is a table: anyone else reporting far back would add tables at will. Older reports go through the
    admin import, and `ccgrid db partitions` makes the recent and coming months beforehand."""
    return None if caller.role == "admin" else get_settings().intake_new_months_back


@dataclass
class Received:
    id: int  # the Open311 request id
    reported_at: datetime
    answer: str | None  # the problem as JSON (get_json), when asked for


def receive(session: Session, report: Report, *, caller: Caller, answer: bool | None = None) -> Received:
    """Take one report for `caller`: validate, route, store, snapshot owners, link duplicates. Reports outside every
    region, or outside the caller's scope, are refused; so are reports a non-admin dates into a month that has no
    partition and lies more than `intake_new_months_back` months back. One round trip: the work is the server
    function `ccgrid_intake` (layers/ledger/server_functions.py); with `answer` (True: with the reporter's contact)
    the same statement also returns the problem as `get_json` writes it."""
    if len(report.description or "") > MAX_DESCRIPTION:
        raise InvalidInput(f"at most {MAX_DESCRIPTION} characters", field="description")
    if not (-180 <= report.lon <= 180 and -90 <= report.lat <= 90):
        raise InvalidInput("longitude/latitude out of range", field="lon")
    check_reported_at(report.reported_at)
    back = new_months_back(caller)
    row = session.execute(text(
        "SELECT i.outcome, i.new_id, i.new_at, CASE WHEN CAST(:answer AS boolean) IS NOT NULL AND i.new_id IS NOT NULL "
        "THEN ccgrid_problem_json(i.new_id, i.new_at, NULL, CAST(:answer AS boolean)) END AS answer "
        "FROM ccgrid_intake(CAST(:cat AS text), CAST(:src AS text), CAST(:lon AS float8), "
        "CAST(:lat AS float8), CAST(:at AS timestamptz), CAST(:ext AS text), CAST(:desc AS text), "
        "CAST(:addr AS text), CAST(:rep AS text), CAST(:contact AS text), CAST(:actor AS text), "
        "CAST(:scope AS text), CAST(:back AS int)) i"), {
        "cat": report.category, "src": report.source, "lon": report.lon, "lat": report.lat,
        "at": report.reported_at, "ext": report.external_id, "desc": report.description or "",
        "addr": report.address, "rep": report.reporter, "contact": report.reporter_contact, "actor": caller.actor,
        "scope": caller.scope, "back": back, "answer": answer}).one()
    if row.outcome in ("created", "existing"):  # the same report sent twice (a retry) is the same problem
        return Received(row.new_id, row.new_at, row.answer)
    if row.outcome == "category":
        category(session, report.category)  # raises with the reason
    if row.outcome == "source":
        check_source(session, report.source)  # raises with the list of sources
    if row.outcome == "scope":
        raise InvalidInput(f"the location is outside your region {caller.scope}", field="lon")
    if row.outcome == "old_month":
        raise InvalidInput(f"reports more than {back} months old are loaded by an admin (ccgrid import problems)",
                           field="reported_at")
    raise InvalidInput(f"({report.lon:.6f}, {report.lat:.6f}) is outside every region of the city", field="lon")


def intake(session: Session, report: Report, *, caller: Caller) -> int:
    """`receive`, for callers that need only the problem id."""
    return receive(session, report, caller=caller).id


PERSONAL_FIELDS = ("reporter", "reporter_contact")  # listed only for roles that see personal data


# What a report's answer shows a caller who may not read the ledger (the public): the report and where it was routed
# (places, not people). Owners, history (actors are token labels) and the reporter's own data stay out.
PUBLIC_FIELDS = ("id", "external_id", "category_code", "category_name", "category_group", "source", "source_name",
                 "status", "status_name", "final", "description", "address", "lon", "lat", "reported_at",
                 "region_code", "district_code", "grid_cell_id", "grid_cell_code", "street_id", "street_name",
                 "street_distance_m", "point_id", "point_name", "point_type", "duplicate_of", "duplicates",
                 "dispatched_at", "due_at", "closed_at", "overdue", "updated_at")


def public_json(problem_json: str) -> str:
    """A problem's JSON (as `get_json` writes it) cut down to PUBLIC_FIELDS."""
    problem = json.loads(problem_json)
    return json.dumps({k: problem[k] for k in PUBLIC_FIELDS if k in problem}, ensure_ascii=False)


def get_json(session: Session, pid: int, *, at: datetime | None = None, scope: str | None = None,
             with_contact: bool = False) -> str:
    """One problem with its routing, owners, history and duplicate ids, as JSON text. `at`, when the caller knows
    when it was reported, spares looking up its month."""
    # Typed, so an id beyond 64 bits is a value error (422), not a call to a function that does not exist.
    out = session.execute(text("SELECT ccgrid_problem_json(CAST(:i AS bigint), CAST(:t AS timestamptz), "
                               "CAST(:scope AS text), CAST(:c AS boolean))"),
                          {"i": pid, "t": at, "scope": scope, "c": with_contact}).scalar()
    if out is None:
        raise NotFound(f"problem {pid} not found", field="id")
    return out


def get(session: Session, pid: int, *, at: datetime | None = None, scope: str | None = None,
        with_contact: bool = False) -> dict[str, Any]:
    """`get_json`, decoded (times as ISO 8601 text, as the API sends them)."""
    return json.loads(get_json(session, pid, at=at, scope=scope, with_contact=with_contact))


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
    """The ledger filtered (duplicates listed too), newest first: layers/ledger/listing.py has every filter."""
    from layers.ledger import listing  # it reads this module's PERSONAL_FIELDS

    q = listing.ProblemQuery(scope=scope, status=status, category=category, source=source, overdue=overdue,
                             due_within_hours=due_within_hours, since=since, until=until, bbox=bbox,
                             owner_person_id=owner_person_id)
    return listing.search(session, q, limit=limit, offset=offset, with_contact=with_contact)
