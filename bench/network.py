"""The walking network at city scale: building it from the streets, a one-street edit, and the 15-minute living
circle for every one of its facility types over the whole city. Targets: build < 60 s, reach for the whole city
< 2 s. Baselines in the same run: noding the whole street layer with PostGIS's ST_Node (no snapping, no ids, no
update), and the straight-line reach of the same types (buffers, `method=straight_line`).

    .venv/bin/python -m bench.network --scale city
"""

from __future__ import annotations

import time

from shapely.geometry import LineString
from sqlalchemy import text

from bench.common import console, ms, p, parser, prepare, timings
from gis.db import transaction
from layers.analytics import gaps, planning
from layers.network import build, reach
from layers.spatial.catalog import LAYERS
from layers.spatial.writer import prepare as prepare_rows
from layers.spatial.writer import write


def _build() -> dict:
    with transaction() as s:
        s.execute(text("SET LOCAL statement_timeout = 0"))
        return build.rebuild(s)


def _st_node() -> None:
    with transaction() as s:
        s.execute(text("SET LOCAL statement_timeout = 0"))
        s.execute(text("SELECT count(*) FROM ST_Dump(ST_Node((SELECT ST_Collect(geom_m) FROM streets)))")).scalar()


def _edit() -> None:
    """One new street across the middle of the first urban block (written, the network updated, rolled back)."""
    with transaction() as s:
        x, y = s.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) AS c FROM streets "
                              "WHERE road_class = 'branch' ORDER BY id LIMIT 1) q")).one()
        rows, _ = prepare_rows(LAYERS["streets"], [(1, {"code": "BENCH-EDIT", "name": "测试路", "road_class": "branch"},
                                                    LineString([(x - 0.0005, y - 0.0005), (x + 0.0005, y + 0.0005)]))])
        write(s, LAYERS["streets"], rows, actor="bench")
        s.rollback()


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    prepare(args.scale, None)
    repeat = max(1, args.repeat // 2)
    built = _build()
    console.print(f"[bold]walking network[/bold], scale {args.scale}: {built['streets']:,} street segments → "
                  f"{built['edges']:,} edges, {built['nodes']:,} nodes, {built['km']:,} km")
    builds = timings(_build, repeat, warmup=0)
    t = time.perf_counter()
    _st_node()
    st_node = time.perf_counter() - t
    console.print(f"  build: p50 {p(builds, 50):.1f} s (target < 60 s); baseline ST_Node of every street "
                  f"{st_node:.1f} s")
    edits = timings(_edit, args.repeat)
    console.print(f"  one-street edit written and the network updated around it: p50 {ms(p(edits, 50))}")
    with transaction() as s:
        s.execute(text("SET LOCAL statement_timeout = 0"))  # the straight-line baseline is slow at this scale
        facilities = reach.resolve(s, preset="15min")
        names = [f.point_type for f in facilities]
        cells = s.execute(text("SELECT count(*) FROM grid_cells")).scalar()
        result = reach.analyse(s, facilities, geometry=False)
        network_reach = timings(lambda: reach.analyse(s, facilities, geometry=False), args.repeat)
        per = ", ".join(f"{f['facility']} {f['area_share']:.0%}" for f in result["facilities"])
        console.print(f"  15-minute circle, {len(facilities)} facility types, {cells:,} cells, whole city: "
                      f"p50 {ms(p(network_reach, 50))}, p95 {ms(p(network_reach, 95))} (target < 2 s)")
        console.print(f"    cell area inside reach: {per}")
        drawn = timings(lambda: reach.analyse(s, facilities, geometry=True, limit=20_000), repeat)
        console.print(f"  the same with the geometry (reached streets and cells outside, ≤ 20,000 each): "
                      f"p50 {ms(p(drawn, 50))}")
        indicators = timings(lambda: planning.indicators(s, level="community"), repeat)
        console.print(f"  planning indicators of every community: p50 {ms(p(indicators, 50))}")
        t = time.perf_counter()
        gaps.gaps(s, kinds=["service"], facility=names, geometry=False)
        console.print(f"  baseline straight-line buffers of the same types, once: {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
