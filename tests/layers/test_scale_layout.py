"""The layout for scale: monthly partitions, archiving, the two routing plans, pre-binned counts kept current."""

import json
from datetime import UTC, datetime

import mapbox_vector_tile
import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from api.cli import app
from gis.db import transaction
from gis.errors import InvalidInput
from gis.mvt import tile_of
from layers.access.caller import SYSTEM
from layers.analytics import heatmap, tiles
from layers.ledger import bins, lifecycle, partitions
from layers.ledger import intake as problems
from layers.ledger import placement as routing
from layers.ledger.bulk_import import import_problems
from layers.ledger.filters import ProblemFilter, flag_params
from tests.conftest import scalar


def one(s, sql, **p):
    """A scalar, read in the session `s` (it sees what the test's transaction wrote)."""
    return s.execute(text(sql), p).scalar()


def _report(s, at=None, category="占道经营"):
    lon, lat = s.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) AS c FROM grid_cells "
                              "WHERE region_code LIKE '411421001%' ORDER BY id LIMIT 1) x")).one()
    return problems.intake(s, problems.Report(category=category, source="patrol", lon=lon, lat=lat, reported_at=at),
                           caller=SYSTEM)


def test_a_report_of_a_new_month_gets_that_month_s_partition(demo):
    with transaction() as s:
        with pytest.raises(InvalidInput, match="future") as info:
            _report(s, at=datetime(2030, 5, 10, 3, 0, tzinfo=UTC))
        assert info.value.field == "reported_at"
        pid = _report(s, at=datetime(2019, 5, 10, 3, 0, tzinfo=UTC))
        where = s.execute(text("SELECT tableoid::regclass::text FROM problems WHERE id = :i"), {"i": pid}).scalar()
        # The history rows carry the problem's full key, filled in when the writer gave only the id.
        keys = s.execute(text("SELECT problem_reported_at, district_code FROM problem_events WHERE problem_id = :i"),
                         {"i": pid}).one()
        s.rollback()
    assert where == "problems_201905"
    assert keys[0] == datetime(2019, 5, 10, 3, 0, tzinfo=UTC) and keys[1] == "411421"


def test_deleting_reports_takes_their_rows_along_and_keeps_masters(demo):
    with transaction() as s:
        master = _report(s)
        dup = _report(s)
        assert s.execute(text("SELECT duplicate_of FROM problems WHERE id = :i"), {"i": dup}).scalar() == master
        with pytest.raises(Exception, match="master of a remaining duplicate"):
            with s.begin_nested():
                s.execute(text("DELETE FROM problems WHERE id = :i"), {"i": master})
        s.execute(text("DELETE FROM problems WHERE id IN (:a, :b)"), {"a": master, "b": dup})
        left = s.execute(text("""SELECT (SELECT count(*) FROM problem_events WHERE problem_id IN (:a, :b))
                                      + (SELECT count(*) FROM problem_owners WHERE problem_id IN (:a, :b))""",
                              ), {"a": master, "b": dup}).scalar()
        s.rollback()
    assert left == 0


def test_archiving_moves_whole_months_out_of_the_live_ledger(demo):
    with transaction() as s:
        first = partitions.partitions(s)[0]
        cutoff = partitions.month(first["month"].strftime("%Y-%m"))
        cutoff = cutoff.replace(year=cutoff.year + (cutoff.month == 12), month=cutoff.month % 12 + 1)
        live = s.execute(text("SELECT count(*) FROM problems")).scalar()
        in_month = s.execute(text(f"SELECT count(*) FROM {first['name']}")).scalar()
        events = s.execute(text(f"SELECT count(*) FROM problem_events e JOIN {first['name']} p ON p.id = e.problem_id"
                                )).scalar()
        assert in_month > 0 and events >= in_month
        moved = partitions.archive(s, cutoff)
        assert [m["partition"] for m in moved] == [first["name"]]
        assert moved[0]["problem_events"] == events
        assert s.execute(text("SELECT count(*) FROM problems")).scalar() == live - in_month
        assert s.execute(text(f"SELECT count(*) FROM archive.{first['name']}")).scalar() == in_month
        # The pre-binned counts forgot the month too: they still equal a count of the live reports.
        binned = s.execute(text("SELECT sum(n) FROM problem_bins WHERE grid = 1 AND span = 'a'")).scalar()
        assert binned == s.execute(text("SELECT count(*) FROM problems WHERE duplicate_of IS NULL")).scalar()
        with pytest.raises(InvalidInput, match="over"):
            partitions.archive(s, datetime.now(UTC).date().replace(day=1, year=datetime.now(UTC).year + 1))
        s.rollback()


