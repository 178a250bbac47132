"""Patrol tracks mark what they pass as inspected; checklist visits score points and raise problems."""

from datetime import datetime, timedelta

import pytest
from shapely.geometry import LineString
from sqlalchemy import text

from gis.db import transaction
from gis.errors import InvalidInput
from layers.access.caller import Caller
from layers.ledger import inspections
from layers.ledger.calendar import TZ
from tests.conftest import scalar
from tests.crafted import owner_town

TEST = Caller(actor="test")


def test_patrol_marks_streets_and_points_it_passes(database):
    t = owner_town("419931", 115.60, 35.60)
    d, lon, lat = t["district"], 115.60, 35.60
    # Walk east along 和平路 (y = lat + 0.005) for its first two segments, 5 m north of it.
    track = LineString([(lon, lat + 0.00505), (lon + 0.004, lat + 0.00505)])
    start = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    with transaction() as s:
        done = inspections.record_patrol(s, track=track, started_at=start, ended_at=start + timedelta(minutes=40),
                                         walker="巡查员甲", caller=TEST)
        hits = dict(s.execute(text("SELECT f.code, h.at FROM patrol_hits h JOIN streets f ON f.id = h.feature_id "
                                   "WHERE h.patrol_id = :p AND h.layer = 'streets'"), {"p": done["id"]}).all())
    assert f"{d}-h0" in hits and f"{d}-h1" in hits and f"{d}-lane" not in hits
    assert hits[f"{d}-h0"] < hits[f"{d}-h1"]  # met in walking order, timed along the track
    assert start <= hits[f"{d}-h0"] <= start + timedelta(minutes=40)
    with transaction() as s:
        assert inspections.last_inspected(s, "streets", t["ids"][f"{d}-h1"]) == hits[f"{d}-h1"]
        assert inspections.last_inspected(s, "streets", t["ids"][f"{d}-lane"]) is None


def test_visit_scores_and_failed_items_become_problems(database):
    t = owner_town("419932", 115.70, 35.70)
    market = t["ids"]["419932-M"]
    with transaction() as s:
        first = inspections.visit(s, point_id=market, kind="mystery", inspector="神秘人",
                                  results={"M1": False, "M2": True, "M3": True, "M4": False},
                                  notes={"M1": "入口垃圾堆积"}, caller=TEST,
                                  visited_at=datetime(2026, 10, 1, 10, tzinfo=TZ))
        second = inspections.visit(s, point_id=market, kind="mock_assessment", inspector="测评组",
                                   results={"M1": True, "M2": True, "M3": True, "M4": True}, caller=TEST,
                                   visited_at=datetime(2026, 11, 1, 10, tzinfo=TZ))
        history = inspections.score_history(s, market, TEST)
    assert first["score"] == 50.0 and second["score"] == 100.0  # M1 (4) + M4 (1) of 10 failed
    assert len(first["problems"]) == 2 and second["problems"] == []
    cats = scalar("SELECT array_agg(category_code || ':' || source ORDER BY category_code) FROM problems "
                  "WHERE id = ANY(:ids)", ids=first["problems"])
    assert cats == ["0101:mystery", "0503:mystery"]
    assert "入口垃圾堆积" in scalar("SELECT description FROM problems WHERE category_code = '0101' AND id = ANY(:ids)",
                               ids=first["problems"])
    assert [(h["score"], h["failed"]) for h in history] == [(50.0, ["M1", "M4"]), (100.0, None)]


@pytest.mark.parametrize(("results", "words"), [({"M1": True}, "missing"), ({"X9": True}, "unknown checklist item")])
def test_visit_needs_every_item(database, results, words):
    market = scalar("SELECT min(id) FROM assessment_points WHERE point_type = '农贸市场'")
    before = scalar("SELECT count(*) FROM inspection_visits")
    with pytest.raises(InvalidInput, match=words), transaction() as s:
        inspections.visit(s, point_id=market, kind="mystery", inspector="x", results=results, caller=TEST)
    assert scalar("SELECT count(*) FROM inspection_visits") == before


