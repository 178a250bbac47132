"""The rule tables and the work calendar over HTTP (/api/v1/rules…, /api/v1/calendar…): admins and the city office
change them, others only read; answers match their models; bad values are 422 naming the field, a row in use is
409 until retired; an edited deadline changes the due time of the next problem dispatched."""

from datetime import datetime

import pytest

from gis.db import transaction
from layers.ledger.calendar import WorkCalendar
from layers.rules.schemas import CalendarImport, CalendarYear, RuleRow, RuleRowDetail, RuleTable
from tests import crafted
from tests.api.test_openapi_contract import check
from tests.conftest import scalar

CATEGORY = "0691"


@pytest.fixture(scope="module")
def office(token_for):
    return token_for("city_office")


@pytest.fixture(scope="module")
def category(client, admin):
    r = client.post("/api/v1/rules/categories", headers=admin, json={
        "code": CATEGORY, "parent_code": "06", "name": "接口测试类", "deadline_amount": 10, "deadline_unit": "days"})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def token_for():  # module-scoped twin of conftest's (tokens are made once per module)
    from tests.conftest import _token

    return lambda role, region=None: {"Authorization": f"Bearer {_token(role, region)}"}


def test_the_tables_and_their_rows_are_listed(client, viewer, category):
    tables = check(list[RuleTable], client.get("/api/v1/rules", headers=viewer))
    assert {t["name"] for t in tables} >= {"categories", "sources", "point_types", "checklist_items",
                                           "coverage_rules", "department_rules", "escalation_levels",
                                           "exposure_kinds", "escalation_settings"}
    rows = check(list[RuleRow], client.get("/api/v1/rules/categories", headers=viewer))
    assert {"code": CATEGORY, "deadline_amount": 10, "deadline_unit": "days"}.items() <= next(
        r for r in rows if r["code"] == CATEGORY).items()
    items = check(list[RuleRow], client.get("/api/v1/rules/checklist_items", params={"point_type": "农贸市场"},
                                            headers=viewer))
    assert items and all(i["point_type"] == "农贸市场" and isinstance(i["weight"], int | float) for i in items)
    detail = check(RuleRowDetail, client.get("/api/v1/rules/point_types/农贸市场", headers=viewer))
    assert {u["what"] for u in detail["in_use"]} >= {"assessment points", "checklist items", "coverage rules"}
    ladder = check(RuleRowDetail, client.get("/api/v1/rules/escalation_levels/person:1", headers=viewer))
    assert ladder["row"]["code"] == "notice"
    assert client.get("/api/v1/rules/colours", headers=viewer).status_code == 404
    assert client.get("/api/v1/rules/categories/9999", headers=viewer).status_code == 404


def test_only_admins_and_the_city_office_change_the_rules(client, category, token_for, office):
    chief = token_for("street_chief", "411421001")
    for method, url, body in [
        ("PATCH", f"/api/v1/rules/categories/{CATEGORY}", {"deadline_amount": 2}),
        ("POST", "/api/v1/rules/sources", {"code": "x1", "name": "不该有的来源"}),
        ("POST", f"/api/v1/rules/categories/{CATEGORY}/retire", None),
        ("DELETE", f"/api/v1/rules/categories/{CATEGORY}", None),
        ("PUT", "/api/v1/calendar/2031-05-07", {"is_workday": False}),
    ]:
        for who in (chief, token_for("district_staff", "411421"), token_for("viewer")):
            r = client.request(method, url, headers=who, json=body)
            assert r.status_code == 403, (method, url, r.status_code)
            assert "may not manage rules" in r.json()["detail"]
        assert client.request(method, url, json=body).status_code == 401
    r = client.post("/api/v1/calendar/import", headers=chief, files={"file": ("a.csv", b"day,kind\n")})
    assert r.status_code == 403
    assert scalar("SELECT deadline_amount FROM problem_categories WHERE code = :c", c=CATEGORY) == 10
    r = client.patch(f"/api/v1/rules/categories/{CATEGORY}", headers=office, json={"duplicate_window_h": 48})
    assert r.status_code == 200 and r.json()["duplicate_window_h"] == 48
    actor = scalar("SELECT actor FROM audit_log WHERE entity = 'problem_categories' AND entity_id = :c "
                   "ORDER BY id DESC LIMIT 1", c=CATEGORY)
    assert actor.startswith("token:")


@pytest.mark.parametrize(("url", "body", "field", "words"), [
    (f"/api/v1/rules/categories/{CATEGORY}", {"deadline_amount": 0}, "deadline_amount", "at least 1"),
    (f"/api/v1/rules/categories/{CATEGORY}", {"deadline_unit": "weeks"}, "deadline_unit", "hours, days"),
    (f"/api/v1/rules/categories/{CATEGORY}", {"deadline_amount": "soon"}, "deadline_amount", "a number"),
    (f"/api/v1/rules/categories/{CATEGORY}", {}, None, "nothing to change"),
    ("/api/v1/rules/escalation_levels/person:3", {"exposures": 2}, "exposures", "the ladder climbs"),
    ("/api/v1/rules/escalation_settings/window_days", {"value": -5}, "value", "between 1 and 3660"),
])
def test_bad_values_are_422_naming_the_field(client, admin, category, url, body, field, words):
    r = client.patch(url, headers=admin, json=body)
    assert r.status_code == 422, r.text
    assert r.json().get("field") == field and words in r.json()["detail"], r.json()


