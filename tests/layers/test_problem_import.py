"""Bulk import of 100,000 reports: routed in one set-based pass; counts reconcile; a re-run adds nothing."""

import numpy as np
import pytest
from sqlalchemy import text

from gis.db import transaction
from layers.access.caller import SYSTEM
from layers.ledger import intake as problems
from layers.ledger.bulk_import import import_problems
from layers.spatial.writer import RowsRejected
from tests.conftest import scalar

N = 100_000


@pytest.fixture(scope="module")
def hotline_file(demo, tmp_path_factory):
    """Reports clustered around points of the demo city's urban core, plus three bad rows at the end."""
    rng = np.random.default_rng(7)
    centres = np.array([[115.140, 34.645], [115.150, 34.652], [115.156, 34.640], [115.132, 34.655]])
    pick = rng.integers(len(centres), size=N)
    xy = centres[pick] + rng.normal(0, 0.003, size=(N, 2))
    cats = np.array(["占道经营", "暴露垃圾", "0201", "机动车乱停放", "蜘蛛网线"])[rng.integers(5, size=N)]
    minutes = rng.integers(0, 365 * 24 * 60, size=N)
    path = tmp_path_factory.mktemp("hotline") / "12345.csv"
    with path.open("w") as fh:
        fh.write("工单号,问题类别,来源,经度,纬度,问题描述,上报时间\n")
        for i in range(N):
            at = np.datetime64("2025-11-01T00:00") + np.timedelta64(int(minutes[i]), "m")
            fh.write(f"H{i},{cats[i]},热线,{xy[i, 0]:.6f},{xy[i, 1]:.6f},市民来电{i},{at}\n")
        fh.write("BAD1,乱扔烟头,热线,115.15,34.65,,2026-01-01 10:00\n")
        fh.write("BAD2,占道经营,热线,116.40,39.90,,2026-01-01 10:00\n")
        fh.write("BAD3,占道经营,热线,,34.65,,2026-01-01 10:00\n")
    return path


def test_bad_rows_stop_the_whole_import(hotline_file):
    with pytest.raises(RowsRejected) as info, transaction() as s:
        import_problems(s, hotline_file, actor="test")
    assert [(r.row, r.field) for r in info.value.rejections] == [(N + 1, "category"), (N + 2, "lon"), (N + 3, "lon")]
    assert scalar("SELECT count(*) FROM problems WHERE external_id LIKE 'H%'") == 0


def test_hundred_thousand_reports_route_and_reconcile(hotline_file):
    with transaction() as s:
        result = import_problems(s, hotline_file, actor="test", skip_invalid=True)
    assert result.rows == N + 3 and result.inserted == N and len(result.rejected) == 3
    stats = scalar("""
        SELECT row(count(*), count(region_code), count(grid_cell_id), count(*) FILTER (WHERE duplicate_of IS NOT NULL),
                   (SELECT count(*) FROM problem_events e JOIN problems q ON q.id = e.problem_id
                    WHERE q.external_id LIKE 'H%'))::text
        FROM problems WHERE external_id LIKE 'H%'""")
    total, routed, in_cells, dups, events = (int(v) for v in stats.strip("()").split(","))
    assert (total, routed, in_cells, events) == (N, N, N, N)
    # The file's local (Beijing) times survive the trip.
    first = hotline_file.read_text().splitlines()[1].split(",")[-1]
    assert scalar("SELECT to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI') "
                  "FROM problems WHERE external_id = 'H0'") == str(first)
    assert dups == result.duplicates_linked > 0
    # Every duplicate points to an earlier report of its category that is not itself a duplicate.
    assert scalar("""SELECT count(*) FROM problems d JOIN problems m ON m.id = d.duplicate_of
                     WHERE d.external_id LIKE 'H%' AND (m.category_code <> d.category_code
                       OR m.reported_at > d.reported_at OR m.duplicate_of IS NOT NULL)""") == 0
    # ... and lies within its category's radius and window.
    assert scalar("""SELECT count(*) FROM problems d JOIN problems m ON m.id = d.duplicate_of
                     JOIN problem_categories c ON c.code = d.category_code
                     WHERE d.external_id LIKE 'H%' AND (NOT ST_DWithin(d.geom_m, m.geom_m, c.duplicate_radius_m + 0.001)
                       OR m.reported_at < d.reported_at - make_interval(hours => c.duplicate_window_h))""") == 0
    # The busiest master shows how many reports are linked to it (counted from the links: migration 0012).
    master, linked = scalar("""SELECT array[duplicate_of, count(*)] FROM problems WHERE external_id LIKE 'H%'
                               AND duplicate_of IS NOT NULL GROUP BY duplicate_of ORDER BY count(*) DESC LIMIT 1""")
    assert linked > 1
    with transaction() as s:
        shown = problems.get(s, master)
    assert shown["duplicates"] == linked and len(shown["duplicate_ids"]) == linked
    with transaction() as s:
        again = import_problems(s, hotline_file, actor="test", skip_invalid=True)
    assert (again.inserted, again.already) == (0, N)


