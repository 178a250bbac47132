"""The pre-binned counts of migration 0025: the heatmap's coarser hexagons and the filtered problem tiles give the
answer counting the reports gives, after every kind of write."""

import json
import math
from datetime import UTC, datetime

import mapbox_vector_tile
import numpy as np
import pytest
from sqlalchemy import text

from gis.db import transaction
from gis.mvt import tile_box, tile_of
from layers.access.caller import SYSTEM
from layers.analytics import heatmap, tiles
from layers.ledger import bins, lifecycle
from layers.ledger import intake as problems
from layers.ledger.bulk_import import import_problems
from layers.ledger.filters import ProblemFilter, flag_params

TILE_FILTERS = [ProblemFilter(status="open"), ProblemFilter(category="占道经营"), ProblemFilter(category="04"),
                ProblemFilter(status="closed"), ProblemFilter(status="reported", category="暴露垃圾"),
                ProblemFilter(status="open", category="04", scope="411421001"), ProblemFilter(scope="411421001")]


def _spot(s):
    return s.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) AS c FROM grid_cells "
                          "WHERE region_code LIKE '411421001%' ORDER BY id LIMIT 1) x")).one()


def _write_everything(s) -> list[int]:
    """Reports taken (one a duplicate of another), moved through their statuses, closed, re-categorised, moved,
    deleted: every kind of write the triggers see."""
    lon, lat = _spot(s)
    where = (("暴露垃圾", 0), ("暴露垃圾", 0), ("占道经营", 0.004), ("占道经营", 0.02), ("乱贴乱画", 0.05))
    pids = [problems.intake(s, problems.Report(category=c, source="patrol", lon=lon + dx, lat=lat), caller=SYSTEM)
            for c, dx in where]
    lifecycle.transition(s, pids[0], "立案", caller=SYSTEM)
    s.execute(text("UPDATE problems SET status = 'closed', closed_at = now() WHERE id = :i"), {"i": pids[2]})
    s.execute(text("UPDATE problems SET category_code = '0101' WHERE id = :i"), {"i": pids[3]})
    s.execute(text("UPDATE problems SET merc_x = merc_x + 90, merc_y = merc_y - 40, x_m = x_m + 75, y_m = y_m - 33 "
                   "WHERE id = :i"), {"i": pids[3]})
    s.execute(text("DELETE FROM problems WHERE id = :i"), {"i": pids[4]})
    # Some older reports closed and overdue, so every flag and status has members.
    s.execute(text("UPDATE problems SET status = 'closed', closed_at = now() WHERE id IN "
                   "(SELECT id FROM problems WHERE duplicate_of IS NULL ORDER BY id LIMIT 60)"))
    s.execute(text("UPDATE problems SET due_at = now() - interval '2 days' WHERE id IN "
                   "(SELECT id FROM problems WHERE status = 'reported' ORDER BY id DESC LIMIT 40)"))
    return pids


def _raw_heatmap(s, f, size):
    where, params = f.sql(s)
    params.update({**flag_params(s), "cell": "hex", "size": size, "area_km2": 1.0, "clipped": False})
    return json.loads(s.execute(text(heatmap._binned("hex", size, where)), params).scalar_one())


def _cells(fc):
    return {f["id"]: (f["properties"]["count"], f["properties"]["open"], f["properties"]["overdue"])
            for f in fc["features"]}


def _decoded(tile: bytes):
    features = mapbox_vector_tile.decode(tile)["problems"]["features"] if tile else []
    return sorted((f["properties"]["count"], f["properties"]["open"], f["properties"]["overdue"],
                   tuple(f["geometry"]["coordinates"])) for f in features)


def _raw_tile(s, monkeypatch, f, z, x, y):
    with monkeypatch.context() as m:
        m.setattr(bins, "tile_sql", lambda *a, **k: None)
        return tiles.tile(s, "problems", z, x, y, filters=f)


def _month_filters():
    month = datetime.now(UTC).astimezone(bins.TZ).date().replace(day=1)
    since = datetime(month.year, month.month, 1, tzinfo=bins.TZ)
    return [ProblemFilter(), ProblemFilter(scope="411421001"), ProblemFilter(since=since),
            ProblemFilter(since=datetime(2026, 3, 1, tzinfo=bins.TZ), until=datetime(2026, 5, 1, tzinfo=bins.TZ),
                          scope="411421")]


