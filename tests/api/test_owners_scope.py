"""Region scope on the rows a registry request reads or points at, not only on the row it names: two crafted towns,
a 街道 user of the first, and a person of theirs who also holds a street in the second."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from gis.db import transaction
from layers.access.caller import Caller
from layers.registry import assignments as a
from layers.registry import people as owners
from tests.conftest import scalar
from tests.crafted import owner_town

TEST = Caller("test")


@pytest.fixture(scope="module")
def two(client, admin):
    home, away = owner_town("419965", 114.20, 35.20), owner_town("419966", 114.24, 35.20)
    with transaction() as s:
        mine = owners.create_person(s, name="本街道路长", phone="13911965001", region_code=home["subdistrict"],
                                    caller=TEST)
        other = owners.create_person(s, name="外街道秘书", phone="13911966001", region_code=away["subdistrict"],
                                     caller=TEST)
        unit = owners.create_unit(s, name="外街道城管中队", region_code=away["subdistrict"], caller=TEST)
        since = date.today() - timedelta(days=10)
        for town in (home, away):  # 路长 of both towns' 和平路
            ids = [town["ids"][f"{town['district']}-h{i}"] for i in range(3)]
            a.assign(s, role="road_chief", layer="streets", feature_ids=ids, holder=a.Holder(mine),
                     valid_from=since, caller=TEST)
    # A report on the second town's 和平路: its 路长 (our person) is among its owners.
    r = client.post("/api/v1/problems", headers=admin, json={
        "category": "占道经营", "source": "patrol", "lon": 114.243, "lat": 35.2051,
        "description": "外街道的问题描述", "address": "外街道和平路100号"})
    assert r.status_code == 201, r.text
    return {"home": home, "away": away, "mine": mine, "other": other, "unit": unit, "problem": r.json()["id"]}


def test_a_person_shows_only_assignments_inside_the_callers_region(client, admin, two, token_for):
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    seen = client.get(f"/api/v1/people/{two['mine']}", headers=staff).json()
    assert seen["assignments"] and all(x["region_code"].startswith("419965001") for x in seen["assignments"])
    assert seen["current_assignments"] == 3
    everything = client.get(f"/api/v1/people/{two['mine']}", headers=admin).json()
    assert len(everything["assignments"]) == everything["current_assignments"] == 6


def test_supervision_sheet_shows_only_problems_inside_the_callers_region(client, admin, two, token_for):
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    params = {"person_id": two["mine"], "format": "json"}
    assert two["problem"] in [i["id"] for i in client.get("/api/v1/supervision-sheet", params=params,
                                                          headers=admin).json()["items"]]
    mine = client.get("/api/v1/supervision-sheet", params=params, headers=staff)
    assert mine.status_code == 200 and mine.json()["items"] == []
    page = client.get("/api/v1/supervision-sheet", params={**params, "format": "html"}, headers=staff).text
    assert "外街道的问题描述" not in page and "外街道和平路100号" not in page


def test_a_person_cannot_be_pointed_at_rows_of_another_region(client, two, token_for):
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    for body, field in (({"unit_id": two["unit"]}, "unit_id"), ({"reports_to_id": two["other"]}, "reports_to_id")):
        r = client.patch(f"/api/v1/people/{two['mine']}", json=body, headers=staff)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
        assert "外街道" not in r.text
        # The same answer as for a row that does not exist at all.
        missing = client.patch(f"/api/v1/people/{two['mine']}", json={field: 10**8}, headers=staff)
        assert missing.status_code == 422 and missing.json()["detail"].replace(str(10**8), "?") == \
            r.json()["detail"].replace(str(body[field]), "?")
    r = client.post("/api/v1/people", json={"name": "新人", "unit_id": two["unit"]}, headers=staff)
    assert r.status_code == 422 and r.json()["field"] == "unit_id"


def test_an_assignment_cannot_name_a_holder_of_another_region(client, two, token_for):
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    lane = two["home"]["ids"]["419965-lane"]
    body = {"role": "路长", "layer": "streets", "feature_id": lane, "person_id": two["other"]}
    r = client.post("/api/v1/assignments", json=body, headers=staff)
    assert r.status_code == 422 and r.json()["field"] == "person_id", r.text
    body = {"role": "责任单位", "layer": "streets", "feature_id": lane, "unit_id": two["unit"]}
    r = client.post("/api/v1/assignments", json=body, headers=staff)
    assert r.status_code == 422 and r.json()["field"] == "unit_id", r.text
    body = {"role": "路长", "layer": "streets", "feature_id": lane, "person_id": two["mine"]}
    assert client.post("/api/v1/assignments", json=body, headers=staff).status_code == 201


def test_a_phone_number_of_another_region_is_not_confirmed(client, admin, two, token_for):
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    taken = client.post("/api/v1/people", json={"name": "试号", "phone": "13911966001"}, headers=staff)
    assert taken.status_code == 422 and taken.json()["field"] == "phone"
    assert "exist" not in taken.text and "13911966001" not in taken.text
    # Changing one's own person to that number answers the same.
    r = client.patch(f"/api/v1/people/{two['mine']}", json={"phone": "13911966001"}, headers=staff)
    assert (r.status_code, r.json()) == (422, taken.json())
    # A number held inside the caller's region may be named: they can see that person anyway.
    same = client.post("/api/v1/people", json={"name": "同号", "phone": "13911965001"}, headers=staff)
    assert same.status_code == 409
    assert client.post("/api/v1/people", json={"name": "同号", "phone": "13911966001"},
                       headers=admin).status_code == 409


def test_one_number_in_any_notation_is_one_number(client, two, token_for):
    # Review of #15: "+86 139-1196-6001" was stored beside "13911966001", past the uniqueness rule and the oracle.
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    for notation in ("+86 139-1196-5001", "0086 13911965001", "8613911965001", "139 1196 5001"):
        r = client.post("/api/v1/people", json={"name": "同号", "phone": notation}, headers=staff)
        assert r.status_code == 409, (notation, r.text)
    made = client.post("/api/v1/people", json={"name": "新号", "phone": "+86 (139) 1196-5099"}, headers=staff)
    assert made.status_code == 201 and made.json()["phone"] == "13911965099"


def test_refused_numbers_are_rationed(client, two, token_for, monkeypatch):
    # Review of #15: "cannot be used" still says the number is registered elsewhere; a caller gets only a few.
    from gis.settings import get_settings

    monkeypatch.setattr(get_settings(), "phone_refusals_per_window", 2)
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    codes = [client.patch(f"/api/v1/people/{two['mine']}", json={"phone": "13911966001"}, headers=staff).status_code
             for _ in range(3)]
    assert codes == [422, 422, 429]
    # Once rationed, even a number nobody holds is not tried: the answer says nothing about any number.
    r = client.patch(f"/api/v1/people/{two['mine']}", json={"phone": "13911960000"}, headers=staff)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_person_text_and_terms_are_bounded(client, two, token_for):
    staff = token_for("subdistrict_staff", two["home"]["subdistrict"])
    r = client.patch(f"/api/v1/people/{two['mine']}", json={"title": "长" * 200_000}, headers=staff)
    assert (r.status_code, r.json()["field"]) == (422, "title")
    lane = two["home"]["ids"][f"{two['home']['district']}-h1"]
    for body, field in (({"valid_from": "0001-01-01"}, "valid_from"), ({"valid_to": "9999-12-31"}, "valid_to"),
                        ({"note": "注" * 600}, "note")):
        r = client.post("/api/v1/assignments", headers=staff, json={
            "role": "路长", "layer": "streets", "feature_id": lane,
            "person_id": two["mine"], **body})
        assert (r.status_code, r.json().get("field")) == (422, field), r.text


def test_supervision_sheet_xlsx_for_a_name_excel_refuses_as_a_sheet_title(client, admin, two):
    name = "王[五]/第?组*:组长\x07"
    with transaction() as s:
        pid = owners.create_person(s, name=name, region_code=two["home"]["subdistrict"], caller=TEST)
    r = client.get("/api/v1/supervision-sheet", params={"person_id": pid, "format": "xlsx"}, headers=admin)
    assert r.status_code == 200
    title = load_workbook(BytesIO(r.content)).active.title
    assert title.startswith("督导单-王 五") and not set(title) & set("[]/?*:\x07")
    assert client.get("/api/v1/supervision-sheet", params={"person_id": pid, "format": "json"},
                      headers=admin).json()["holder"] == name


def test_a_supervision_sheet_is_paged_with_its_totals(client, admin):
    uid = scalar("SELECT pd.unit_id FROM problem_departments pd JOIN problems p ON p.id = pd.problem_id "
                 "AND p.reported_at = pd.problem_reported_at JOIN problem_statuses st ON st.code = p.status "
                 "WHERE NOT st.final AND p.duplicate_of IS NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    whole = client.get("/api/v1/supervision-sheet", params={"unit_id": uid, "format": "json", "limit": 5000},
                       headers=admin).json()
    assert whole["open"] == len(whole["items"]) > 3
    first = client.get("/api/v1/supervision-sheet", params={"unit_id": uid, "format": "json", "limit": 2},
                       headers=admin).json()
    second = client.get("/api/v1/supervision-sheet",
                        params={"unit_id": uid, "format": "json", "limit": 2, "offset": 2}, headers=admin).json()
    assert (first["open"], first["overdue"]) == (whole["open"], whole["overdue"])  # totals of all, not the page
    assert [i["id"] for i in first["items"] + second["items"]] == [i["id"] for i in whole["items"][:4]]
    page = client.get("/api/v1/supervision-sheet", params={"unit_id": uid, "format": "html", "limit": 2},
                      headers=admin).text
    assert f"第 1–2 件，共 {whole['open']} 件" in page and "下一页" in page and "上一页" not in page
    book = client.get("/api/v1/supervision-sheet", params={"unit_id": uid, "format": "xlsx", "limit": 2},
                      headers=admin)
    rows = list(load_workbook(BytesIO(book.content)).active.iter_rows(values_only=True))
    assert sum(1 for r in rows if isinstance(r[0], int)) == whole["open"]  # the workbook has them all
