"""Evidence checks (issue 19): a rectification or re-inspection photo taken before the report, or far from the place,
is kept and flagged (never refused); the flags show on the problem, its page, the list filter and the ledgers; and
whoever marked a problem rectified may not verify it when the category says so."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from gis.db import transaction
from gis.settings import get_settings
from gis.times import CITY_TZ
from tests import crafted
from tests.conftest import scalar
from tests.images import encode, picture

SEEDS = iter(range(200_000, 300_000))
CATEGORY = "0501"  # 井盖缺失: a 10 m duplicate radius, so reports 40 m apart stay first reports


@pytest.fixture(scope="module")
def where(demo):
    points = iter(crafted.spots("411421001", 45, "south_first"))
    return lambda: next(points)


def _report(client, headers, spot, category=CATEGORY):
    r = client.post("/api/v1/problems", json={"category": category, "lon": spot[0], "lat": spot[1]}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["duplicate_of"] is None and r.json()["photos"] == [] and r.json()["evidence_flags"] == []
    return r.json()


def _attach(client, pid, data, headers, **form):
    return client.post(f"/api/v1/problems/{pid}/photos", files={"file": ("x.jpg", data, "image/jpeg")},
                       data={k: str(v) for k, v in form.items()}, headers=headers)


def _act(client, pid, headers, action, **body):
    return client.post(f"/api/v1/problems/{pid}/actions", json={"action": action, **body}, headers=headers)


def _in_progress(client, admin, where, category=CATEGORY):
    problem = _report(client, admin, where(), category)
    for action in ("立案", "派遣", "签收整改"):
        assert _act(client, problem["id"], admin, action).status_code == 200
    return problem


def _reported_at(problem) -> datetime:
    return datetime.fromisoformat(problem["reported_at"]).astimezone(CITY_TZ)


def _moved(lon, lat, east_m):
    """The point east_m metres east of (lon, lat), in the city's metric CRS."""
    return tuple(scalar(f"SELECT ST_{c}(ST_Transform(ST_Translate(ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), "
                        "4490), ccgrid_metric_srid()), :dx, 0), 4490))", x=lon, y=lat, dx=east_m) for c in "XY")


def test_a_photo_whose_exif_time_precedes_the_report_is_flagged(client, admin, token_for, where):
    worker = token_for("grid_worker", "411421001")
    problem = _in_progress(client, admin, where)
    pid, reported = problem["id"], _reported_at(problem)
    # The worker's "rectification" photo, its EXIF DateTimeOriginal a day before the problem was reported: kept,
    # flagged.
    old = _attach(client, pid, encode(picture(next(SEEDS)), taken=reported - timedelta(days=1)), worker)
    assert old.status_code == 201, old.text
    assert old.json()["flags"] == ["taken_before_report"] and old.json()["step"] == "in_progress"
    # Within the tolerance (taken with the report), or after it: not flagged.
    near = _attach(client, pid, encode(picture(next(SEEDS)), taken=reported - timedelta(seconds=30)), worker)
    fresh = _attach(client, pid, encode(picture(next(SEEDS)), taken=reported + timedelta(minutes=5)), worker)
    assert near.json()["flags"] == [] and fresh.json()["flags"] == []
    # A shrunk photo without EXIF: the time the phone sends stands in for it.
    sent = _attach(client, pid, encode(picture(next(SEEDS))), worker,
                   taken_at=(reported - timedelta(hours=3)).isoformat())
    assert sent.json()["flags"] == ["taken_before_report"]
    # Flagged, not refused: the flagged photo still certifies the rectification.
    assert _act(client, pid, worker, "整改完成", photo_id=old.json()["id"]).status_code == 200

    shown = client.get(f"/api/v1/problems/{pid}", headers=admin).json()
    assert shown["evidence_flags"] == ["taken_before_report"] and shown["evidence_flagged_photos"] == 2
    flags = {f["id"]: f["flags"] for f in shown["photos"]}
    assert flags == {old.json()["id"]: ["taken_before_report"], near.json()["id"]: [],
                     fresh.json()["id"]: [], sent.json()["id"]: ["taken_before_report"]}
    assert scalar("SELECT flags FROM problem_photos WHERE id = :i", i=old.json()["id"]) == ["taken_before_report"]


