"""Heatmap benchmark: 250 m hexagons over the whole city, unfiltered and with a category + 90-day filter; then
every hexagon size the page picks from the zoom (250 m – 20 km), all time, as the page asks (the city's extent as
the view) and without a view, each against binning every report for the same cells.

Baselines measured in the same run:
- raw: the best single SQL statement for the same answer (arithmetic binning, GeoJSON built in SQL, one string out);
  target: the service within 1.3× of it; for the unfiltered view, also a hand-written query over the pre-binned
  counts the service reads (migration 0008);
- naive: ST_HexagonGrid over the city's extent joined to the reports with ST_Intersects (the textbook way);
- payload: a page that ships every report as a marker vs the heatmap's cells; target: cells < 5% of it.

    .venv/bin/python -m bench.heatmap --scale city --reports 1000000
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench.common import console, ms, p, parser, prepare, timings
from gis.aggregate import bin_columns, cell_geometry
from gis.db import transaction
from layers.analytics import heatmap as heatmap_module
from layers.analytics.heatmap import heatmap, heatmap_json
from layers.ledger import bins
from layers.ledger.filters import ProblemFilter, flag_params

SIZE = 250.0


def _raw_sql(where: str) -> str:
    i, j = bin_columns("hex", "x_m", "y_m", str(SIZE))
    geom = cell_geometry("hex", str(SIZE), "i", "j", "ccgrid_metric_srid()")
    return f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(json_build_object(
                 'type', 'Feature', 'geometry', ST_AsGeoJSON(ST_Transform({geom}, 4490), 6, 0)::json,
                 'properties', json_build_object('count', n, 'open', o, 'overdue', d))))::text
        FROM (SELECT {i} AS i, {j} AS j, count(*) AS n,
                     count(*) FILTER (WHERE status NOT IN ('closed', 'rejected')) AS o,
                     count(*) FILTER (WHERE status NOT IN ('closed', 'rejected', 'rectified', 'verified')
                                      AND due_at < now()) AS d
              FROM problems WHERE duplicate_of IS NULL AND {where} GROUP BY 1, 2) b"""