def test_archive_cli_refuses_a_bad_month(demo):
    result = CliRunner().invoke(app, ["db", "archive", "--before", "2025-13"])
    assert result.exit_code == 1 and "not a month" in result.output


def test_the_bulk_routing_plan_gives_the_probe_plan_s_answer(demo, monkeypatch):
    """3,000 points around the demo city (some in no cell, some off the map) routed both ways."""
    with transaction() as s:
        s.execute(text("SELECT setseed(0.42)"))  # the same points every run (~100 of them near a street)
        s.execute(text("""
            CREATE UNLOGGED TABLE route_check AS
            SELECT g AS id, c.code AS category_code, x.lon, x.lat, ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4490) AS geom
            FROM generate_series(1, 3000) g
            CROSS JOIN LATERAL (SELECT 115.00 + 0.3 * random() + g * 0 AS lon, 34.50 + 0.25 * random() + g * 0 AS lat) x
            CROSS JOIN LATERAL (SELECT code FROM problem_categories WHERE parent_code IS NOT NULL
                                ORDER BY random() + g * 0 LIMIT 1) c"""))
        s.execute(text("ALTER TABLE route_check ADD COLUMN geom_m geometry, ADD COLUMN x_m float8, "
                       "ADD COLUMN y_m float8"))
        s.execute(text("UPDATE route_check SET geom_m = ST_Transform(geom, ccgrid_metric_srid())"))
        s.execute(text("UPDATE route_check SET x_m = ST_X(geom_m), y_m = ST_Y(geom_m)"))
        probed = routing.route_table(s, "route_check", 3000)
        s.execute(text(f"ALTER TABLE {probed} RENAME TO route_check_probed"))
        monkeypatch.setattr(routing, "BULK_ROUTE_FROM", 100)
        bulk = routing.route_table(s, "route_check", 3000)
        cols = ("id, region_code, grid_cell_id, grid_cell_code, street_id, round(street_distance_m::numeric, 6), "
                "point_id")
        diff = s.execute(text(f"""SELECT count(*) FROM ((SELECT {cols} FROM route_check_probed EXCEPT
                                  SELECT {cols} FROM {bulk}) UNION ALL (SELECT {cols} FROM {bulk} EXCEPT
                                  SELECT {cols} FROM route_check_probed)) d""")).scalar()
        routed, streets, points = s.execute(
            text(f"SELECT count(*), count(street_id), count(point_id) FROM {bulk}")).one()
        s.rollback()
    assert diff == 0
    assert 0 < routed < 3000 and streets > 50 and points > 0  # some fall outside the city and are not routed


def _raw_heatmap(s, f):
    where, params = f.sql(s)
    params.update({**flag_params(s), "cell": "hex", "size": bins.HEX_SIZE_M, "area_km2": 1.0, "clipped": False})
    return json.loads(s.execute(text(heatmap._binned("hex", bins.HEX_SIZE_M, where)), params).scalar_one())


def _cells(fc):
    return {f["id"]: (f["properties"]["count"], f["properties"]["open"], f["properties"]["overdue"])
            for f in fc["features"]}