def test_create_retire_delete_and_in_use(client, admin, category):
    r = client.post("/api/v1/rules/sources", headers=admin, json={"code": "12388", "name": "12388热线（接口测试）"})
    assert r.status_code == 201 and r.json()["code"] == "12388"
    assert client.post("/api/v1/rules/sources", headers=admin,
                       json={"code": "12388", "name": "又一个"}).status_code == 409
    r = client.post("/api/v1/rules/sources/12388/retire", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.delete("/api/v1/rules/sources/12388", headers=admin).status_code == 204
    assert scalar("SELECT count(*) FROM problem_sources WHERE code = '12388'") == 0
    r = client.delete("/api/v1/rules/categories/0101", headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "code"
    assert "is in use by problems" in r.json()["detail"] and "retire it instead" in r.json()["detail"]
    r = client.post("/api/v1/rules/escalation_settings", headers=admin, json={"key": "colour", "value": "red"})
    assert r.status_code == 422
    r = client.delete("/api/v1/rules/escalation_settings/window_days", headers=admin)
    assert r.status_code == 422
    changes = client.get("/api/v1/rules/changes", params={"table": "sources"}, headers=admin).json()
    assert [c["action"] for c in changes[:3]] == ["delete", "retire", "create"]
    assert changes[0]["detail"]["before"]["code"] == "12388"


def _registered(client, headers, category):
    for lon, lat in crafted.spots("411421002", 60, "south_first"):
        r = client.post("/api/v1/problems", json={"category": category, "lon": lon, "lat": lat}, headers=headers)
        assert r.status_code == 201, r.text
        if r.json()["duplicate_of"] is None:
            pid = r.json()["id"]
            assert client.post(f"/api/v1/problems/{pid}/actions", json={"action": "立案"},
                               headers=headers).status_code == 200
            return pid
    raise AssertionError("no spot")


def test_an_edited_deadline_changes_a_new_problems_due_time(client, admin, category):
    r = client.patch(f"/api/v1/rules/categories/{CATEGORY}", headers=admin,
                     json={"deadline_amount": 6, "deadline_unit": "hours"})
    assert r.status_code == 200 and (r.json()["deadline_amount"], r.json()["deadline_unit"]) == (6, "hours")
    pid = _registered(client, admin, CATEGORY)
    r = client.post(f"/api/v1/problems/{pid}/actions", json={"action": "派遣"}, headers=admin)
    assert r.status_code == 200, r.text
    problem = client.get(f"/api/v1/problems/{pid}", headers=admin).json()
    dispatched, due = (datetime.fromisoformat(problem[k]) for k in ("dispatched_at", "due_at"))
    with transaction() as s:
        calendar = WorkCalendar.load(s)
    assert due == calendar.add(dispatched, 6, "hours")
    assert due != calendar.add(dispatched, 10, "days")  # what it was before the edit


def test_the_calendar_over_http(client, admin, viewer):
    year = check(CalendarYear, client.get("/api/v1/calendar", params={"year": 2027}, headers=viewer))
    assert year["covered"] and year["holidays"] == 18 and year["days"][0]["day"] == "2027-01-01"
    assert client.get("/api/v1/calendar", headers=viewer).status_code == 200  # this year
    r = client.put("/api/v1/calendar/2033-05-04", headers=admin, json={"is_workday": False, "note": "青年节（测试）"})
    assert r.status_code == 200 and r.json()["weekday_name"] == "周三" and r.json()["changes"]
    assert scalar("SELECT is_workday FROM work_calendar WHERE day = '2033-05-04'") is False
    r = client.put("/api/v1/calendar/2033-05-04", headers=admin, json={"is_workday": None})
    assert r.status_code == 200 and r.json()["is_workday"] is True
    assert scalar("SELECT count(*) FROM work_calendar WHERE day = '2033-05-04'") == 0
    assert client.put("/api/v1/calendar/2033-02-30", headers=admin, json={"is_workday": False}).status_code == 422
    assert client.put("/api/v1/calendar/1999-01-04", headers=admin, json={"is_workday": False}).status_code == 422


def test_a_calendar_file_is_previewed_then_loaded_once(client, admin):
    data = "day,kind,note\n2034-01-02,放假,元旦\n2034-02-18,上班,春节调休\n".encode()
    r = client.post("/api/v1/calendar/import", params={"dry_run": "true"}, headers=admin,
                    files={"file": ("2034.csv", data, "text/csv")})
    preview = check(CalendarImport, r)
    assert (preview["created"], preview["dry_run"], preview["file"]) == (2, True, "2034.csv")
    assert scalar("SELECT count(*) FROM work_calendar WHERE day >= '2034-01-01' AND day < '2035-01-01'") == 0
    r = client.post("/api/v1/calendar/import", headers=admin, files={"file": ("2034.csv", data, "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 2
    r = client.post("/api/v1/calendar/import", headers=admin, files={"file": ("2034.csv", data, "text/csv")})
    assert (r.json()["created"], r.json()["unchanged"]) == (0, 2)
    bad = "day,kind,note\n2034-03-01,放假,x\n2034-03-32,放假,y\n".encode()
    r = client.post("/api/v1/calendar/import", headers=admin, files={"file": ("bad.csv", bad, "text/csv")})
    assert r.status_code == 422 and r.json()["rejected"] == [
        {"row": 3, "field": "day", "reason": "not a date (YYYY-MM-DD): '2034-03-32'"}]
    assert scalar("SELECT count(*) FROM work_calendar WHERE day = '2034-03-01'") == 0