def test_the_reports_own_photo_taken_before_it_is_not_flagged(client, token_for, where):
    office = token_for("city_office")  # a fresh token: uploads are rate-limited per token
    problem = _report(client, office, where())
    r = _attach(client, problem["id"], encode(picture(next(SEEDS)), taken=_reported_at(problem) - timedelta(days=2)),
                office)
    assert r.status_code == 201 and r.json()["step"] == "reported" and r.json()["flags"] == []


def test_a_photo_taken_far_from_the_place_is_flagged_and_a_near_one_is_not(client, admin, token_for, where,
                                                                           monkeypatch):
    worker = token_for("grid_worker", "411421001")
    problem = _in_progress(client, admin, where)
    pid, lon, lat = problem["id"], problem["lon"], problem["lat"]
    far, near = _moved(lon, lat, 500), _moved(lon, lat, 20)
    r = _attach(client, pid, encode(picture(next(SEEDS)), gps=far), worker)
    assert r.status_code == 201 and r.json()["flags"] == ["far_from_place"], r.text
    assert r.json()["gps_lon"] == pytest.approx(far[0], abs=1e-6) and r.json()["gps_lat"] == pytest.approx(far[1])
    assert _attach(client, pid, encode(picture(next(SEEDS)), gps=near), worker).json()["flags"] == []
    # Both at once, from EXIF.
    both = _attach(client, pid, encode(picture(next(SEEDS)), gps=far, taken=_reported_at(problem) - timedelta(1)),
                   worker)
    assert both.json()["flags"] == ["taken_before_report", "far_from_place"]
    # Without EXIF GPS, the position the phone sends; EXIF wins over it.
    sent = _attach(client, pid, encode(picture(next(SEEDS))), worker, lon=far[0], lat=far[1])
    assert sent.json()["flags"] == ["far_from_place"] and sent.json()["gps_lon"] == pytest.approx(far[0])
    exif_wins = _attach(client, pid, encode(picture(next(SEEDS)), gps=near), worker, lon=far[0], lat=far[1])
    assert exif_wins.json()["flags"] == [] and exif_wins.json()["gps_lon"] == pytest.approx(near[0], abs=1e-6)
    # The distance is a setting.
    monkeypatch.setattr(get_settings(), "evidence_max_distance_m", 1000)
    assert _attach(client, pid, encode(picture(next(SEEDS)), gps=far), worker).json()["flags"] == []
    # A position is both coordinates, in range.
    for form, field in (({"lon": far[0]}, "lat"), ({"lon": 200, "lat": 30}, "lon"), ({"lon": 115, "lat": "nan"},
                                                                                    "lat")):
        r = _attach(client, pid, encode(picture(next(SEEDS))), worker, **form)
        assert r.status_code == 422 and r.json()["field"] == field, r.text

    # The problem page shows the warning and the reasons beside the photo.
    page = client.get(f"/maps/problems/{pid}", headers=admin)
    assert page.status_code == 200
    assert 'id="ccg-evidence"' in page.text and "疑似虚假整改" in page.text
    assert "拍摄地点远离问题位置" in page.text and "拍摄时间早于上报时间" in page.text
    assert page.text.count('class="ccg-flagged"') == 3 and "距问题位置 500 米" in page.text


