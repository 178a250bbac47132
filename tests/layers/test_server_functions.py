"""The ledger's server functions (layers/ledger/sql/), each called directly in SQL, as pgstac tests its own.

Each test runs in a transaction that is rolled back, so nothing stays in the demo city."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from gis.db import transaction
from layers.ledger import intake, placement, server_functions

SQL_DIR = Path(server_functions.__file__).parent / "sql"
INTAKE = """
SELECT * FROM ccgrid_intake(CAST(:cat AS text), CAST(:src AS text), CAST(:lon AS float8), CAST(:lat AS float8),
                            CAST(:at AS timestamptz), CAST(:ext AS text), 'test', NULL, '张三', '13800000000',
                            'test', CAST(:scope AS text), CAST(:back AS int))"""


def _intake(s, lon, lat, cat="占道经营", src="patrol", at=None, ext=None, scope=None, back=None):
    return s.execute(text(INTAKE), {"cat": cat, "src": src, "lon": lon, "lat": lat, "at": at, "ext": ext,
                                    "scope": scope, "back": back}).one()


def _one(s, sql, **params):
    return s.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def points(demo):
    """A few points in the city: the centres of some grid cells of one community, and the midpoints of streets
    moved a few metres off them (so the nearest street and assessment point are found)."""
    with transaction() as s:
        return [tuple(r) for r in s.execute(text("""
            (SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) AS c FROM grid_cells
                                           WHERE region_code LIKE '411421001%' ORDER BY id LIMIT 4) x)
            UNION ALL
            (SELECT ST_X(p), ST_Y(p) FROM (
                SELECT ST_Transform(ST_Translate(ST_LineInterpolatePoint(geom_m, 0.5), 7, 9), 4490) AS p
                FROM streets WHERE region_code LIKE '411421001%' ORDER BY id LIMIT 6) y)""")).all()]


def test_every_server_function_is_a_whole_sql_file_with_no_bound_parameters():
    for name in server_functions.FUNCTIONS:
        body = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
        assert f"CREATE OR REPLACE FUNCTION {name}(" in body
        assert not re.search(r"(?<![:\w]):[A-Za-z_]\w*", body), "a `:name` would be taken for a bound parameter"
        assert f"'{name}'" in (SQL_DIR / "drop_server_functions.sql").read_text(encoding="utf-8")


def test_ccgrid_intake_writes_the_report_complete(points):
    lon, lat = points[4]
    with transaction() as s:
        outcome, pid, at = _intake(s, lon, lat, ext="SF-1")
        assert outcome == "created"
        row = s.execute(text("SELECT p.*, ST_X(p.geom) AS lon FROM problems p WHERE id = :i AND reported_at = :t"),
                        {"i": pid, "t": at}).mappings().one()
        assert (row["category_code"], row["source"], row["status"], row["lon"]) == ("0401", "patrol", "reported",
                                                                                   pytest.approx(lon))
        assert row["grid_cell_id"] is not None and row["street_id"] is not None and row["x_m"] is not None
        assert row["merc_x"] is not None and row["district_code"] == row["region_code"][:6]
        assert _one(s, "SELECT problem_id FROM problem_external_ids WHERE external_id = 'SF-1'") == pid
        assert _one(s, "SELECT note FROM problem_events WHERE problem_id = :p", p=pid) == "来源：patrol"
        assert _one(s, "SELECT detail->>'category' FROM audit_log WHERE entity = 'problems' AND entity_id = :p",
                    p=str(pid)) == "0401"
        assert _one(s, "SELECT count(*) FROM problem_owners WHERE problem_id = :p", p=pid) > 0
        # A retry (the same external id) is the same problem, and writes nothing.
        before = _one(s, "SELECT count(*) FROM problems")
        assert tuple(_intake(s, lon + 0.01, lat, ext="SF-1")) == ("existing", pid, at)
        assert _one(s, "SELECT count(*) FROM problems") == before
        s.rollback()


@pytest.mark.parametrize(("kwargs", "outcome"), [
    ({"cat": "乱扔烟头"}, "category"),  # unknown
    ({"cat": "街面秩序"}, "category"),  # a top-level class
    ({"src": "weibo"}, "source"),
    ({"lon": 116.4, "lat": 39.9}, "outside"),
    ({"scope": "411421002"}, "scope"),
    ({"at": datetime(2019, 5, 1, tzinfo=UTC), "back": 2}, "old_month"),
])
def test_ccgrid_intake_refuses_and_writes_nothing(points, kwargs, outcome):
    args = {"lon": points[0][0], "lat": points[0][1], **kwargs}
    with transaction() as s:
        before = _one(s, "SELECT count(*) FROM problems")
        assert tuple(_intake(s, **args)) == (outcome, None, None)
        assert _one(s, "SELECT count(*) FROM problems") == before
        assert _one(s, "SELECT to_regclass('problems_201905')") is None
        s.rollback()


def test_ccgrid_intake_places_reports_and_snapshots_owners_as_the_bulk_path_does(points):
    # The placement and owner queries are written out for one report in ccgrid_intake.sql and set-based in
    # placement.py and intake.py: both give the same answer.
    with transaction() as s:
        ids = [_intake(s, lon, lat, cat="乱搭乱建").new_id for lon, lat in points]
        s.execute(text("""
            CREATE TEMPORARY TABLE sf_batch AS
            SELECT -id AS id, category_code, reported_at, ST_X(geom) AS lon, ST_Y(geom) AS lat, geom, geom_m, x_m, y_m
            FROM problems WHERE id = ANY(:ids)"""), {"ids": ids})
        routed = placement.route_table(s, "sf_batch", len(ids))
        columns = "region_code, grid_cell_id, grid_cell_code, street_id, round(street_distance_m::numeric, 6), point_id"
        differ = _one(s, f"""
            SELECT count(*) FROM ((SELECT -id, {columns} FROM problems WHERE id = ANY(:ids)
                                   EXCEPT SELECT id, {columns} FROM {routed})
                                  UNION ALL (SELECT id, {columns} FROM {routed}
                                   EXCEPT SELECT -id, {columns} FROM problems WHERE id = ANY(:ids))) d""", ids=ids)
        assert differ == 0 and _one(s, f"SELECT count(*) FROM {routed}") == len(ids)
        owners = ("SELECT problem_id, assignment_id, place FROM problem_owners WHERE problem_id = ANY(:ids) "
                  "ORDER BY 1, 2")
        departments = ("SELECT problem_id, unit_id, duty, rule_id FROM problem_departments "
                       "WHERE problem_id = ANY(:ids) ORDER BY 1, 2")
        by_intake = s.execute(text(owners), {"ids": ids}).all()
        departments_by_intake = s.execute(text(departments), {"ids": ids}).all()
        s.execute(text("DELETE FROM problem_owners WHERE problem_id = ANY(:ids)"), {"ids": ids})
        s.execute(text("DELETE FROM problem_departments WHERE problem_id = ANY(:ids)"), {"ids": ids})
        intake.snapshot_owners(s, f"""(SELECT id, reported_at, district_code, region_code, grid_cell_id, street_id,
                                              point_id, category_code
                                       FROM problems WHERE id = ANY(ARRAY{ids}::bigint[]))""")
        by_bulk = s.execute(text(owners), {"ids": ids}).all()
        assert by_intake == by_bulk and len(by_intake) >= len(ids)
        # 乱搭乱建 goes to the demo's 城管 (主办) and 住建 (协办) wherever it is reported.
        assert s.execute(text(departments), {"ids": ids}).all() == departments_by_intake
        assert len(departments_by_intake) >= 2 * len(ids)
        s.rollback()


def test_ccgrid_intake_links_a_report_to_its_master_as_the_batch_probe_does(points):
    lon, lat = points[1]
    with transaction() as s:
        first = _intake(s, lon, lat, cat="暴露垃圾").new_id
        second = _intake(s, lon + 0.0001, lat, cat="暴露垃圾")  # ~9 m away, same category
        far = _intake(s, lon + 0.002, lat, cat="暴露垃圾")  # ~180 m away
        links = {r: m for r, m in s.execute(text(
            "SELECT id, duplicate_of FROM problems WHERE id IN (:a, :b)"), {"a": second.new_id, "b": far.new_id})}
        assert links == {second.new_id: first, far.new_id: None}
        # The small-batch probe (find_duplicates) finds the same master once the link is undone.
        s.execute(text("UPDATE problems SET duplicate_of = NULL WHERE id = :i AND reported_at = :t"),
                  {"i": second.new_id, "t": second.new_at})
        batch = f"(SELECT {second.new_id}::bigint AS id, '{second.new_at.isoformat()}'::timestamptz AS reported_at)"
        assert intake.find_duplicates(s, batch, 1) == {second.new_id: (first, second.new_at)}
        s.rollback()


def test_ccgrid_problem_json_shows_personal_data_only_when_asked(points):
    lon, lat = points[2]
    call = "SELECT ccgrid_problem_json(CAST(:i AS bigint), CAST(:t AS timestamptz), CAST(:scope AS text), :c)"
    with transaction() as s:
        pid, at = _intake(s, lon, lat)[1:]
        full = json.loads(s.execute(text(call), {"i": pid, "t": at, "scope": None, "c": True}).scalar())
        public = json.loads(s.execute(text(call), {"i": pid, "t": None, "scope": None, "c": False}).scalar())
        assert full["id"] == public["id"] == pid
        assert (full["reporter"], full["reporter_contact"]) == ("张三", "13800000000")
        assert "reporter" not in public and "reporter_contact" not in public
        assert full["history"][0]["action"] == "上报" and full["duplicates"] == 0 and full["duplicate_ids"] == []
        assert full["owners"] and all(o["phone"] is None for o in public["owners"])
        assert not full["overdue"]  # no deadline yet
        assert {k: v for k, v in full.items() if k not in intake.PERSONAL_FIELDS and k != "owners"} == \
            {k: v for k, v in public.items() if k != "owners"}
        # Outside the caller's region, or unknown: nothing.
        assert s.execute(text(call), {"i": pid, "t": at, "scope": "411421002", "c": True}).scalar() is None
        assert s.execute(text(call), {"i": -1, "t": None, "scope": None, "c": True}).scalar() is None
        s.rollback()


def test_ccgrid_problem_json_matches_the_listing(points):
    lon, lat = points[3]
    with transaction() as s:
        pid, at = _intake(s, lon, lat)[1:]
        shown = intake.get(s, pid, at=at, with_contact=True)
        listed = intake.search(s, scope=shown["region_code"], with_contact=True, limit=1000)["items"]
        row = json.loads(json.dumps(next(r for r in listed if r["id"] == pid), default=str))
        assert set(row) == set(shown) - {"owners", "history", "duplicate_ids", "photos", "evidence_flags",
                                         "evidence_flagged_photos"}
        for key in ("status", "street_id", "grid_cell_code", "point_id", "duplicates", "overdue", "reporter"):
            assert row[key] == shown[key]
        s.rollback()