def test_pre_binned_counts_equal_counting_the_reports_after_every_kind_of_write(demo):
    with transaction() as s:
        pid = _report(s, category="暴露垃圾")
        lifecycle.transition(s, pid, "立案", caller=SYSTEM)
        month = datetime.now(UTC).astimezone(bins.TZ).date().replace(day=1)
        for f in (ProblemFilter(), ProblemFilter(scope="411421001"),
                  ProblemFilter(since=datetime(month.year, month.month, 1, tzinfo=bins.TZ))):
            assert bins.heatmap_sql(s, f) is not None
            got = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=bins.HEX_SIZE_M, filters=f))
            assert _cells(got) == _cells(_raw_heatmap(s, f)) and got["total"] > 0
        # Closing a report moves it from open to closed in its bin at once.
        before = s.execute(text("SELECT sum(n_open) FROM problem_bins WHERE grid = 1 AND span = 'a'")).scalar()
        s.execute(text("UPDATE problems SET status = 'closed', closed_at = now() WHERE id = :i"), {"i": pid})
        assert s.execute(text("SELECT sum(n_open) FROM problem_bins WHERE grid = 1 AND span = 'a'")).scalar() \
            == before - 1
        # Clustered tiles from bins equal clustering the reports, at every zoom the bins serve.
        lon, lat = s.execute(text("SELECT avg(ST_X(geom)), avg(ST_Y(geom)) FROM problems")).one()
        for z in (8, 10, 11, 12):
            x, y = tile_of(lon, lat, z)
            assert bins.tile_sql(s, z, ProblemFilter()) is not None
            fast = _decoded(tiles.tile(s, "problems", z, x, y))
            assert fast and fast == _decoded(_raw_tile(s, z, x, y))
        s.rollback()


@pytest.mark.parametrize("reports", [40, 1200])  # linked after writing / before writing (problems.BULK_FROM)
def test_an_import_into_existing_months_keeps_the_pre_binned_counts(demo, tmp_path, reports):
    # The rows go straight into their months' partitions, past the reports' statement triggers; the import counts
    # them into the bins itself. Dense enough that many are duplicates (not counted), over two months.
    rng = np.random.default_rng(reports)
    path = tmp_path / "dense.csv"
    with path.open("w") as fh:
        fh.write("工单号,问题类别,来源,经度,纬度,上报时间\n")
        for i in range(reports):
            at = f"2026-0{3 + i % 2}-{1 + i % 5:02d}T{8 + i % 10:02d}:{i % 60:02d}"
            lon, lat = 115.15 + rng.normal(0, 0.0005), 34.652 + rng.normal(0, 0.0005)
            fh.write(f"B{i},{('暴露垃圾', '占道经营')[i % 2]},热线,{lon:.6f},{lat:.6f},{at}\n")
    with transaction() as s:
        assert one(s, "SELECT count(*) FROM problems WHERE reported_at >= '2026-03-01' "
                         "AND reported_at < '2026-05-01'") > 0  # months that hold reports already
        result = import_problems(s, path, actor="test")
        assert result.inserted == reports and result.duplicates_linked > reports // 4
        for f in (ProblemFilter(), ProblemFilter(since=datetime(2026, 4, 1, tzinfo=bins.TZ),
                                                 until=datetime(2026, 5, 1, tzinfo=bins.TZ))):
            got = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=bins.HEX_SIZE_M, filters=f))
            assert _cells(got) == _cells(_raw_heatmap(s, f)) and got["total"] > 0
        x, y = tile_of(115.15, 34.652, 12)
        fast = _decoded(tiles.tile(s, "problems", 12, x, y))
        assert fast and fast == _decoded(_raw_tile(s, 12, x, y))
        s.rollback()


def _decoded(tile: bytes):
    features = mapbox_vector_tile.decode(tile)["problems"]["features"] if tile else []
    return sorted((f["properties"]["count"], f["properties"]["open"], f["properties"]["overdue"],
                   tuple(f["geometry"]["coordinates"])) for f in features)


def _raw_tile(s, z, x, y):
    saved = bins.tile_sql
    bins.tile_sql = lambda *a, **k: None
    try:
        return tiles.tile(s, "problems", z, x, y)
    finally:
        bins.tile_sql = saved


def test_bins_are_not_used_for_what_they_do_not_keep(demo):
    with transaction() as s:
        assert bins.heatmap_sql(s, ProblemFilter(category="占道经营")) is None
        assert bins.heatmap_sql(s, ProblemFilter(since=datetime(2026, 3, 2, tzinfo=bins.TZ))) is None
        assert bins.tile_sql(s, 13, ProblemFilter()) is None
        assert bins.tile_sql(s, 9, ProblemFilter(status="overdue")) is None  # 未办结 is binned since 0025
    assert scalar("SELECT count(*) FROM problem_bins") > 0