def _links_of(path, monkeypatch, linked_after: bool, probes: bool) -> dict[str, str]:
    """Import `path` in a transaction that is rolled back; which report each linked report names as its master."""
    from layers.ledger import bulk_import as problem_import

    if linked_after:  # as a small batch would be: stored first, then linked
        monkeypatch.setattr(problem_import, "BULK_FROM", 10**9)
    if probes:  # and through one probe per report instead of the bucketed join
        monkeypatch.setattr(problems, "BULK_FROM", 10**9)
    with transaction() as s:
        import_problems(s, path, actor="test")
        rows = s.execute(text("SELECT d.external_id, m.external_id FROM problems d JOIN problems m "
                              "ON m.id = d.duplicate_of WHERE d.external_id LIKE 'L%'")).all()
        s.rollback()
    monkeypatch.undo()
    return dict(rows)


def test_a_big_batch_linked_before_it_is_written_links_as_a_small_one_does(demo, tmp_path, monkeypatch):
    # 800 reports in a few hundred metres over a week: many duplicates, chains to avoid, masters inside the file.
    rng = np.random.default_rng(3)
    path = tmp_path / "dense.csv"
    with path.open("w") as fh:
        fh.write("工单号,问题类别,来源,经度,纬度,上报时间\n")
        for i in range(800):
            at = np.datetime64("2026-03-02T08:00") + np.timedelta64(int(rng.integers(0, 7 * 24 * 60)), "m")
            cat = ("暴露垃圾", "占道经营")[i % 2]
            lon, lat = 115.150 + rng.normal(0, 0.0006), 34.652 + rng.normal(0, 0.0006)
            fh.write(f"L{i},{cat},热线,{lon:.6f},{lat:.6f},{at}\n")
    before = _links_of(path, monkeypatch, linked_after=False, probes=False)
    assert len(before) > 100
    assert _links_of(path, monkeypatch, linked_after=True, probes=False) == before
    assert _links_of(path, monkeypatch, linked_after=True, probes=True) == before


def test_reports_taken_one_by_one_link_as_the_bulk_import_links_them(demo, tmp_path, monkeypatch):
    # The intake function's master probe (a GiST box, then the metric distance) against the import's bucketed join,
    # on 300 reports a few metres to a few hundred metres apart, sent in time order.
    from layers.ledger import bulk_import as problem_import

    rng = np.random.default_rng(11)
    rows = []
    for i in range(300):
        at = np.datetime64("2026-04-06T08:00") + np.timedelta64(int(rng.integers(0, 5 * 24 * 60)), "m")
        rows.append((f"K{i}", ("暴露垃圾", "占道经营", "乱贴乱画")[i % 3], 115.146 + rng.normal(0, 0.0008),
                     34.650 + rng.normal(0, 0.0008), at))
    rows.sort(key=lambda r: (r[4], r[0]))
    path = tmp_path / "one_by_one.csv"
    with path.open("w") as fh:
        fh.write("工单号,问题类别,来源,经度,纬度,上报时间\n")
        fh.writelines(f"{k},{c},热线,{x:.6f},{y:.6f},{t}\n" for k, c, x, y, t in rows)
    links_sql = text("SELECT d.external_id, m.external_id FROM problems d JOIN problems m ON m.id = d.duplicate_of "
                     "WHERE d.external_id LIKE 'K%'")
    with transaction() as s:
        for k, c, x, y, t in rows:
            problems.intake(s, problems.Report(category=c, source="hotline", lon=round(x, 6), lat=round(y, 6),
                                               reported_at=t.astype(object), external_id=k), caller=SYSTEM)
        one_by_one = dict(s.execute(links_sql).all())
        s.rollback()
    monkeypatch.setattr(problem_import, "BULK_FROM", 100)  # the bulk path, linked before writing
    monkeypatch.setattr(problems, "BULK_FROM", 100)
    with transaction() as s:
        import_problems(s, path, actor="test")
        bulk = dict(s.execute(links_sql).all())
        s.rollback()
    assert len(one_by_one) > 30
    assert bulk == one_by_one


def test_an_import_refuses_reports_before_the_archive_start(demo, tmp_path):
    path = tmp_path / "ancient.csv"
    path.write_text("工单号,问题类别,经度,纬度,上报时间\nANCIENT-1,占道经营,115.15,34.65,1999-12-31 23:00\n"
                    "ANCIENT-2,占道经营,115.15,34.65,2000-01-01 08:00\n")
    parts = scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'problems'::regclass")
    with pytest.raises(RowsRejected) as info, transaction() as s:
        import_problems(s, path, actor="test")
    assert [(r.row, r.field) for r in info.value.rejections] == [(1, "reported_at")]
    assert "2000-01-01" in info.value.rejections[0].reason
    assert scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'problems'::regclass") == parts
