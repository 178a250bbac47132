"""Previews before writes, over HTTP: a handover (by person, or one place of theirs) answers the places and open
problems that would move and writes nothing, then moves them; a bulk assignment counts what it would select; a
roster upload answers each row's outcome and writes nothing, then imports."""

from datetime import date, timedelta

import pytest

from gis.db import transaction
from layers.access.caller import SYSTEM
from tests.conftest import scalar

REGION = "411421001"
COUNTS = {t: f"SELECT count(*) FROM {t}" for t in
          ("assignments", "problem_owners", "problem_events", "people", "units", "audit_log")}


def _counts():
    return {t: scalar(sql) for t, sql in COUNTS.items()} | {
        "open_assignments": scalar("SELECT count(*) FROM assignments WHERE valid_to IS NULL")}


def _person(client, admin, name, phone):
    r = client.post("/api/v1/people", json={"name": name, "phone": phone, "region_code": REGION}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _report_on(street_id):
    """A report lying on the street (its midpoint), so it is routed there and owned by its owners of today."""
    from layers.ledger import intake

    x, y = (scalar(f"SELECT ST_{c}(ST_LineInterpolatePoint(ST_LineMerge(geom), 0.5)) FROM streets WHERE id = :i",
                   i=street_id) for c in "XY")
    with transaction() as s:
        return intake.intake(s, intake.Report(category="乱拉乱挂", source="patrol", lon=x, lat=y), caller=SYSTEM)


@pytest.fixture(scope="module")
def handed(client, admin):
    """Two back lanes held by 旧路长 as 路长 since a month ago, an open problem on the first one."""
    old = _person(client, admin, "交接旧路长", "13600000201")
    new = _person(client, admin, "交接新路长", "13600000202")
    lanes = [scalar("SELECT id FROM streets WHERE road_class = 'back_lane' AND region_code LIKE :r "
                    "AND ST_GeometryType(geom) = 'ST_LineString' ORDER BY id OFFSET :o LIMIT 1", r=REGION + "%", o=o)
             for o in (3, 4)]
    since = (date.today() - timedelta(days=30)).isoformat()
    for lane in lanes:
        r = client.post("/api/v1/assignments", json={"role": "路长", "layer": "streets", "feature_id": lane,
                                                     "person_id": old, "valid_from": since}, headers=admin)
        assert r.status_code == 201, r.text
    problem = _report_on(lanes[0])
    assert scalar("SELECT count(*) FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id "
                  "WHERE po.problem_id = :p AND a.person_id = :o", p=problem, o=old) == 1
    return {"old": old, "new": new, "lanes": lanes, "problem": problem}


def test_a_handover_preview_answers_what_moves_and_writes_nothing(client, admin, handed):
    before = _counts()
    body = {"from_person_id": handed["old"], "to_person_id": handed["new"], "move_open_problems": True,
            "dry_run": True}
    r = client.post("/api/v1/assignments/handover", json=body, headers=admin)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["dry_run"] is True
    assert sorted(p["feature_id"] for p in plan["places"]) == sorted(handed["lanes"])
    assert {p["role_name"] for p in plan["places"]} == {"路长"}
    assert [p["id"] for p in plan["problems"]] == [handed["problem"]]
    assert plan["problems"][0]["category_name"] == "乱拉乱挂" and plan["moved_problems"] == [handed["problem"]]
    assert len(plan["created"]) == 2  # what the real run creates, rolled back
    assert _counts() == before
    assert scalar("SELECT count(*) FROM assignments WHERE person_id = :n", n=handed["new"]) == 0


def test_a_handover_of_one_place_moves_it_and_its_problems(client, admin, handed):
    first, second = handed["lanes"]
    body = {"from_person_id": handed["old"], "to_person_id": handed["new"], "layer": "streets",
            "feature_id": first, "move_open_problems": True}
    r = client.post("/api/v1/assignments/handover", json=body, headers=admin)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["dry_run"] is False and [p["feature_id"] for p in done["places"]] == [first]
    assert done["moved_problems"] == [handed["problem"]]
    today = scalar("SELECT current_date")
    old_row = scalar("SELECT valid_to FROM assignments WHERE person_id = :o AND feature_id = :f", o=handed["old"],
                     f=first)
    assert old_row == today  # closed on the day of the handover, kept as history
    assert scalar("SELECT count(*) FROM assignments WHERE person_id = :n AND feature_id = :f AND valid_from = "
                  "current_date AND valid_to IS NULL", n=handed["new"], f=first) == 1
    # The second lane stays with the old holder; the problem now belongs to the new one, with a 移交 event.
    assert scalar("SELECT count(*) FROM assignments_on(current_date) WHERE person_id = :o AND feature_id = :f",
                  o=handed["old"], f=second) == 1
    assert scalar("SELECT p.name FROM problem_owners po JOIN assignments a ON a.id = po.assignment_id "
                  "JOIN people p ON p.id = a.person_id WHERE po.problem_id = :p AND a.role = 'road_chief'",
                  p=handed["problem"]) == "交接新路长"
    assert scalar("SELECT count(*) FROM problem_events WHERE problem_id = :p AND action = '移交'",
                  p=handed["problem"]) == 1
    owners = client.get(f"/api/v1/layers/streets/features/{first}/owners", params={"history": "true"},
                        headers=admin).json()
    assert [o["person_name"] for o in owners if o["role"] == "road_chief"][-2:] == ["交接旧路长", "交接新路长"]


def test_a_handover_refuses_what_it_cannot_do(client, admin, handed, token_for):
    same = {"from_person_id": handed["old"], "to_person_id": handed["old"]}
    r = client.post("/api/v1/assignments/handover", json=same, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "to_person_id"
    nobody = _person(client, admin, "无责任人员", "13600000203")
    r = client.post("/api/v1/assignments/handover", json={"from_person_id": nobody, "to_person_id": handed["new"]},
                    headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "from_person_id"
    # Another 街道's staff see nothing of these places to hand over.
    other = token_for("subdistrict_staff", "411421002")
    before = _counts()
    r = client.post("/api/v1/assignments/handover", json={"from_person_id": handed["old"],
                                                          "to_person_id": handed["new"]}, headers=other)
    assert r.status_code == 422 and _counts() == before


def test_bulk_dry_run_counts_the_selection_and_writes_nothing(client, admin, handed):
    body = {"role": "路长", "layer": "streets", "region": "411421001001", "kind": "back_lane",
            "person_id": handed["new"], "dry_run": True}
    before = _counts()
    r = client.post("/api/v1/assignments/bulk", json=body, headers=admin)
    assert r.status_code == 201, r.text
    plan = r.json()
    lanes = scalar("SELECT count(*) FROM streets WHERE road_class = 'back_lane' AND region_code LIKE '411421001001%'")
    assert plan["dry_run"] is True and plan["selected"] == lanes > 0
    assert len(plan["created"]) + plan["unchanged"] == lanes
    assert _counts() == before


ROSTER = "姓名,电话,单位,角色,道路名称,起始日期\n{rows}"


def _roster(rows):
    return ROSTER.format(rows="\n".join(rows)).encode("utf-8")


def test_a_roster_preview_answers_each_row_and_writes_nothing_then_imports(client, admin, handed):
    street = scalar("SELECT min(name) FROM streets WHERE road_class = 'back_lane' AND region_code LIKE :r",
                    r=REGION + "%")
    data = _roster([f"交接旧路长,13600000201,,路长,{street},2026-11-01",        # matched by phone
                    f"名册新人,13600000299,名册新单位,路长,{street},2026-11-01",  # created (and the unit)
                    "名册坏行,13600000298,,不存在的角色,某路,2026-11-01"])       # rejected
    files = {"file": ("roster.csv", data, "text/csv")}
    before = _counts()
    r = client.post("/api/v1/assignments/import", params={"dry_run": "true"}, files=files, headers=admin)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["dry_run"] is True and plan["rows"] == 3
    assert [(o["row"], o["holder"], o["holder_state"]) for o in plan["outcomes"]] == [
        (1, "交接旧路长", "matched"), (2, "名册新人", "created")]
    assert [(x["row"], x["field"]) for x in plan["rejected"]] == [(3, "role")]
    assert plan["created"] > 0
    assert _counts() == before and scalar("SELECT count(*) FROM people WHERE name = '名册新人'") == 0
    # Without the bad row it commits, as the preview said.
    good = _roster([f"交接旧路长,13600000201,,路长,{street},2026-11-01",
                    f"名册新人,13600000299,名册新单位,路长,{street},2026-11-01"])
    r = client.post("/api/v1/assignments/import", files={"file": ("roster.csv", good, "text/csv")}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == plan["created"] and r.json()["dry_run"] is False
    assert scalar("SELECT count(*) FROM people WHERE name = '名册新人' AND phone = '13600000299'") == 1
    assert scalar("SELECT count(*) FROM units WHERE name = '名册新单位'") == 1
