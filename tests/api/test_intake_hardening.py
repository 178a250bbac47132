"""Hardening of intake and of what the public sees (#15 group B): the caller's region on every intake path, no new
month partitions far back, Open311 and public answers without people, request times read in Beijing time, and a
bound on 延期."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import scalar


def _inside(region: str) -> tuple[float, float]:
    # The region's last cell: other tests report at first cells, and a report nearby would become their master.
    return tuple(scalar(f"SELECT ST_{c}(ST_PointOnSurface(geom)) FROM grid_cells WHERE region_code LIKE :r || '%' "
                        "ORDER BY code DESC LIMIT 1", r=region) for c in "XY")


@pytest.fixture(scope="module")
def home(demo):
    """A 社区 of 街道 411421001 (a street chief's region) and a spot in it."""
    code = scalar("SELECT max(code) FROM regions WHERE level = 'community' AND code LIKE '411421001%'")
    return code, _inside(code)


@pytest.fixture(scope="module")
def away(demo):
    """A spot in 街道 411421002, outside `home`."""
    return _inside("411421002")


def _partitions() -> int:
    return scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'problems'::regclass")


def _api_key(headers: dict[str, str]) -> str:
    return headers["Authorization"].split()[1]


# --- item 2: Open311 intake is the caller's intake ----------------------------------------------------------------

def test_open311_intake_keeps_the_tokens_region(client, token_for, home, away):
    chief = token_for("street_chief", home[0])
    before = scalar("SELECT count(*) FROM problems")
    form = {"api_key": _api_key(chief), "service_code": "0401", "description": "别处的占道"}
    r = client.post("/open311/v2/requests.json", data={**form, "long": away[0], "lat": away[1]})
    assert r.status_code == 400 and f"outside your region {home[0]}" in r.json()[0]["description"]
    assert scalar("SELECT count(*) FROM problems") == before
    r = client.post("/open311/v2/requests.json", data={**form, "long": home[1][0], "lat": home[1][1]})
    assert r.status_code == 200, r.text
    assert scalar("SELECT region_code FROM problems WHERE id = :i",
                  i=int(r.json()[0]["service_request_id"])).startswith(home[0])


# --- item 3: no month partitions at will --------------------------------------------------------------------------

def test_reports_before_the_archive_start_are_refused(client, admin, token_for, away):
    before = _partitions()
    body = {"category": "0603", "lon": away[0], "lat": away[1], "reported_at": "1999-12-31T23:00:00"}
    for headers in (token_for("public"), admin):
        r = client.post("/api/v1/problems", json=body, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "reported_at", r.text
        assert "2000-01-01" in r.json()["detail"]
    for year in ("1800", "0001"):
        r = client.post("/api/v1/problems", json={**body, "reported_at": f"{year}-03-01T08:00:00"},
                        headers=token_for("public"))
        assert r.status_code == 422 and r.json()["field"] == "reported_at"
    assert _partitions() == before


def test_only_admins_file_reports_into_new_months_far_back(client, admin, token_for, away):
    assert scalar("SELECT to_regclass('problems_200405')") is None
    before = _partitions()
    body = {"category": "0603", "lon": away[0], "lat": away[1], "reported_at": "2004-05-10T09:00:00"}
    for headers in (token_for("public"), token_for("street_chief", "411421002")):
        r = client.post("/api/v1/problems", json=body, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "reported_at", r.text
        assert "ccgrid import problems" in r.json()["detail"]
    assert _partitions() == before
    # A recent month (within CCGRID_INTAKE_NEW_MONTHS_BACK) is taken as before; so is an admin's old report.
    recent = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    assert client.post("/api/v1/problems", json={**body, "reported_at": recent},
                       headers=token_for("public")).status_code == 201
    r = client.post("/api/v1/problems", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert scalar("SELECT to_regclass('problems_200405')::text") == "problems_200405"
    # Once the month exists, anyone may file into it (no new table).
    assert client.post("/api/v1/problems", json=body, headers=token_for("public")).status_code == 201


def test_future_reports_are_refused(client, token_for, away):
    at = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    r = client.post("/api/v1/problems", json={"category": "0603", "lon": away[0], "lat": away[1], "reported_at": at},
                    headers=token_for("public"))
    assert r.status_code == 422 and r.json()["field"] == "reported_at"


# --- item 18: what scoped, public and anonymous callers see --------------------------------------------------------

def test_layer_list_counts_only_the_callers_region(client, admin, token_for):
    scoped = {x["name"]: x for x in client.get("/api/v1/layers", headers=token_for("street_chief", "411421001")).json()}
    city = {x["name"]: x for x in client.get("/api/v1/layers", headers=admin).json()}
    for layer in ("grid_cells", "streets", "assessment_points"):
        mine = scalar(f"SELECT count(*) FROM {layer} WHERE region_code LIKE '411421001%'")
        assert scoped[layer]["count"] == mine < city[layer]["count"]
    x0, y0, x1, y1 = scoped["grid_cells"]["bbox"]
    assert (x0, y0, x1, y1) == pytest.approx(tuple(scalar(
        f"SELECT ST_{f}(ST_Extent(geom)) FROM grid_cells WHERE region_code LIKE '411421001%'")
        for f in ("XMin", "YMin", "XMax", "YMax")))
    assert scoped["grid_cells"]["bbox"] != city["grid_cells"]["bbox"]


def test_locate_names_no_sibling_regions(client, token_for, home, away):
    chief = token_for("street_chief", home[0])
    there = client.get("/api/v1/locate", params={"lon": away[0], "lat": away[1]}, headers=chief).json()
    assert there["district"]["code"] == "411421"
    assert there["subdistrict"] is None and there["community"] is None and there["owners"] == []
    here = client.get("/api/v1/locate", params={"lon": home[1][0], "lat": home[1][1]}, headers=chief).json()
    assert here["subdistrict"]["code"] == home[0][:9] and here["community"]["code"] == home[0]


def test_open311_reading_shows_no_people_and_lists_few_ids(client):
    many = ",".join(str(i) for i in range(1, 1001))
    r = client.get("/open311/v2/requests.json", params={"service_request_id": many})
    assert r.status_code == 400 and "at most 100" in r.json()[0]["description"]
    # Reports whose owners are people, with the people's names.
    rows = [(pid, name) for pid, name in _owned_by_people()]
    ids = ",".join(str(pid) for pid, _ in rows)
    got = client.get("/open311/v2/requests.json", params={"service_request_id": ids}).json()
    assert len(got) == len(rows) > 0
    names = {name for _, name in rows}
    subdistricts = set(_names_of_subdistricts())
    for item in got:
        assert item["agency_responsible"] in subdistricts and item["agency_responsible"] not in names
        assert item["address"] is None
        assert round(item["lat"], 3) == item["lat"] and round(item["long"], 3) == item["long"]
        one = client.get(f"/open311/v2/requests/{item['service_request_id']}.json").json()[0]
        assert one["agency_responsible"] == item["agency_responsible"]
    assert not any(name in r.text for name in names)


def _owned_by_people():
    from sqlalchemy import text

    from gis.db import transaction

    with transaction() as s:
        return s.execute(text("""
            SELECT DISTINCT ON (po.problem_id) po.problem_id, pp.name FROM problem_owners po
            JOIN assignments a ON a.id = po.assignment_id JOIN people pp ON pp.id = a.person_id
            JOIN problems p ON p.id = po.problem_id
            WHERE p.duplicate_of IS NULL AND length(p.region_code) >= 9
            ORDER BY po.problem_id DESC LIMIT 20""")).all()


def _names_of_subdistricts():
    from sqlalchemy import text

    from gis.db import transaction

    with transaction() as s:
        return s.execute(text("SELECT name FROM regions WHERE level = 'subdistrict'")).scalars().all()


def test_a_public_report_answer_names_nobody(client, token_for, home):
    public = token_for("public")
    label = scalar("SELECT label FROM api_tokens ORDER BY id DESC LIMIT 1")
    r = client.post("/api/v1/problems", json={"category": "0401", "lon": home[1][0], "lat": home[1][1],
                                              "reporter": "李女士", "reporter_contact": "13700000000"},
                    headers=public)
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["grid_cell_code"].startswith(home[0]) and p["status"] == "reported"
    assert "owners" not in p and "history" not in p and "reporter" not in p
    assert label not in r.text and "token:" not in r.text and "13700000000" not in r.text
    assert scalar("SELECT count(*) FROM problem_owners WHERE problem_id = :i", i=p["id"]) > 0  # there were owners


# --- item 14: request times without a zone are Beijing time, absurd years are 422 ---------------------------------

@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/ledgers/points", {"since": "2026-01-01T00:00:00"}),
    ("/api/v1/ledgers/problems", {"since": "2025-06-01T00:00:00", "until": "2026-06-01T00:00:00"}),
    ("/api/v1/indicators", {"until": "2026-06-01T00:00:00"}),
    ("/api/v1/problems", {"since": "2026-01-01T00:00:00", "until": "2026-02-01T00:00:00"}),
    ("/api/v1/analytics/heatmap", {"since": "2026-01-01T00:00:00"}),
])
def test_naive_times_in_queries_are_read_in_beijing(client, viewer, path, params):
    r = client.get(path, params=params, headers=viewer)
    assert r.status_code == 200, r.text


def test_open311_dates_naive_and_absurd(client):
    r = client.get("/open311/v2/requests.json", params={"start_date": "2026-01-01T00:00:00",
                                                       "end_date": "2026-02-01T00:00:00"})
    assert r.status_code == 200, r.text
    r = client.get("/open311/v2/requests.json", params={"end_date": "0001-01-01T00:52:36Z"})
    assert r.status_code == 422 and r.json()["field"] == "end_date"


def test_a_naive_time_is_eight_in_the_morning_in_the_city(client, token_for, away):
    r = client.post("/api/v1/problems", json={"category": "0603", "lon": away[0], "lat": away[1],
                                              "reported_at": "2026-01-05T08:00:00"}, headers=token_for("public"))
    assert r.status_code == 201, r.text
    assert scalar("SELECT reported_at FROM problems WHERE id = :i", i=r.json()["id"]) == \
        datetime(2026, 1, 5, 0, tzinfo=UTC)


# --- item 14 (延期 due_at) and 19: extensions are bounded ---------------------------------------------------------

def _in_hand(client, admin, away, dx):
    pid = client.post("/api/v1/problems", json={"category": "0403", "source": "patrol", "lon": away[0] + dx,
                                                "lat": away[1]}, headers=admin).json()["id"]
    for action in ("立案", "派遣", "签收整改"):
        assert client.post(f"/api/v1/problems/{pid}/actions", json={"action": action}, headers=admin).status_code == 200
    return pid


def test_an_extension_has_a_limit(client, admin, away):
    pid = _in_hand(client, admin, away, 0.0011)
    act = f"/api/v1/problems/{pid}/actions"
    due = datetime.fromisoformat(scalar("SELECT due_at FROM problems WHERE id = :i", i=pid).isoformat())
    for far in ("2100-01-01T00:00:00+08:00", (due + timedelta(days=60)).isoformat()):
        r = client.post(act, json={"action": "延期", "note": "等待", "due_at": far}, headers=admin)
        assert r.status_code == 422 and r.json()["field"] == "due_at", r.text
        assert "at most 20 working days" in r.json()["detail"]
    r = client.post(act, json={"action": "延期", "note": "等待", "due_at": "9999-12-31T00:00:00"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "due_at"
    assert scalar("SELECT extension_count FROM problems WHERE id = :i", i=pid) == 0
    # Within the limit, and without a zone (Beijing time): taken.
    near = (due + timedelta(days=7)).astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8)
    r = client.post(act, json={"action": "延期", "note": "等待", "due_at": near.isoformat()}, headers=admin)
    assert r.status_code == 200, r.text
    assert scalar("SELECT due_at FROM problems WHERE id = :i", i=pid) == due + timedelta(days=7)


def test_the_limit_is_the_categorys(client, admin, away):
    pid = _in_hand(client, admin, away, 0.0016)
    due = scalar("SELECT due_at FROM problems WHERE id = :i", i=pid)
    code = scalar("SELECT category_code FROM problems WHERE id = :i", i=pid)
    from sqlalchemy import text

    from gis.db import transaction

    with transaction() as s:
        s.execute(text("UPDATE problem_categories SET max_extension_days = 1 WHERE code = :c"), {"c": code})
    try:
        r = client.post(f"/api/v1/problems/{pid}/actions",
                        json={"action": "延期", "note": "等待", "due_at": (due + timedelta(days=7)).isoformat()},
                        headers=admin)
        assert r.status_code == 422 and "at most 1 working days" in r.json()["detail"]
    finally:
        with transaction() as s:
            s.execute(text("UPDATE problem_categories SET max_extension_days = 20 WHERE code = :c"), {"c": code})


@pytest.mark.parametrize("request_id", ["¹", "٣", "1²"])
def test_open311_request_ids_in_other_digits_are_not_found(client, request_id):
    # str.isdigit() is true for superscripts and Arabic-Indic digits, which int() refuses: a 500 on main.
    r = client.get(f"/open311/v2/requests/{request_id}.json")
    assert r.status_code == 404
