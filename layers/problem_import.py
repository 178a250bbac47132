"""Bulk problem import (hotline exports, mock-assessment sheets): COPY into a staging table, then one INSERT and one
routing pass in PostGIS for the whole file. Rows carry an external id, so a re-run never duplicates a report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from layers.audit import record
from layers.problems import MAX_DESCRIPTION, route
from layers.tables import read_table
from layers.writer import Rejection, RowsRejected

ALIASES = {"类别": "category", "问题类别": "category", "来源": "source", "经度": "lon", "纬度": "lat", "lng": "lon",
           "描述": "description", "问题描述": "description", "地址": "address", "上报时间": "reported_at",
           "编号": "external_id", "工单号": "external_id", "id": "external_id"}
Progress = Callable[[str, int, int], None]


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
    report = progress or (lambda *_: None)
    df = _frame(path)
    n = len(df)
    result = ImportResult(rows=n)
    report("读取", n, n)
    cats = dict(session.execute(text(
        "SELECT code, code FROM problem_categories WHERE parent_code IS NOT NULL AND active "
        "UNION ALL SELECT name, code FROM problem_categories WHERE parent_code IS NOT NULL AND active")).all())
    srcs = dict(session.execute(text("SELECT code, code FROM problem_sources UNION ALL "
                                     "SELECT name, code FROM problem_sources")).all())
    # Vectorised checks: each column once, not a Python loop per row.
    row_no = pd.Series(range(1, n + 1))
    category = df["category"].str.strip().map(cats)
    source = (df["source"].fillna(default_source) if "source" in df else pd.Series([default_source] * n))
    source = source.str.strip().map(srcs)
    lon = pd.to_numeric(df["lon"], errors="coerce")
    lat = pd.to_numeric(df["lat"], errors="coerce")
    at = (pd.to_datetime(df["reported_at"], errors="coerce", format="mixed") if "reported_at" in df
          else pd.Series([pd.NaT] * n))
    description = df["description"].fillna("") if "description" in df else pd.Series([""] * n)
    checks = [
        (category.isna(), "category", "unknown problem category"),
        (source.isna(), "source", "unknown source"),
        (lon.isna() | lat.isna() | ~lon.between(-180, 180) | ~lat.between(-90, 90), "lon",
         "longitude/latitude missing or out of range"),
        (description.str.len() > MAX_DESCRIPTION, "description", f"longer than {MAX_DESCRIPTION} characters"),
    ]
    if "reported_at" in df:
        checks.append((df["reported_at"].notna() & at.isna(), "reported_at", "not a date/time"))
    bad = pd.Series(False, index=df.index)
    for mask, fld, reason in checks:
        mask = mask & ~bad
        result.rejected += [Rejection(int(r), fld, reason) for r in row_no[mask.to_numpy()]]
        bad |= mask
    ext = df["external_id"] if "external_id" in df else pd.Series([None] * n)
    ext = ext.where(ext.notna(), None)
    ext = ext.fillna(path.name + "#" + row_no.astype(str))  # a file without ids: its name and row are the id
    at_local = at.dt.tz_localize("Asia/Shanghai", nonexistent="NaT", ambiguous="NaT") if at.dt.tz is None else at

    session.execute(text("DROP TABLE IF EXISTS pg_temp.problem_stage"))
    session.execute(text(
        "CREATE TEMP TABLE problem_stage (row_no int, external_id text, category_code text, source text, "
        "lon float8, lat float8, description text, address text, reported_at timestamptz) ON COMMIT DROP"))
    address = df["address"] if "address" in df else pd.Series([None] * n)
    ok = ~bad
    dbapi = session.connection().connection.dbapi_connection
    with dbapi.cursor() as cur, cur.copy(
        "COPY problem_stage (row_no, external_id, category_code, source, lon, lat, description, address, "
        "reported_at) FROM STDIN"
    ) as copy:
        for rec in zip(row_no[ok], ext[ok], category[ok], source[ok], lon[ok], lat[ok], description[ok],
                       address[ok], at_local[ok], strict=True):
            copy.write_row([None if (isinstance(v, float) and v != v) or v is pd.NaT else v for v in rec])
    report("检查", n, n)
    outside = session.execute(text(
        "SELECT s.row_no FROM problem_stage s WHERE NOT EXISTS (SELECT 1 FROM regions r WHERE r.level = 'district' "
        "AND ST_Intersects(r.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4490))) ORDER BY 1")).scalars().all()
    result.rejected += [Rejection(r, "lon", "the location is outside every region of the city") for r in outside]
    result.rejected.sort(key=lambda r: r.row)
    if result.rejected and not skip_invalid:
        raise RowsRejected(result.rejected)
    session.execute(text("DELETE FROM problem_stage WHERE row_no = ANY(:b)"), {"b": list(outside)})
    ids = session.execute(text("""
        INSERT INTO problems (external_id, category_code, source, description, address, geom, reported_at,
                              created_by)
        SELECT external_id, category_code, source, coalesce(description, ''), address,
               ST_SetSRID(ST_MakePoint(lon, lat), 4490), coalesce(reported_at, now()), :actor
        FROM problem_stage ORDER BY reported_at NULLS LAST, row_no
        ON CONFLICT (external_id) DO NOTHING RETURNING id"""), {"actor": actor}).scalars().all()
    staged = session.execute(text("SELECT count(*) FROM problem_stage")).scalar_one()
    result.inserted, result.already = len(ids), staged - len(ids)
    report("路由", 0, 1)
    if ids:
        result.duplicates_linked = route(session, list(ids))
        session.execute(text(
            "INSERT INTO problem_events (problem_id, at, actor, action, to_status, note) "
            "SELECT p.id, p.reported_at, :actor, '上报', 'reported', '批量导入' FROM route_batch b "
            "JOIN problems p ON p.id = b.id"), {"actor": actor})
    report("路由", 1, 1)
    record(session, actor, "bulk_report", "problems", None,
           {"file": path.name, "rows": n, "inserted": result.inserted, "already": result.already,
            "rejected": len(result.rejected)})
    return result
