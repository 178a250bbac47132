"""The 大屏's numbers (GET /api/v1/analytics/overview) against direct counts of the reports on the demo city: what
the overview reads from bins and indexes must be what a plain count over every report says."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from gis.db import transaction
from tests.conftest import scalar

OVERVIEW = "/api/v1/analytics/overview"
BEIJING = "(%s AT TIME ZONE 'Asia/Shanghai')::date"
FIRST = "duplicate_of IS NULL AND coalesce(region_code, '') LIKE :scope || '%'"


def _rows(sql: str, **params) -> list:
    with transaction() as s:
        return s.execute(text(sql), params).all()


@pytest.fixture(scope="module")
def today_reports(client, admin):
    """Three reports made now in 城关街道 (the demo's year ends yesterday), one of them closed at once: today's
    numbers are not zero whatever the hour."""
    spot = _rows("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grid_cells "
                 "WHERE region_code LIKE '411421001%' ORDER BY code OFFSET 11 LIMIT 1")[0]
    ids = []
    for category in ("0601", "0502", "0403"):  # different classes: none is a duplicate of another
        r = client.post("/api/v1/problems", json={"category": category, "lon": spot[0], "lat": spot[1],
                                                   "description": f"大屏测试 {len(ids)}"}, headers=admin)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    with transaction() as s:  # through the reports' triggers, as every write: the bins follow
        s.execute(text("UPDATE problems SET status = 'closed', closed_at = now() WHERE id = :i"), {"i": ids[0]})
    return ids


def _window(scope: str, days: int) -> tuple[date, str]:
    first = scalar(f"SELECT {BEIJING % 'now()'} - :d", d=days - 1)
    return first, f"{BEIJING % 'reported_at'} >= CAST(:first AS date) AND {FIRST}"


def _groups(key: str, scope: str, days: int) -> dict:
    """Per group of the window: reported, done (closed or rejected), in progress, overdue — counted plainly."""
    first, where = _window(scope, days)
    rows = _rows(f"""
        SELECT {key}, count(*),
               count(*) FILTER (WHERE status IN ('closed', 'rejected')),
               count(*) FILTER (WHERE status NOT IN ('closed', 'rejected') AND NOT (  -- no deadline yet: not late
                   status NOT IN ('rectified', 'verified') AND coalesce(due_at < now(), false))),
               count(*) FILTER (WHERE status NOT IN ('closed', 'rejected', 'rectified', 'verified') AND due_at < now())
        FROM problems WHERE {where} GROUP BY 1""", scope=scope, first=first)
    return {r[0]: {"reported": r[1], "done": r[2], "in_progress": r[3], "overdue": r[4]} for r in rows}


@pytest.mark.parametrize("days", [30, 90])
def test_the_overview_equals_direct_counts(client, viewer, today_reports, days):
    body = client.get(OVERVIEW, params={"days": days}, headers=viewer).json()
    scope = ""
    districts = [n for (n,) in _rows("SELECT name FROM regions WHERE level = 'district'")]
    assert body["region_name"] == (districts[0] if len(districts) == 1 else "全市")  # the demo: 民权县
    assert body["region"] is None and body["days"] == days
    assert body["today"]["reported"] == scalar(
        f"SELECT count(*) FROM problems WHERE {BEIJING % 'reported_at'} = {BEIJING % 'now()'} AND {FIRST}",
        scope=scope) >= 3
    assert body["today"]["closed"] == scalar(
        f"SELECT count(*) FROM problems WHERE status = 'closed' AND {BEIJING % 'closed_at'} = {BEIJING % 'now()'} "
        f"AND {FIRST}", scope=scope) >= 1
    # Open from the bins, overdue through the index: a plain count of every report says the same.
    assert body["open"] == scalar(f"SELECT count(*) FROM problems WHERE status NOT IN ('closed', 'rejected') "
                                  f"AND {FIRST}", scope=scope) > 0
    assert body["overdue"] == scalar(
        f"SELECT count(*) FROM problems WHERE status NOT IN ('closed', 'rejected', 'rectified', 'verified') "
        f"AND due_at < now() AND {FIRST}", scope=scope) > 0

    first, where = _window(scope, days)
    assert body["since"] == first.isoformat() and len(body["trend"]) == days
    assert body["trend"][-1]["day"] == scalar(f"SELECT {BEIJING % 'now()'}").isoformat()
    reported = dict(_rows(f"SELECT {BEIJING % 'reported_at'}, count(*) FROM problems WHERE {where} GROUP BY 1",
                          scope=scope, first=first))
    closed = dict(_rows(f"SELECT {BEIJING % 'closed_at'}, count(*) FROM problems WHERE status = 'closed' AND "
                        f"{BEIJING % 'closed_at'} >= CAST(:first AS date) AND {FIRST} GROUP BY 1",
                        scope=scope, first=first))
    for t in body["trend"]:
        day = date.fromisoformat(t["day"])
        assert (t["reported"], t["closed"]) == (reported.get(day, 0), closed.get(day, 0)), t
    assert sum(t["reported"] for t in body["trend"]) > 50 and sum(t["closed"] for t in body["trend"]) > 20

    categories = _groups("category_code", scope, days)
    top = sorted(categories.items(), key=lambda kv: (-kv[1]["reported"], kv[0]))[:10]
    assert [(c["code"], {k: c[k] for k in ("reported", "done", "in_progress", "overdue")})
            for c in body["by_category"]] == top
    assert body["by_category"][0]["name"] and body["by_category"][0]["parent"]

    areas = _groups("left(region_code, 9)", scope, days)
    assert body["area_level"] == "subdistrict"
    assert [a["code"] for a in body["by_area"]] == sorted(
        c for (c,) in _rows("SELECT code FROM regions WHERE level = 'subdistrict'"))
    for a in body["by_area"]:
        assert {k: a[k] for k in ("reported", "done", "in_progress", "overdue")} == areas.get(
            a["code"], {"reported": 0, "done": 0, "in_progress": 0, "overdue": 0}), a
    assert sum(a["reported"] for a in body["by_area"]) == sum(reported.values())
    assert body["heatmap_since"] == first.replace(day=1).isoformat()
    # The demo's 双月测评 in progress: the wall shows its score rate and how many sampled points were visited.
    live = _rows("SELECT name, round(100.0 * sum(r.weight) FILTER (WHERE r.passed) / sum(r.weight), 1), "
                 "(SELECT count(*) FROM assessment_round_points p WHERE p.round_id = a.id) "
                 "FROM assessment_rounds a JOIN assessment_round_visits v ON v.round_id = a.id "
                 "JOIN inspection_results r ON r.visit_id = v.visit_id WHERE a.state = 'in_progress' "
                 "GROUP BY a.id, a.name ORDER BY a.id DESC LIMIT 1")
    assert body["round"]["state"] == "in_progress" and live
    name, rate, sampled = live[0]
    assert (body["round"]["name"], body["round"]["sampled"]) == (name, sampled)
    assert body["round"]["score_rate"] == pytest.approx(float(rate), abs=0.05)
    assert 0 < body["round"]["visited"] < sampled


def test_the_months_on_time_rate_counts_each_report_once(client, viewer, today_reports):
    """按期结案率 of the month: due = the deadline passed this month, or closed this month before its deadline; on
    time = closed and last rectified by the deadline (the indicators' definition), counted over every report."""
    body = client.get(OVERVIEW, headers=viewer).json()["month"]
    month_start = scalar(f"SELECT date_trunc('month', {BEIJING % 'now()'})::date")
    assert body["period"] == f"{month_start:%Y-%m}"
    due, on_time = _rows("""
        WITH f AS (
            SELECT p.status, p.due_at, (SELECT max(e.at) FROM problem_events e
                                        WHERE e.problem_id = p.id AND e.to_status = 'rectified') AS fixed
            FROM problems p
            WHERE p.duplicate_of IS NULL AND p.dispatched_at IS NOT NULL AND p.status <> 'rejected'
              AND ((p.due_at >= :m AND p.due_at < now())
                   OR (p.status = 'closed' AND p.closed_at >= :m AND (p.due_at >= now() OR p.due_at IS NULL))))
        SELECT count(*), count(*) FILTER (WHERE status = 'closed' AND fixed <= due_at) FROM f""",
                         m=scalar("SELECT CAST(:d AS timestamp) AT TIME ZONE 'Asia/Shanghai'", d=month_start))[0]
    assert (body["due"], body["closed_on_time"]) == (due, on_time)
    assert due > 0 and body["on_time_rate"] == pytest.approx(on_time / due, abs=1e-4)


def test_a_subdistrict_sees_its_communities_and_nothing_else(client, token_for, today_reports):
    own = token_for("viewer", "411421001")
    body = client.get(OVERVIEW, headers=own).json()
    assert body["region"] == "411421001" and body["area_level"] == "community"
    assert [a["code"] for a in body["by_area"]] == sorted(
        c for (c,) in _rows("SELECT code FROM regions WHERE level = 'community' AND code LIKE '411421001%'"))
    areas = _groups("left(region_code, 12)", "411421001", 30)
    assert {a["code"]: a["reported"] for a in body["by_area"] if a["reported"]} == {
        k: v["reported"] for k, v in areas.items()}
    assert body["today"]["reported"] >= 3  # the reports made for this module lie in 城关街道
    assert body["open"] == scalar(f"SELECT count(*) FROM problems WHERE status NOT IN ('closed', 'rejected') "
                                  f"AND {FIRST}", scope="411421001")
    refused = client.get(OVERVIEW, params={"region": "411421002"}, headers=own)
    assert refused.status_code == 403 and refused.json()["field"] == "region"
    narrower = client.get(OVERVIEW, params={"region": "411421001002"}, headers=own).json()
    assert [a["code"] for a in narrower["by_area"]] == ["411421001002"]


def test_the_window_is_checked(client, viewer):
    for days in (0, 93):
        r = client.get(OVERVIEW, params={"days": days}, headers=viewer)
        assert r.status_code == 422 and r.json()["field"] == "days", r.text
    assert client.get(OVERVIEW, params={"days": 1}, headers=viewer).json()["since"] == (
        scalar(f"SELECT {BEIJING % 'now()'}").isoformat())
    assert client.get(OVERVIEW).status_code == 401


def test_the_answer_matches_its_model(client, viewer):
    from layers.analytics.schemas import Overview
    from tests.api.test_openapi_contract import check

    check(Overview, client.get(OVERVIEW, params={"days": 90}, headers=viewer))
    assert date.fromisoformat(check(Overview, client.get(OVERVIEW, headers=viewer))["until"]) - timedelta(
        days=29) == date.fromisoformat(client.get(OVERVIEW, headers=viewer).json()["since"])
