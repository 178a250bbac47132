"""Escalation ladder, indicators, ledgers and the 督导单 on crafted towns with controlled clocks."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from gis.db import transaction
from layers.access.caller import SYSTEM, Caller
from layers.ledger import escalation, ledgers, lifecycle, photos
from layers.ledger import intake as problems
from layers.ledger.calendar import TZ
from layers.registry import assignments as a
from layers.registry import people as owners
from tests.conftest import scalar
from tests.crafted import owner_town
from tests.images import as_role, photo

TEST = Caller("test")  # city-wide, as the CLI and the demo act
CATEGORIES = ["占道经营", "乱堆物料", "露天烧烤", "占压盲道", "乱摆乱放", "乱拉乱挂"]


def _town(code, lon, lat, chief_name):
    t = owner_town(code, lon, lat)
    with transaction() as s:
        pid = owners.create_person(s, name=chief_name, region_code=code, caller=TEST)
        ids = a.resolve_features(s, "streets", street_name="和平路", caller=Caller("test", scope=code))
        a.assign(s, role="road_chief", layer="streets", feature_ids=ids, holder=a.Holder(pid),
                 valid_from=datetime(2025, 1, 1).date(), caller=TEST)
        lon0, lat0 = s.execute(text(
            "SELECT ST_X(ST_LineInterpolatePoint(geom, 0.5)), ST_Y(ST_LineInterpolatePoint(geom, 0.5)) FROM streets "
            "WHERE code = :c"), {"c": f"{code}-h1"}).one()
    return {**t, "chief": pid, "lon": lon0, "lat": lat0}


def _problem(town, n, reported, steps):
    """Report the n-th problem on the street at `reported`, then apply (action, when) steps."""
    with transaction() as s:
        pid = problems.intake(s, problems.Report(category=CATEGORIES[n], source="patrol", lon=town["lon"],
                                                 lat=town["lat"], reported_at=reported), caller=SYSTEM)
    for step, (action, when) in enumerate(steps):
        # The verifier is not whoever marked it rectified (the categories' verifier_must_differ).
        who = as_role("admin", actor="verifier" if action == "核查通过" else "test")
        with transaction() as s:
            # A different picture for each problem and step (a re-inspection photo must be a new one).
            shot = photos.attach(s, pid, photo(pid * 100 + step), caller=who)["id"] \
                if action in ("整改完成", "核查通过") else None
            lifecycle.transition(s, pid, action, caller=who, photo_id=shot,
                                 note="复查不合格" if action == "退回" else None, now=when)
    return pid


def d(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=TZ)



def _dispatch_at(when):
    return [("立案", when), ("派遣", when)]


def test_third_exposure_in_the_window_is_accountability(database):
    t = _town("419921", 115.20, 35.20, "超期路长")
    old = _problem(t, 0, d(1, 5, 9), _dispatch_at(d(1, 5)))  # overdue in January, outside June's window
    b = _problem(t, 1, d(6, 1, 9), _dispatch_at(d(6, 1)))
    c = _problem(t, 2, d(6, 8, 9), _dispatch_at(d(6, 8)))
    dd = _problem(t, 3, d(6, 15, 9), _dispatch_at(d(6, 15)))
    with transaction() as s:
        new = escalation.run(s, as_of=d(7, 1))
        again = escalation.run(s, as_of=d(7, 1))
    assert again == 0 and new >= 4
    rows = scalar("""SELECT array_agg(e.problem_id || ':' || l.name ORDER BY e.exposed_at)
                     FROM escalations e JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
                     WHERE e.person_id = :p""", p=t["chief"])
    assert rows == [f"{old}:通报", f"{b}:通报", f"{c}:约谈", f"{dd}:问责"]
    with transaction() as s:
        week = s.execute(text("SELECT to_char(exposed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-\"W\"IW') "
                              "FROM escalations WHERE problem_id = :p"), {"p": dd}).scalar()
        listed = escalation.listing(s, week=week, scope="419921", party="person")
    assert [(r["holder"], r["level_name"], r["reason"]) for r in listed] == [("超期路长", "问责", "超期未整改")]
    assert listed[0]["window_problem_ids"] == [b, c, dd]


def test_failed_reinspection_counts_as_exposure(database):
    t = _town("419922", 115.30, 35.30, "返工路长")
    steps = _dispatch_at(d(3, 2)) + [("签收整改", d(3, 2, 11)), ("整改完成", d(3, 2, 15)), ("退回", d(3, 3))]
    pid = _problem(t, 0, d(3, 2, 9), steps)
    with transaction() as s:
        escalation.run(s, as_of=d(3, 3, 12))
    assert scalar("SELECT kind || ':' || level FROM escalations WHERE problem_id = :p AND person_id = :c",
                  p=pid, c=t["chief"]) == "rework:1"


def test_indicators_and_ledgers(database):
    t = _town("419923", 115.40, 35.40, "指标路长")

    def fix(day, extra):  # 乱堆物料/占道经营 … deadlines are days; close on `extra`
        return _dispatch_at(d(5, day)) + [("签收整改", d(5, day, 11))] + extra

    def done(when):
        return [("整改完成", when), ("核查通过", when + timedelta(hours=1)), ("销号", when + timedelta(hours=2))]

    _problem(t, 0, d(5, 6, 9), fix(6, done(d(5, 6, 15))))  # on time
    _problem(t, 1, d(5, 6, 9), fix(6, done(d(5, 29))))  # late
    _problem(t, 2, d(5, 6, 9), fix(6, [("整改完成", d(5, 6, 14)), ("退回", d(5, 6, 15))] + done(d(5, 6, 16))))
    _problem(t, 3, d(5, 6, 9), fix(6, []))  # never fixed: overdue
    now = datetime.now(TZ)
    _problem(t, 4, now - timedelta(minutes=5), _dispatch_at(now))  # not due yet
    with transaction() as s:
        [sub] = ledgers.indicators(s, level="subdistrict", scope="419923", since=d(1, 1), until=now + timedelta(1))
        [owner] = ledgers.indicators(s, level="owner", scope="419923", since=d(1, 1), until=now + timedelta(1))
        rect = ledgers.ledger(s, "rectification", scope="419923", since=d(1, 1), until=now + timedelta(1))
        probs = ledgers.ledger(s, "problems", scope="419923", since=d(1, 1), until=now + timedelta(1))
        points = ledgers.ledger(s, "points", scope="419923")
    assert (sub["dispatched"], sub["due"], sub["closed"], sub["closed_on_time"], sub["reworked"], sub["overdue"]) == (
        5, 4, 3, 2, 1, 2)
    assert (sub["closure_rate"], sub["on_time_rate"], sub["rework_rate"], sub["overdue_rate"]) == (0.75, 0.5, 0.25, 0.5)
    assert owner["name"] == "指标路长" and owner["due"] == 4
    assert sorted(r["是否按期"] for r in rect) == ["按期", "按期", "整改中", "超期完成", "超期未完成"]
    assert len(probs) == 5 and all("指标路长" in (p["责任人"] or "") for p in probs)
    assert {p["类型"] for p in points} == {"农贸市场", "公共厕所"}


def test_supervision_sheet_lists_open_problems_overdue_first(database, client, admin):
    t = _town("419924", 115.50, 35.50, "督导路长")
    late = _problem(t, 0, d(4, 1, 9), _dispatch_at(d(4, 1)))
    now = datetime.now(TZ)
    fresh = _problem(t, 1, now - timedelta(minutes=1), _dispatch_at(now))
    with transaction() as s:
        sheet = ledgers.supervision_sheet(s, person_id=t["chief"], caller=TEST)
    assert [i["id"] for i in sheet["items"]] == [late, fresh] and sheet["overdue"] == 1
    with transaction() as s:
        s.execute(text("UPDATE problems SET description = '<script>alert(1)</script>' WHERE id = :p"), {"p": late})
    page = client.get("/api/v1/supervision-sheet", params={"person_id": t["chief"]}, headers=admin)
    assert page.status_code == 200 and "督导路长" in page.text and "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text and "已超期" in page.text
    xlsx = client.get("/api/v1/supervision-sheet", params={"person_id": t["chief"], "format": "xlsx"}, headers=admin)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


@pytest.mark.parametrize("kind", ["points", "problems", "rectification"])
def test_ledger_excel_over_http(client, viewer, kind):
    r = client.get(f"/api/v1/ledgers/{kind}", params={"format": "xlsx", "region": "411421"}, headers=viewer)
    assert r.status_code == 200 and r.content[:2] == b"PK"
