"""Patrols over HTTP: scope limits what a patrol marks, request times are city times, patrols can be listed."""

import json
from datetime import datetime, timedelta

from sqlalchemy import text

from gis.db import transaction
from layers.ledger.calendar import TZ
from tests.conftest import scalar

URL = "/api/v1/patrols"


def _neighbours():
    """Midpoints of two nearby streets, one in 街道 411421001 and one in 411421002, and a street deep in 002."""
    with transaction() as s:
        pair = s.execute(text("""
            WITH m AS (SELECT id, region_code, geom_m, ST_LineInterpolatePoint(geom, 0.5) AS p FROM streets)
            SELECT ST_X(a.p) AS ax, ST_Y(a.p) AS ay, ST_X(b.p) AS bx, ST_Y(b.p) AS by
            FROM m a JOIN m b ON ST_DWithin(a.geom_m, b.geom_m, 400)
            WHERE a.region_code LIKE '411421001%' AND b.region_code LIKE '411421002%'
            ORDER BY ST_Distance(a.geom_m, b.geom_m) DESC, a.id, b.id LIMIT 1""")).one()
        far = s.execute(text("""
            SELECT ST_AsGeoJSON(s.geom) FROM streets s, regions r
            WHERE r.code = '411421001' AND s.region_code LIKE '411421002%' AND ST_NPoints(s.geom) = 2
            ORDER BY ST_Distance(s.geom_m, r.geom_m) DESC LIMIT 1""")).scalar()
    return [pair.ax, pair.ay], [pair.bx, pair.by], json.loads(far)


def _body(coords, minutes=60, **kw):
    start = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)
    return {"track": {"type": "LineString", "coordinates": coords}, "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=minutes)).isoformat(), "walker": "巡查员", **kw}


def _hit_regions(pid):
    with transaction() as s:
        return set(s.execute(text("""
            SELECT left(f.region_code, 9) FROM patrol_hits h JOIN streets f ON f.id = h.feature_id
            WHERE h.patrol_id = :p AND h.layer = 'streets'"""), {"p": pid}).scalars())


def test_a_scoped_patrol_marks_only_its_region(client, admin, token_for):
    # Item 4: a street chief of 411421001 marked streets of other 街道 as inspected.
    a, b, far = _neighbours()
    everyone = client.post(URL, json=_body([a, b]), headers=admin)
    assert everyone.status_code == 201, everyone.text
    assert _hit_regions(everyone.json()["id"]) == {"411421001", "411421002"}
    chief = token_for("street_chief", "411421001")
    mine = client.post(URL, json=_body([a, b]), headers=chief)
    assert mine.status_code == 201, mine.text
    assert _hit_regions(mine.json()["id"]) == {"411421001"}
    assert mine.json()["region_code"].startswith("411421001")
    before = scalar("SELECT count(*) FROM patrols")
    r = client.post(URL, json=_body(far["coordinates"]), headers=chief)
    assert r.status_code == 403 and r.json()["field"] == "track", r.text
    assert scalar("SELECT count(*) FROM patrols") == before


def test_a_60_km_line_in_a_minute_is_refused(client, admin):
    r = client.post(URL, json=_body([[115.0, 34.6], [115.66, 34.6]], minutes=1), headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "track" and "km/h" in r.json()["detail"], r.text
    r = client.post(URL, json=_body([[115.0, 34.6], [115.66, 34.6]], minutes=1, mode="plane"), headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "mode"


def test_fix_times_are_checked_segment_by_segment(client, admin):
    coords = [[115.10, 34.62], [115.101, 34.62], [115.16, 34.62]]  # 90 m, then 5.4 km
    start = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)
    times = [start, start + timedelta(minutes=2), start + timedelta(minutes=3)]
    body = _body(coords, minutes=600, times=[t.isoformat() for t in times])  # ~0.6 km/h over the whole patrol
    r = client.post(URL, json=body, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "times" and "fix 2 → 3" in r.json()["detail"], r.text


def test_naive_times_are_city_times(client, admin, token_for):
    # Item 14: a naive started_at beside an aware ended_at was a 500 (comparing naive and aware datetimes).
    a, _, _ = _neighbours()
    person = scalar("SELECT min(id) FROM people WHERE region_code LIKE '411421001%'")
    body = _body([a, [a[0] + 0.001, a[1]]], person_id=person)
    body["started_at"] = "2026-11-12T09:00:00"
    body["ended_at"] = "2026-11-12T09:30:00+08:00"
    r = client.post(URL, json=body, headers=admin)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert scalar("SELECT started_at FROM patrols WHERE id = :p", p=pid) == datetime(2026, 11, 12, 9, tzinfo=TZ)
    bad = {**body, "started_at": "9999-11-12T09:00:00"}
    assert client.post(URL, json=bad, headers=admin).status_code == 422
    # Listed back: by person and time, newest first, only in the caller's region.
    listed = client.get(URL, params={"person_id": person, "since": "2026-11-12T08:59:00"}, headers=admin).json()
    assert [p["id"] for p in listed][:1] == [pid] and listed[0]["mode"] == "walk" and listed[0]["streets"] >= 0
    assert all(p["person_id"] == person for p in listed)
    later = client.get(URL, params={"person_id": person, "since": "2026-11-12T09:01:00"}, headers=admin).json()
    assert pid not in [p["id"] for p in later]
    other = client.get(URL, params={"person_id": person}, headers=token_for("street_chief", "411421002")).json()
    assert other == []
    r = client.get(URL, params={"since": "0001-01-01T00:00:00"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "since"


def test_patrol_for_an_unknown_or_outside_person(client, token_for):
    a, _, _ = _neighbours()
    chief = token_for("street_chief", "411421001")
    r = client.post(URL, json=_body([a, [a[0] + 0.001, a[1]]], person_id=2**31 - 2), headers=chief)
    assert r.status_code == 422 and r.json()["field"] == "person_id"
    outsider = scalar("SELECT min(id) FROM people WHERE region_code LIKE '411421002%'")
    r = client.post(URL, json=_body([a, [a[0] + 0.001, a[1]]], person_id=outsider), headers=chief)
    assert r.status_code == 403 and r.json()["field"] == "person_id"