def test_fix_times_time_the_hits(database):
    # Item 4: with per-fix times a place is inspected when the walker was there, not at its share of the length.
    t = owner_town("419933", 115.50, 35.50)
    d, lon, lat = t["district"], 115.50, 35.50
    track = LineString([(lon, lat + 0.00505), (lon + 0.002, lat + 0.00505), (lon + 0.006, lat + 0.00505)])
    start = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    times = [start, start + timedelta(minutes=30), start + timedelta(minutes=40)]  # lingered on the first stretch
    with transaction() as s:
        done = inspections.record_patrol(s, track=track, started_at=start, ended_at=times[-1], walker="巡查员乙",
                                         caller=TEST, times=times)
        hits = dict(s.execute(text("SELECT f.code, h.at FROM patrol_hits h JOIN streets f ON f.id = h.feature_id "
                                   "WHERE h.patrol_id = :p AND h.layer = 'streets'"), {"p": done["id"]}).all())
    # 和平路 h1 spans the second third of the line, h2 the last: spread evenly they would be met before 27 minutes.
    assert start + timedelta(minutes=30) <= hits[f"{d}-h1"] <= start + timedelta(minutes=35)
    assert start + timedelta(minutes=35) <= hits[f"{d}-h2"] <= start + timedelta(minutes=40)


@pytest.mark.parametrize(
    ("minutes", "mode", "times", "field", "words"),
    [
        (1, "walk", None, "track", "faster than the walk"),  # ~55 km in a minute
        (1, "drive", None, "track", "faster than the drive"),  # ~3,300 km/h is too fast even by car
        (600, "walk", [0, 1, 600], "times", "fix 1 → 2"),  # ten hours overall, but the first stretch in a minute
        (600, "walk", [0, 600], "times", "one time per coordinate"),
        (600, "walk", [0, 700, 600], "times", "backwards"),
    ],
)
def test_impossible_tracks_are_refused(database, minutes, mode, times, field, words):
    start = datetime(2026, 11, 3, 9, 0, tzinfo=TZ)
    track = LineString([(115.0, 34.6), (115.5, 34.6), (115.6, 34.6)])  # 55 km, then 9 km
    at = None if times is None else [start + timedelta(minutes=m) for m in times]
    before = scalar("SELECT count(*) FROM patrols")
    with pytest.raises(InvalidInput, match=words) as info, transaction() as s:
        inspections.record_patrol(s, track=track, started_at=start, ended_at=start + timedelta(minutes=minutes),
                                  walker="x", caller=TEST, mode=mode, times=at)
    assert info.value.field == field
    assert scalar("SELECT count(*) FROM patrols") == before


def test_modes_have_their_own_limits(database):
    start = datetime(2026, 11, 4, 9, 0, tzinfo=TZ)
    track = LineString([(115.40, 34.70), (115.45, 34.70)])  # ~4.6 km in ten minutes: ~27 km/h
    kw = {"track": track, "started_at": start, "ended_at": start + timedelta(minutes=10), "walker": "x",
          "caller": TEST}
    with pytest.raises(InvalidInput, match="walk"), transaction() as s:
        inspections.record_patrol(s, **kw)
    with transaction() as s:
        assert inspections.record_patrol(s, **kw, mode="bike")["mode"] == "bike"


def test_fix_times_can_be_required(database, monkeypatch):
    from gis.settings import get_settings

    monkeypatch.setattr(get_settings(), "patrol_require_fix_times", True)
    start = datetime(2026, 11, 5, 9, 0, tzinfo=TZ)
    track = LineString([(115.40, 34.71), (115.401, 34.71)])
    with pytest.raises(InvalidInput, match="time of every fix"), transaction() as s:
        inspections.record_patrol(s, track=track, started_at=start, ended_at=start + timedelta(minutes=5),
                                  walker="x", caller=TEST)
    with transaction() as s:
        inspections.record_patrol(s, track=track, started_at=start, ended_at=start + timedelta(minutes=5),
                                  walker="x", caller=TEST, times=[start, start + timedelta(minutes=5)])


@pytest.mark.parametrize(("start", "hours", "field", "words"), [
    (datetime(2199, 1, 1, 0, 0, tzinfo=TZ), 1, "ended_at", "future"),  # would hide patrol gaps until 2199
    (datetime(1900, 1, 1, 0, 0, tzinfo=TZ), 1, "started_at", "archive start"),
    (datetime(2026, 10, 1, 9, 0, tzinfo=TZ), 24 * 34, "ended_at", "at most 24 hours"),  # a month passes any speed
])
def test_patrols_lie_in_a_shift_of_the_city_s_past(database, start, hours, field, words):
    # Review of #15 item 4: a patrol dated 2199 was taken (201) and counted its streets inspected until then.
    track = LineString([(115.40, 34.72), (115.401, 34.72)])
    before = scalar("SELECT count(*) FROM patrols")
    with pytest.raises(InvalidInput, match=words) as info, transaction() as s:
        inspections.record_patrol(s, track=track, started_at=start, ended_at=start + timedelta(hours=hours),
                                  walker="x", caller=TEST)
    assert info.value.field == field
    assert scalar("SELECT count(*) FROM patrols") == before
