"""Bulk problem import (hotline exports, mock-assessment sheets): COPY into a staging table, route the whole file
set-based there (layers/ledger/placement.py), then write each report once, complete, in time order; owners,
duplicate links and the first event follow as one statement each. Rows carry an external id, so a re-run never
duplicates a report.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.db import batch_job
from gis.errors import InvalidInput
from gis.settings import get_settings
from layers.common.audit import record
from layers.common.tables import read_table
from layers.ledger import bins, partitions
from layers.ledger.calendar import TZ
from layers.ledger.intake import (
    BULK_FROM,
    MAX_AHEAD,
    MAX_DESCRIPTION,
    find_duplicates,
    link_duplicates,
    snapshot_owners,
)
from layers.ledger.placement import route_table
from layers.spatial.writer import Rejection, RowsRejected

ALIASES = {"类别": "category", "问题类别": "category", "来源": "source", "经度": "lon", "纬度": "lat", "lng": "lon",
           "描述": "description", "问题描述": "description", "地址": "address", "上报时间": "reported_at",
           "编号": "external_id", "工单号": "external_id", "id": "external_id"}
Progress = Callable[[str, int, int], None]
EPOCH = pd.Timestamp(0, tz="UTC")
# Progress stages, in order: read and checked, staged, routed, duplicates found, written, owners, first events.
STAGES = ("读取", "暂存", "路由", "重复", "写入", "责任人", "事件")
COLUMNS = ("id, external_id, category_code, source, description, address, reporter, reporter_contact, geom, geom_m, "
           "x_m, y_m, merc_x, merc_y, reported_at, district_code, region_code, grid_cell_id, grid_cell_code, "
           "street_id, street_distance_m, point_id, created_by, duplicate_of")


@dataclass
class ImportResult:
    rows: int = 0
    inserted: int = 0
    already: int = 0
    duplicates_linked: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def _frame(path: Path) -> pd.DataFrame:
    df = read_table(path, ALIASES, "a problems file")
    missing = {"category", "lon", "lat"} - set(df.columns)
    if missing:
        raise InvalidInput(f"missing column(s) {', '.join(sorted(missing))}", field=sorted(missing)[0])
    return df


def import_problems(session: Session, path: Path, *, actor: str, default_source: str = "hotline",
                    skip_invalid: bool = False, progress: Progress | None = None) -> ImportResult:
    """Import a problems file (see the module text); rows that fail a check are refused, all of them at once
    (RowsRejected), unless `skip_invalid`."""
    report = progress or (lambda *_: None)
    batch_job(session, f"the import of {path.name}")
    df = _frame(path)
    n = len(df)
    result = ImportResult(rows=n)
    report(STAGES[0], n, n)
    rows = _checked(session, df, path, default_source, result)
    stage = f"problem_stage_{secrets.token_hex(4)}"
    _stage(session, stage, rows)
    report(STAGES[1], n, n)
    fresh = _new_rows(session, stage)
    report(STAGES[2], 0, 1)
    routed = route_table(session, f"{stage}_new", fresh)
    report(STAGES[2], 1, 1)
    outside = session.execute(text(
        f"SELECT row_no FROM {stage}_new s WHERE NOT EXISTS (SELECT 1 FROM {routed} r WHERE r.id = s.id) "
        "ORDER BY 1")).scalars().all()
    result.rejected += [Rejection(r, "lon", "the location is outside every region of the city") for r in outside]
    result.rejected.sort(key=lambda r: r.row)
    if result.rejected and not skip_invalid:
        raise RowsRejected(result.rejected)
    result.inserted = fresh - len(outside)
    result.already = len(rows) - fresh
    result.duplicates_linked = _write(session, stage, routed, result.inserted, actor, report)
    report(STAGES[4], 1, 1)
    if result.inserted:
        snapshot_owners(session, f"{stage}_rows",
                        staging=f"{stage}_owners" if result.inserted >= BULK_FROM else None)
        report(STAGES[5], 1, 1)
        session.execute(text(f"""
            INSERT INTO problem_events (problem_id, problem_reported_at, district_code, at, actor, action,
                                        to_status, note)
            SELECT id, reported_at, district_code, reported_at, :actor, '上报', 'reported', '批量导入'
            FROM {stage}_rows"""), {"actor": actor})
    for suffix in ("_links", "_rows", "_new_routed", "_new", ""):
        session.execute(text(f"DROP TABLE {stage}{suffix}"))
    report(STAGES[6], 1, 1)
    record(session, actor, "bulk_report", "problems", None,
           {"file": path.name, "rows": n, "inserted": result.inserted, "already": result.already,
            "rejected": len(result.rejected)})
    return result


def _lookups(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    """Category and source codes by code and by name.

    The rows are written where the reports' statement triggers do not see them (`_write`), so the lookup rows they
    name are locked here instead: deleting or renaming one waits for this import, then finds its reports."""
    cats, srcs = {}, {}
    for code, name in session.execute(text(
            "SELECT code, name FROM problem_categories WHERE parent_code IS NOT NULL AND active FOR KEY SHARE")):
        cats[code] = cats[name] = code
    for code, name in session.execute(text("SELECT code, name FROM problem_sources FOR KEY SHARE")):
        srcs[code] = srcs[name] = code
    session.execute(text("SELECT 1 FROM problem_statuses WHERE code = 'reported' FOR KEY SHARE"))
    return cats, srcs


def _checked(session: Session, df: pd.DataFrame, path: Path, default_source: str,
             result: ImportResult) -> pd.DataFrame:
    """The rows that pass every check, as they are staged; the others are added to `result.rejected`.
    Vectorised: each column once, not a Python loop per row."""
    cats, srcs = _lookups(session)
    n = len(df)
    row_no = pd.Series(range(1, n + 1))
    category = df["category"].str.strip().map(cats)
    source = (df["source"].fillna(default_source) if "source" in df else pd.Series([default_source] * n))
    source = source.str.strip().map(srcs)
    lon = pd.to_numeric(df["lon"], errors="coerce")
    lat = pd.to_numeric(df["lat"], errors="coerce")
    at = (pd.to_datetime(df["reported_at"], errors="coerce", format="mixed") if "reported_at" in df
          else pd.Series([pd.NaT] * n))
    description = df["description"].fillna("") if "description" in df else pd.Series([""] * n)
    # A time without a zone is Beijing time.
    at_local = at.dt.tz_localize(TZ, nonexistent="NaT", ambiguous="NaT") if at.dt.tz is None else at
    checks = [
        (category.isna(), "category", "unknown problem category"),
        (source.isna(), "source", "unknown source"),
        (lon.isna() | lat.isna() | ~lon.between(-180, 180) | ~lat.between(-90, 90), "lon",
         "longitude/latitude missing or out of range"),
        (description.str.len() > MAX_DESCRIPTION, "description", f"longer than {MAX_DESCRIPTION} characters"),
    ]
    if "reported_at" in df:
        checks.append((df["reported_at"].notna() & at.isna(), "reported_at", "not a date/time"))
        checks.append((at_local > pd.Timestamp.now(tz=TZ) + MAX_AHEAD, "reported_at", "in the future"))
        start = get_settings().archive_start
        checks.append((at_local < pd.Timestamp(start, tz=TZ), "reported_at",
                       f"before the city's archive start {start:%Y-%m-%d}"))
    bad = pd.Series(False, index=df.index)
    for mask, fld, reason in checks:
        mask = mask & ~bad
        result.rejected += [Rejection(int(r), fld, reason) for r in row_no[mask.to_numpy()]]
        bad |= mask
    ext = df["external_id"] if "external_id" in df else pd.Series([None] * n)
    ext = ext.where(ext.notna(), None)
    ext = ext.fillna(path.name + "#" + row_no.astype(str))  # a file without ids: its name and row are the id
    ok = ~bad
    return pd.DataFrame({"row_no": row_no[ok], "external_id": ext[ok], "category_code": category[ok],
                         "source": source[ok], "lon": lon[ok], "lat": lat[ok], "description": description[ok],
                         "address": df["address"][ok] if "address" in df else None,
                         # seconds since 1970 as a number: formatting a million dates as text costs ~10 s
                         "reported_epoch": (at_local[ok] - EPOCH) / pd.Timedelta(seconds=1)})


def _stage(session: Session, stage: str, rows: pd.DataFrame) -> None:
    """COPY the checked rows into the new work table `stage`."""
    # Unlogged work tables (not temporary ones): parallel workers can read them. They live in this transaction.
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    session.execute(text(
        f"CREATE UNLOGGED TABLE {stage} (row_no int, external_id text, category_code text, source text, "
        "lon float8, lat float8, description text, address text, reported_epoch float8)"))
    buf = io.StringIO()
    rows.to_csv(buf, header=False, index=False)
    dbapi = session.connection().connection.dbapi_connection
    with dbapi.cursor() as cur, cur.copy(f"COPY {stage} FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def _new_rows(session: Session, stage: str) -> int:
    """Make `<stage>_new`: the staged rows not imported before, with their point and derived coordinates; returns
    their number.

    Rows whose external id is known (a re-run) or came earlier in the file are not imported again. Keyed by row
    number while they are routed: a sequence in this statement would keep it on one core (nextval is not
    parallel-safe), and the coordinate transforms here are the costliest per-row work of the routing. Each
    transform runs once (metric x/y for distances and binning, web mercator for tiles; a row trigger does the same
    for writers that leave them out, at ~70 µs a row); the metric SRID is a bound value, since
    ccgrid_metric_srid() is a lookup that would run once per row."""
    session.execute(text(f"""
        CREATE UNLOGGED TABLE {stage}_new AS
        SELECT s.row_no::bigint AS id, s.row_no, s.external_id, s.category_code, s.source,
               coalesce(s.description, '') AS description, s.address, s.lon, s.lat, pt.g AS geom,
               coalesce(to_timestamp(s.reported_epoch), now()) AS reported_at,
               derived.gm AS geom_m, ST_X(derived.gm) AS x_m, ST_Y(derived.gm) AS y_m, ST_X(derived.gw) AS merc_x,
               ST_Y(derived.gw) AS merc_y
        FROM {stage} s CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4490) AS g) pt
        CROSS JOIN LATERAL (
            SELECT ST_Transform(pt.g, CAST(:srid AS int)) AS gm, ST_Transform(pt.g, 3857) AS gw) AS derived
        WHERE NOT EXISTS (SELECT 1 FROM problem_external_ids e WHERE e.external_id = s.external_id)
          AND NOT EXISTS (SELECT 1 FROM {stage} t WHERE t.external_id = s.external_id AND t.row_no < s.row_no)
        """), {"srid": session.execute(text("SELECT ccgrid_metric_srid()")).scalar_one()})
    return session.execute(text(f"SELECT count(*) FROM {stage}_new")).scalar_one()


def _write(session: Session, stage: str, routed: str, inserted: int, actor: str, report: Progress) -> int:
    """Write the routed new reports (`<stage>_rows`), linked to their masters, month by month; returns the number
    of duplicates linked."""
    # A big batch is linked to its masters before it is written, so each report is written once, linked (masters
    # carry no counter to update: migration 0012); a small one is linked after (one probe per report needs them
    # stored).
    staged = inserted >= BULK_FROM
    per_month = dict(session.execute(text(
        f"SELECT date_trunc('month', reported_at), count(*) FROM {stage}_new GROUP BY 1")).all())
    # A month with no partition yet that gets many reports (a city's first import of its archive) is loaded bare
    # and attached, its indexes built in bulk; the other months are made now, in a short transaction of their own.
    new_months = partitions.absent(session, list(per_month)) if staged else []
    bulk_months = sorted(m for m in new_months if per_month[m] >= partitions.BULK_MONTH_FROM)
    partitions.ensure_months(session, [m for m in per_month if m not in bulk_months])
    # Each report is written once, complete, in time order (so each month's partition fills in one run). It gets
    # its problem id here.
    session.execute(text(f"""
        CREATE UNLOGGED TABLE {stage}_rows AS
        SELECT nextval('problems_id_seq') AS id, s.row_no, s.external_id, s.category_code, s.source, s.description,
               s.address, s.lon, s.lat, s.geom, s.reported_at, s.geom_m, s.x_m, s.y_m, s.merc_x, s.merc_y,
               left(r.region_code, 6)::char(6) AS district_code, r.region_code, r.grid_cell_id,
               r.grid_cell_code, r.street_id, r.street_distance_m, r.point_id
        FROM {stage}_new s JOIN {routed} r ON r.id = s.id"""))
    # Written month by month: each month's rows are read through this index, not by scanning all of them again.
    session.execute(text(f"CREATE INDEX ON {stage}_rows (reported_at)"))
    session.execute(text(f"ANALYZE {stage}_rows"))
    links = find_duplicates(session, f"{stage}_rows", inserted, staged=True) if staged else {}
    session.execute(text(f"""
        CREATE UNLOGGED TABLE {stage}_links AS
        SELECT * FROM unnest(CAST(:r AS bigint[]), CAST(:m AS bigint[])) AS l(report, master)"""),
        {"r": list(links), "m": [v[0] for v in links.values()]})
    report(STAGES[3], 1, 1)
    # One month's rows (`:m`, its first instant), linked, in the order to store them.
    one_month = f"""
        SELECT s.id, s.external_id, s.category_code, s.source, s.description, s.address, NULL, NULL, s.geom, s.geom_m,
               s.x_m, s.y_m, s.merc_x, s.merc_y, s.reported_at, s.district_code, s.region_code, s.grid_cell_id,
               s.grid_cell_code, s.street_id, s.street_distance_m, s.point_id, :actor, l.master
        FROM {stage}_rows s
        LEFT JOIN {stage}_links l ON l.report = s.id
        WHERE s.reported_at >= CAST(:m AS timestamptz) AND s.reported_at < CAST(:m AS timestamptz) + interval '1 month'
        ORDER BY s.reported_at, s.id"""
    # Each month's rows go straight into its partition: the reports' statement triggers (pre-binned counts, lookup
    # keys) see only statements on the reports table itself, and their work is done here in one pass each (keeping
    # the counts from the INSERT's captured rows cost 15 of its 40 s per million).
    loaded = partitions.load_new_months(session, bulk_months, COLUMNS, one_month, {"actor": actor}) \
        if bulk_months else []
    partitions.insert_months(session, [m for m in sorted(per_month) if m not in loaded], COLUMNS, one_month,
                             {"actor": actor})
    bins.count(session, [f"""(SELECT s.x_m, s.y_m, s.merc_x, s.merc_y, s.region_code, s.reported_at,
                                     'reported' AS status, s.category_code, l.master AS duplicate_of
                              FROM {stage}_rows s LEFT JOIN {stage}_links l ON l.report = s.id) AS r"""])
    session.execute(text(f"""
        INSERT INTO problem_external_ids (external_id, problem_id, reported_at)
        SELECT external_id, id, reported_at FROM {stage}_rows"""))
    return len(links) if staged else link_duplicates(session, f"{stage}_rows", inserted)