def test_every_pre_binned_hexagon_size_equals_counting_the_reports_after_writes(demo):
    with transaction() as s:
        _write_everything(s)
        for size in bins.HEX_GRIDS:
            for f in _month_filters():
                assert bins.heatmap_sql(s, f, size) is not None
                got = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=size, filters=f))
                assert _cells(got) == _cells(_raw_heatmap(s, f, size)), (size, f)
                assert got["total"] > 0 or f.since
            # Whole months of the city: the cells hold every first report once.
            got = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=size, filters=ProblemFilter()))
            assert got["total"] == s.execute(text("SELECT count(*) FROM problems WHERE duplicate_of IS NULL")).scalar()
        s.rollback()


def test_filtered_tiles_from_bins_equal_clustering_the_reports_after_writes(demo, monkeypatch):
    with transaction() as s:
        _write_everything(s)
        lon, lat = _spot(s)
        for z in (8, 10, 11, 12):
            x, y = tile_of(lon, lat, z)
            for f in TILE_FILTERS:
                assert bins.tile_sql(s, z, f) is not None, f
                fast = _decoded(tiles.tile(s, "problems", z, x, y, filters=f))
                assert fast == _decoded(_raw_tile(s, monkeypatch, f, z, x, y)), (z, f)
                assert fast or f.status == "closed"
        # The counts carry the writes: the 未办结 tile lost the closed reports, and gained none of the deleted one.
        x, y = tile_of(lon, lat, 8)
        total = sum(c[0] for c in _decoded(tiles.tile(s, "problems", 8, x, y, filters=ProblemFilter(status="open"))))
        x0, y0, x1, y1 = tile_box(8, x, y)
        assert total == s.execute(text(
            "SELECT count(*) FROM problems WHERE duplicate_of IS NULL AND status NOT IN ('closed', 'rejected') "
            "AND region_code IS NOT NULL AND merc_x >= :x0 AND merc_x < :x1 AND merc_y >= :y0 AND merc_y < :y1"),
            {"x0": x0, "y0": y0, "x1": x1, "y1": y1}).scalar() > 0
        s.rollback()


def test_an_import_keeps_the_new_bins(demo, tmp_path, monkeypatch):
    # Rows written straight into their months are counted by the import itself, category included.
    rng = np.random.default_rng(5)
    path = tmp_path / "dense.csv"
    with path.open("w") as fh:
        fh.write("工单号,问题类别,来源,经度,纬度,上报时间\n")
        for i in range(300):
            lon, lat = 115.15 + rng.normal(0, 0.004), 34.652 + rng.normal(0, 0.004)
            fh.write(f"M{i},{('暴露垃圾', '占道经营', '乱贴乱画')[i % 3]},热线,{lon:.6f},{lat:.6f},"
                     f"2026-0{3 + i % 2}-{1 + i % 9:02d}T09:{i % 60:02d}\n")
    with transaction() as s:
        assert import_problems(s, path, actor="test").inserted == 300
        for size in (500.0, 2000.0):
            for f in _month_filters():
                got = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=size, filters=f))
                assert _cells(got) == _cells(_raw_heatmap(s, f, size))
        x, y = tile_of(115.15, 34.652, 11)
        for f in TILE_FILTERS:
            assert _decoded(tiles.tile(s, "problems", 11, x, y, filters=f)) \
                == _decoded(_raw_tile(s, monkeypatch, f, 11, x, y))
        s.rollback()


def test_what_the_bins_do_not_keep_is_counted_from_the_reports(demo):
    with transaction() as s:
        assert bins.heatmap_sql(s, ProblemFilter(), 300.0) is None  # not a size the page offers
        assert bins.heatmap_sql(s, ProblemFilter(category="占道经营"), 2000.0) is None
        assert bins.heatmap_sql(s, ProblemFilter(since=datetime(2026, 3, 2, tzinfo=bins.TZ)), 2000.0) is None
        assert bins.tile_sql(s, 13, ProblemFilter(status="open")) is None
        assert bins.tile_sql(s, 9, ProblemFilter(status="overdue")) is None  # changes with the clock
        assert bins.tile_sql(s, 9, ProblemFilter(source="hotline")) is None
        assert bins.tile_sql(s, 9, ProblemFilter(category="占道经营", since=datetime(2026, 3, 1, tzinfo=bins.TZ))) \
            is None