def test_an_import_refuses_reports_from_the_future(demo, tmp_path):
    from layers.ledger.bulk_import import import_problems
    from layers.spatial.writer import RowsRejected

    path = tmp_path / "future.csv"
    path.write_text("工单号,问题类别,经度,纬度,上报时间\nF1,占道经营,115.15,34.65,2026-01-01 10:00\n"
                    "F2,占道经营,115.15,34.65,2099-01-01 10:00\n")
    with pytest.raises(RowsRejected) as info, transaction() as s:
        import_problems(s, path, actor="test")
    assert [(r.row, r.field) for r in info.value.rejections] == [(2, "reported_at")]


def _one_report_file(tmp_path, when: str):
    path = tmp_path / f"old-{when[:7]}.csv"
    path.write_text(f"工单号,问题类别,经度,纬度,上报时间\nOLD-{when[:7]},占道经营,115.15,34.65,{when}\n")
    return path


def test_an_import_makes_its_new_months_outside_its_own_transaction(demo, tmp_path):
    """The partition of an old month comes in a short transaction of its own (creating one locks the reports table
    until commit), so it is there even though the import itself is rolled back."""
    from layers.ledger.bulk_import import import_problems

    with transaction() as s:
        assert import_problems(s, _one_report_file(tmp_path, "2018-04-02 09:00"), actor="test").inserted == 1
        s.rollback()
    assert scalar("SELECT to_regclass('problems_201804')::text") == "problems_201804"
    assert scalar("SELECT count(*) FROM problems_201804") == 0


def test_an_import_inside_a_transaction_that_holds_the_reports_still_finishes(demo, tmp_path):
    from layers.ledger.bulk_import import import_problems

    with transaction() as s:
        s.execute(text("LOCK TABLE problems IN ROW EXCLUSIVE MODE"))  # as a delete earlier in the transaction would
        assert import_problems(s, _one_report_file(tmp_path, "2017-06-02 09:00"), actor="test").inserted == 1
        assert s.execute(text("SELECT count(*) FROM problems_201706")).scalar() == 1
        s.rollback()


def test_an_assignment_named_by_a_snapshot_cannot_be_deleted(demo):
    with transaction() as s:
        pid = _report(s)
        named = s.execute(text("SELECT assignment_id FROM problem_owners WHERE problem_id = :i LIMIT 1"),
                          {"i": pid}).scalar()
        assert named is not None
        with pytest.raises(Exception, match="cannot be deleted; end it instead"):
            with s.begin_nested():
                s.execute(text("DELETE FROM assignments WHERE id = :a"), {"a": named})
        s.rollback()


@pytest.mark.parametrize(("sql", "words"), [
    ("INSERT INTO problems (category_code, source, geom, reported_at, district_code, created_by) "
     "VALUES ('0401', 'weibo', ST_SetSRID(ST_MakePoint(115.15, 34.66), 4490), now(), '411421', 'test')",
     "names a source that problem_sources does not have"),
    ("UPDATE problems SET status = 'lost' WHERE id = :p", "names a status that problem_statuses does not have"),
    ("UPDATE problems SET category_code = '9999' WHERE id = :p",
     "names a category_code that problem_categories does not have"),
    ("DELETE FROM problem_sources WHERE code = 'patrol'", "problem_sources: a code that reports name"),
    ("UPDATE problem_categories SET code = '0199' WHERE code = '0103'", "problem_categories: a code that reports"),
    ("DELETE FROM problem_categories WHERE code = '0103'", "problem_categories: a code that reports name"),
])
def test_reports_name_only_categories_sources_and_statuses_that_exist(demo, sql, words):
    # Checked per statement by triggers (migration 0011) with the error class the foreign keys raised.
    with transaction() as s:
        pid = _report(s, category="废弃车辆")  # 0103: no checklist names it, so only reports hold it
        with pytest.raises(IntegrityError, match=words), s.begin_nested():
            s.execute(text(sql), {"p": pid})
        s.rollback()


