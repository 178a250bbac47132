"""Shared benchmark set-up: the demo city at a scale, plus N generated reports clustered the way real ones are.

Everything runs against the same database the CLI uses (the embedded cluster, or CCGRID_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from sqlalchemy import text

from gis.db import get_engine, transaction
from layers.demo import city as demo
from layers.schema.migrate import migrate

console = Console()
PREFIX = "BENCH-"


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--scale", default="small", choices=sorted(demo.SCALES), help="demo city scale")
    p.add_argument("--reports", type=int, default=200_000, help="generated reports on top of the demo's")
    p.add_argument("--repeat", type=int, default=7, help="timed runs per measurement")
    return p


def prepare(scale: str, reports: int | None) -> int:
    """Load the city and make sure exactly `reports` bench reports exist (None: leave them as they are);
    returns the total of first reports."""
    migrate(get_engine())
    with transaction() as s:
        demo.load(s, scale=scale, seed=2021)
        # The request count of the last generation (a few generated points may fall outside the city and be
        # skipped, so the row count is not it).
        rows = s.execute(text("SELECT count(*) FROM problems WHERE external_id LIKE :p || '%'"),
                         {"p": PREFIX}).scalar_one()
        asked = s.execute(text("SELECT value::int FROM city_settings WHERE key = 'bench_reports'")).scalar()
        have = asked if asked is not None and rows else rows  # a demo reload removes the reports
    if reports is not None and have != reports:
        console.print(f"generating {reports:,} reports (had {have:,}) …")
        with transaction() as s:
            s.execute(text("SET LOCAL statement_timeout = 0"))
            s.execute(text("UPDATE problems SET duplicate_of = NULL WHERE duplicate_of IN "
                           "(SELECT id FROM problems WHERE external_id LIKE :p || '%')"), {"p": PREFIX})
            # Events, owners and photos go with their problems (ON DELETE CASCADE).
            s.execute(text("DELETE FROM problems WHERE external_id LIKE :p || '%'"), {"p": PREFIX})
        if reports:
            import_reports(reports)
        with transaction() as s:
            s.execute(text("INSERT INTO city_settings VALUES ('bench_reports', :n) "
                           "ON CONFLICT (key) DO UPDATE SET value = :n"), {"n": str(reports)})
    with transaction() as s:
        s.execute(text("ANALYZE problems"))
        return s.execute(text("SELECT count(*) FROM problems WHERE duplicate_of IS NULL")).scalar_one()


def report_file(n: int, directory: Path, seed: int = 11) -> Path:
    """A hotline export of n reports over the last year around markets, arterials, old estates and schools."""
    rng = np.random.default_rng(seed)
    with transaction() as s:
        anchors = s.execute(text("""
            SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), 3.0 FROM assessment_points
            WHERE point_type IN ('农贸市场', '老旧小区', '学校周边', '中小学校')
            UNION ALL
            SELECT ST_X(ST_LineInterpolatePoint(geom, 0.5)), ST_Y(ST_LineInterpolatePoint(geom, 0.5)),
                   CASE road_class WHEN 'arterial' THEN 1.0 ELSE 0.1 END
            FROM streets WHERE road_class IN ('arterial', 'secondary', 'branch')""")).all()
        cats = s.execute(text("SELECT code FROM problem_categories WHERE parent_code IS NOT NULL")).scalars().all()
    xy = np.array([(a[0], a[1]) for a in anchors])
    w = np.array([float(a[2]) for a in anchors])
    pick = rng.choice(len(anchors), size=n, p=w / w.sum())
    pts = xy[pick] + rng.normal(0, 40, size=(n, 2)) / [91_000, 111_000]
    cat = np.array(cats)[rng.integers(len(cats), size=n)]
    secs = rng.integers(0, 365 * 86400, size=n)
    now = np.datetime64("now", "s")
    path = directory / "bench-reports.csv"
    with path.open("w") as fh:
        fh.write("external_id,category,source,lon,lat,reported_at\n")
        for i in range(n):
            at = now - np.timedelta64(int(secs[i]), "s")
            fh.write(f"{PREFIX}{i:08d},{cat[i]},hotline,{pts[i, 0]:.6f},{pts[i, 1]:.6f},{at}\n")
    return path


def import_reports(n: int) -> float:
    from layers.ledger.bulk_import import import_problems

    with tempfile.TemporaryDirectory() as tmp:
        path = report_file(n, Path(tmp))
        t = time.perf_counter()
        with transaction() as s:
            s.execute(text("SET LOCAL statement_timeout = 0"))  # a benchmark load, not a request
            import_problems(s, path, actor="bench", skip_invalid=True)
        return time.perf_counter() - t


def timings(fn: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def p(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def token_and_spots(label: str, n: int, where: str = "true", at: float = 0.5) -> tuple[str, list[tuple[float, float]]]:
    """A city-office token for a benchmark's HTTP client, and n places to report from (a point along each of the
    first n street segments matching `where`)."""
    from api.auth import create_token

    with transaction() as s:
        token = create_token(s, role="city_office", label=label, days=1)
        spots = s.execute(text(
            f"SELECT ST_X(ST_LineInterpolatePoint(geom, {at})), ST_Y(ST_LineInterpolatePoint(geom, {at})) "
            f"FROM streets WHERE {where} ORDER BY id LIMIT :n"), {"n": n}).all()
    return token, [(float(x), float(y)) for x, y in spots]