@pytest.mark.parametrize("z", [8, 11, 13, 15])
def test_an_overdue_tile_is_its_overdue_reports(demo, z):
    # Not binned: clustered from the reports past their deadline (by the status/deadline index at a city's zoom).
    with transaction() as s:
        _write_everything(s)
        lon, lat = _spot(s)
        x, y = tile_of(lon, lat, z)
        got = _decoded(tiles.tile(s, "problems", z, x, y, filters=ProblemFilter(status="overdue")))
        assert got and all(c[0] == c[2] for c in got)  # every report in it overdue
        s.rollback()


def test_the_position_index_serves_the_tiles_and_a_point_on_a_tile_edge_is_in_one_tile(demo):
    from gis.mvt import MERC_HALF, merc_column, tile_box

    with transaction() as s:
        lon, lat = _spot(s)
        z = 16
        x, y = tile_of(lon, lat, z)
        west, south, east, north = tile_box(z, x, y)
        # Reports on both sides of the tile's east edge, to the last bit, and on its west edge.
        ids = s.execute(text("SELECT id FROM problems WHERE duplicate_of IS NULL ORDER BY id LIMIT 3")).scalars().all()
        for pid, mx in zip(ids, (math.nextafter(east, -math.inf), east, west), strict=True):
            s.execute(text("UPDATE problems SET merc_x = :x, merc_y = :y WHERE id = :i"),
                      {"x": mx, "y": (south + north) / 2, "i": pid})

        def counted(z, x, y):
            return sum(c[0] for c in _decoded(tiles.tile(s, "problems", z, x, y)))

        def inside(box):
            return s.execute(text("SELECT count(*) FROM problems WHERE duplicate_of IS NULL AND merc_x >= :w "
                                  "AND merc_x < :e AND merc_y >= :s AND merc_y < :n"),
                             dict(zip("wsen", box, strict=True))).scalar()

        for zz, xx in ((z, x), (z, x + 1), (z - 2, x // 4), (z - 3, (x + 1) // 8)):
            yy = y >> (z - zz)
            assert counted(zz, xx, yy) == inside(tile_box(zz, xx, yy)) > 0, (zz, xx)
        # The tiles' column expression is the index's, so the planner can read the index by it.
        s.execute(text("SET LOCAL enable_seqscan = off"))
        s.execute(text("SET LOCAL enable_bitmapscan = off"))
        col = merc_column("merc_x")
        plan = "\n".join(s.execute(text(f"EXPLAIN SELECT count(*) FROM problems WHERE duplicate_of IS NULL "
                                        f"AND {col} = ANY('{{1,2}}'::int[]) AND merc_y >= 0 AND merc_y < 1"))
                         .scalars())
        assert "Index Only Scan" in plan and any("Index Cond" in line and "floor((" in line
                                                 for line in plan.splitlines()), plan
        assert str(MERC_HALF) in plan
        s.rollback()


def test_a_view_reads_only_its_own_bins_and_keeps_every_cell_that_touches_it(demo, monkeypatch):
    # The bins of a view are first narrowed to the hexagon columns and rows that could touch it; the answer must
    # be the one of testing every cell of the city against the view.
    with transaction() as s:
        _write_everything(s)
        lon, lat = _spot(s)
        views = [(lon - 0.004, lat - 0.003, lon + 0.004, lat + 0.003), (lon - 0.03, lat - 0.02, lon + 0.01, lat + 0.04),
                 (114.8, 34.4, 115.6, 34.9)]
        for size in bins.HEX_GRIDS:
            for view in views:
                f = ProblemFilter(bbox=view)
                narrowed = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=size, filters=f))
                with monkeypatch.context() as m:
                    m.setattr(bins, "_near", lambda *a: "")
                    every = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=size, filters=f))
                assert _cells(narrowed) == _cells(every) and every["features"], (size, view)
                assert narrowed["clipped"] is False
        s.rollback()