def _raw_bins_sql() -> str:
    """The service's unfiltered answer (same cells, ids, properties and order) as one hand-written query over the
    pre-binned counts it reads (migration 0008)."""
    i, j = bin_columns("hex", "x_m", "y_m", str(SIZE))
    geom = cell_geometry("hex", str(SIZE), "b.i", "b.j", "ccgrid_metric_srid()")
    area_km2 = 1.5 * 3**0.5 * SIZE**2 / 1e6
    return f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(json_build_object(
                 'type', 'Feature', 'id', b.i || ':' || b.j,
                 'geometry', ST_AsGeoJSON(ST_Transform({geom}, 4490), 6, 0)::json,
                 'properties', json_build_object('count', b.n, 'open', b.o, 'overdue', coalesce(d.n, 0),
                                                 'per_km2', round((b.n / {area_km2}::float8)::numeric, 1)))
                 ORDER BY b.n DESC, b.i || ':' || b.j),
                 'cell', 'hex', 'size_m', {SIZE}::float8, 'total', sum(b.n), 'max', max(b.n))::text
        FROM (SELECT i, j, sum(n) AS n, sum(n_open) AS o FROM problem_bins WHERE grid = 1 AND span = 'a'
              GROUP BY 1, 2 HAVING sum(n) > 0) b
        LEFT JOIN (SELECT {i} AS i, {j} AS j, count(*) AS n FROM problems
                   WHERE duplicate_of IS NULL AND status IN ('reported', 'registered', 'dispatched', 'in_progress')
                     AND due_at < now() GROUP BY 1, 2) d ON d.i = b.i AND d.j = b.j"""


_NAIVE = f"""
    WITH ext AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 4490), ccgrid_metric_srid()) AS e
                 FROM regions WHERE level = 'district'),
    hex AS (SELECT h.geom, ST_Transform(h.geom, 4490) AS g FROM ext, ST_HexagonGrid({SIZE}, ext.e) h)
    SELECT count(*) FROM (SELECT hex.geom, count(*) FROM hex JOIN problems p
                          ON ST_Intersects(hex.g, p.geom) AND p.duplicate_of IS NULL GROUP BY hex.geom) q"""


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    total = prepare(args.scale, args.reports)
    console.print(f"[bold]heatmap[/bold]: {total:,} first reports, scale {args.scale}, 250 m hexagons")
    since = datetime.now(UTC) - timedelta(days=90)
    rows = []
    with transaction() as s:
        s.execute(text("SET LOCAL statement_timeout = 0"))
        cat = s.execute(text("SELECT category_code FROM problems GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")).scalar()
        for label, flt, where, params in [
            ("unfiltered", ProblemFilter(), "true", {}),
            ("category + 90 days", ProblemFilter(category=cat, since=since),
             "category_code = :c AND reported_at >= :since", {"c": cat, "since": since}),
        ]:
            service = timings(lambda flt=flt: heatmap_json(s, cell="hex", size_m=SIZE, filters=flt), args.repeat)
            raw = timings(lambda where=where, params=params: s.execute(text(_raw_sql(where)), params).scalar(),
                          args.repeat)
            got = heatmap(s, cell="hex", size_m=SIZE, filters=flt)
            rows.append((label, got["total"], len(got["features"]), service, raw))
        over_bins = timings(lambda: s.execute(text(_raw_bins_sql())).scalar(), args.repeat)
        naive = timings(lambda: s.execute(text(_NAIVE)).scalar(), max(1, args.repeat // 3), warmup=0)
        cells = heatmap_json(s, cell="hex", size_m=SIZE, filters=ProblemFilter())
        # What a page that ships every report as a marker would carry (id, category, status, position).
        markers = s.execute(text("""
            SELECT sum(length(json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(geom, 6, 0)::json,
                   'properties', json_build_object('id', id, 'category', category_code, 'status', status))::text) + 1)
            FROM problems WHERE duplicate_of IS NULL""")).scalar()
    for label, n, k, service, raw in rows:
        med, rmed = p(service, 50), p(raw, 50)
        console.print(f"  {label:<20} {n:>9,} reports in {k:>6,} cells: service {ms(med)} (p95 {ms(p(service, 95))}), "
                      f"raw SQL {ms(rmed)}, ratio service/raw = {med / rmed:.2f} (target ≤ 1.30)")
    med = p(rows[0][3], 50)
    console.print(f"  unfiltered vs raw SQL over the same pre-binned counts {ms(p(over_bins, 50))}: ratio "
                  f"{med / p(over_bins, 50):.2f} (target ≤ 1.30)")
    speedup = p(naive, 50) / med
    console.print(f"  naive ST_HexagonGrid join: {ms(p(naive, 50))}; service is {speedup:.1f}× faster")
    console.print(f"  payload: cells {len(cells.encode()):,} B vs every report as a marker {markers:,} B "
                  f"= {100 * len(cells.encode()) / markers:.2f}% (target < 5%)")
    _sizes(args.repeat)


def _sizes(repeat: int) -> None:
    """Each pre-binned size, all time: the service as the page asks (the city's extent as the bbox) and for the
    whole city, against binning every report (the unbinned path, same cells and counts)."""
    with transaction() as s:
        s.execute(text("SET LOCAL statement_timeout = 0"))
        view = tuple(s.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                                    "ST_Extent(geom) AS e FROM regions WHERE level = 'district') q")).one())
        where, params = ProblemFilter().sql(s)
        console.print("  | hexagon | cells | as the page asks (city extent) | whole city | binning every report | "
                      "ratio |", soft_wrap=True)
        console.print("  |---|---|---|---|---|---|", soft_wrap=True)
        for size in bins.HEX_GRIDS:
            paged = timings(lambda size=size: heatmap_json(s, cell="hex", size_m=size,
                                                           filters=ProblemFilter(bbox=view)), repeat)
            whole = timings(lambda size=size: heatmap_json(s, cell="hex", size_m=size, filters=ProblemFilter()),
                            repeat)
            raw = {**params, **flag_params(s), "cell": "hex", "size": size, "area_km2": 1.0, "clipped": False}
            live = timings(lambda size=size, raw=raw: s.execute(text(heatmap_module._binned("hex", size, where)),
                                                                raw).scalar(), max(1, repeat // 3))
            n = len(heatmap(s, cell="hex", size_m=size, filters=ProblemFilter())["features"])
            console.print(f"  | {size:,.0f} m | {n:,} | {ms(p(paged, 50))} (p95 {ms(p(paged, 95))}) | "
                          f"{ms(p(whole, 50))} | {ms(p(live, 50))} | {p(live, 50) / p(whole, 50):,.0f}× |",
                          soft_wrap=True)


if __name__ == "__main__":
    main()