def test_flagged_problems_are_filtered_and_counted_in_the_ledgers(client, admin, viewer, token_for, where):
    worker = token_for("grid_worker", "411421001")
    flagged, clean = (_in_progress(client, admin, where) for _ in range(2))
    r = _attach(client, flagged["id"], encode(picture(next(SEEDS)), taken=_reported_at(flagged) - timedelta(1)),
                worker)
    assert r.json()["flags"] == ["taken_before_report"]
    assert _attach(client, clean["id"], encode(picture(next(SEEDS))), worker).json()["flags"] == []

    listed = client.get("/api/v1/problems", params={"evidence_flagged": "true", "region": "411421001",
                                                    "limit": 10_000}, headers=viewer).json()
    ids = {p["id"] for p in listed["items"]}
    assert flagged["id"] in ids and clean["id"] not in ids
    assert listed["total"] == scalar("SELECT count(DISTINCT p.id) FROM problems p JOIN problem_photos f "
                                     "ON f.problem_id = p.id WHERE f.flags <> '{}' AND p.region_code LIKE '411421001%'")
    others = client.get("/api/v1/problems", params={"evidence_flagged": "false", "region": "411421001",
                                                    "limit": 10_000}, headers=viewer).json()
    assert clean["id"] in {p["id"] for p in others["items"]} and flagged["id"] not in {p["id"] for p in others["items"]}
    page = client.get("/maps/problems", params={"evidence_flagged": "true", "region": "411421001"}, headers=admin)
    assert page.status_code == 200 and f'/maps/problems/{flagged["id"]}"' in page.text
    assert f'/maps/problems/{clean["id"]}"' not in page.text

    # 整改台账: 虚假整改嫌疑 names the flags of the problem's photos; the indicators count such problems.
    rows = client.get("/api/v1/ledgers/rectification", params={"region": "411421001"}, headers=viewer).json()
    by_id = {r["编号"]: r for r in rows}
    assert by_id[flagged["id"]]["虚假整改嫌疑"] == "拍摄时间早于上报时间"
    assert by_id[clean["id"]]["虚假整改嫌疑"] is None
    assert sum(1 for r in rows if r["虚假整改嫌疑"]) == scalar(
        "SELECT count(DISTINCT p.id) FROM problems p JOIN problem_photos f ON f.problem_id = p.id "
        "WHERE f.flags <> '{}' AND p.region_code LIKE '411421001%' AND p.duplicate_of IS NULL "
        "AND p.dispatched_at >= now() - interval '1 year'")
    [sub] = client.get("/api/v1/indicators", params={"level": "subdistrict", "region": "411421001"},
                       headers=viewer).json()
    assert sub["evidence_flagged"] >= 1


@pytest.fixture
def lenient_category():
    """A category whose verifier may be whoever rectified it (restored afterwards)."""
    with transaction() as s:
        s.execute(text("UPDATE problem_categories SET verifier_must_differ = false WHERE code = '0502'"))
    yield "0502"
    with transaction() as s:
        s.execute(text("UPDATE problem_categories SET verifier_must_differ = true WHERE code = '0502'"))


def test_the_rectifier_may_not_verify_its_own_rectification(client, admin, token_for, where, lenient_category):
    office, other = token_for("city_office"), token_for("city_office")

    def rectified(category):
        pid = _in_progress(client, admin, where, category)["id"]
        fix = _attach(client, pid, encode(picture(next(SEEDS))), office).json()["id"]
        assert _act(client, pid, office, "整改完成", photo_id=fix).status_code == 200
        return pid

    def verify(pid, headers):
        shot = _attach(client, pid, encode(picture(next(SEEDS))), headers).json()["id"]
        return _act(client, pid, headers, "核查通过", photo_id=shot)

    pid = rectified(CATEGORY)
    r = verify(pid, office)
    assert r.status_code == 403 and r.json()["field"] == "action", r.text
    assert "someone other than who marked it rectified" in r.json()["detail"]
    assert scalar("SELECT status FROM problems WHERE id = :p", p=pid) == "rectified"
    # The page says why instead of offering the form.
    page = client.get(f"/maps/problems/{pid}", headers=office).text
    assert "本类问题须由他人核查" in page and 'class="ccg-form stacked ccg-act" data-action="核查通过"' not in page
    # 退回 by the rectifier stays allowed; after the rework, someone else verifies.
    assert _act(client, pid, office, "退回", note="自查不合格").status_code == 200
    fix = _attach(client, pid, encode(picture(next(SEEDS))), office).json()["id"]
    assert _act(client, pid, office, "整改完成", photo_id=fix).status_code == 200
    assert verify(pid, office).status_code == 403
    assert verify(pid, other).status_code == 200

    # A category that allows it: the rectifier verifies.
    pid = rectified(lenient_category)
    assert verify(pid, office).status_code == 200, r.text