def test_migrate_installs_the_server_functions_as_the_code_writes_them(demo):
    from gis.db import get_engine
    from layers.ledger.server_functions import FUNCTIONS
    from layers.schema.migrate import migrate

    with transaction() as s:  # a stale version with other arguments, as an older build might have left
        s.execute(text("CREATE FUNCTION ccgrid_problem_json(a int) RETURNS int LANGUAGE sql AS 'SELECT 1'"))
    migrate(get_engine())
    migrate(get_engine())  # idempotent
    with transaction() as s:
        found = s.execute(text("SELECT proname, pronargs FROM pg_proc WHERE proname = ANY(:f) ORDER BY 1"),
                          {"f": list(FUNCTIONS)}).all()
        pid = _report(s)
        assert json.loads(problems.get_json(s, pid))["id"] == pid
    assert [tuple(r) for r in found] == [("ccgrid_department_rule_rank", 3), ("ccgrid_intake", 13),
                                         ("ccgrid_problem_json", 4), ("ccgrid_problem_owners", 3),
                                         ("ccgrid_problem_photos", 1)]


def test_a_new_month_of_many_reports_is_loaded_bare_and_attached(demo, tmp_path, monkeypatch):
    # A city's first import of its archive: a month with no partition yet is written into a bare table and then
    # attached, its indexes built in one pass. It must end up as any other month: indexed, binned, linked.
    monkeypatch.setattr(partitions, "BULK_MONTH_FROM", 1000)
    loaded = []
    load = partitions.load_new_months
    monkeypatch.setattr(partitions, "load_new_months", lambda *a: loaded.extend(load(*a)) or loaded)
    rng = np.random.default_rng(9)
    path = tmp_path / "archive.csv"
    with path.open("w") as fh:
        fh.write("工单号,问题类别,来源,经度,纬度,上报时间\n")
        for i in range(2500):  # 2,400 in March 2024 (no partition), 100 in March 2026 (the demo's, exists)
            at = f"{'2024-03' if i < 2400 else '2026-03'}-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}"
            lon, lat = 115.145 + rng.normal(0, 0.002), 34.650 + rng.normal(0, 0.002)
            fh.write(f"A{i},{('暴露垃圾', '占道经营')[i % 2]},热线,{lon:.6f},{lat:.6f},{at}\n")

    with transaction() as s:
        assert one(s, "SELECT to_regclass('problems_202403')") is None
        result = import_problems(s, path, actor="test")
        assert result.inserted == 2500 and result.duplicates_linked > 100
        assert [m.strftime("%Y-%m") for m in loaded] == ["2024-03"]  # the bulk path, for that month only
        assert one(s, "SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass('problems_202403') "
                      "AND inhparent = 'problems'::regclass") == 1
        indexes = "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass(:t)"
        assert one(s, indexes, t="problems_202403") == one(s, indexes, t="problems_202603") == 11
        assert one(s, "SELECT count(*) FROM problems WHERE external_id LIKE 'A%' AND reported_at < '2024-04-01'") \
            == 2400
        # Linked as any import links: no master is itself a duplicate.
        assert one(s, """SELECT count(*) FROM problems d JOIN problems m ON m.id = d.duplicate_of
                         WHERE d.external_id LIKE 'A%' AND m.duplicate_of IS NOT NULL""") == 0
        # Its counts are in the pre-binned aggregates, as the statement triggers would have put them.
        for f in (ProblemFilter(), ProblemFilter(since=datetime(2024, 3, 1, tzinfo=bins.TZ),
                                                 until=datetime(2024, 4, 1, tzinfo=bins.TZ))):
            assert bins.heatmap_sql(s, f) is not None
            got = json.loads(heatmap.heatmap_json(s, cell="hex", size_m=bins.HEX_SIZE_M, filters=f))
            assert _cells(got) == _cells(_raw_heatmap(s, f)) and got["total"] > 0
        # Taking the month's reports again adds nothing; new reports of that month go to its partition.
        assert import_problems(s, path, actor="test").inserted == 0
        pid = _report(s, at=datetime(2024, 3, 20, 9, tzinfo=bins.TZ))
        assert one(s, "SELECT tableoid::regclass::text FROM problems WHERE id = :i", i=pid) == "problems_202403"
        s.rollback()
    assert scalar("SELECT to_regclass('problems_202403')") is None
