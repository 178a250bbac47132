"""Departments on the owners of a problem, coverage of every point type, and escalation by exposure of one party."""

from datetime import date, datetime, timedelta

import pytest
from shapely.geometry import Point
from sqlalchemy import text

from gis.db import transaction
from gis.errors import InvalidInput
from layers.access.caller import SYSTEM, Caller
from layers.analytics import ranking
from layers.ledger import escalation, ledgers, lifecycle, photos
from layers.ledger import intake as problems
from layers.ledger.calendar import TZ
from layers.registry import assignments as a
from layers.registry import coverage
from layers.registry import people as owners
from tests.conftest import scalar
from tests.crafted import owner_town, put
from tests.images import as_role, photo

TEST = Caller("test")


def d(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=TZ)


def _department(s, name, head_name=None):
    unit = s.execute(text("INSERT INTO units (name, kind) VALUES (:n, 'department') RETURNING id"),
                     {"n": name}).scalar_one()
    if head_name:
        head = owners.create_person(s, name=head_name, caller=TEST)
        s.execute(text("UPDATE units SET head_person_id = :h WHERE id = :u"), {"h": head, "u": unit})
    return unit


def _rule(s, unit, category=None, point_type=None, duty="lead"):
    s.execute(text("INSERT INTO department_rules (unit_id, category_code, point_type, duty) VALUES (:u, :c, :t, :d)"),
              {"u": unit, "c": category, "t": point_type, "d": duty})


def _report(lon, lat, category, at, source="patrol"):
    with transaction() as s:
        return problems.intake(s, problems.Report(category=category, source=source, lon=lon, lat=lat,
                                                  reported_at=at), caller=SYSTEM)


def _steps(pid, steps):
    for n, (action, when) in enumerate(steps):
        with transaction() as s:
            shot = photos.attach(s, pid, photo(pid * 100 + n), caller=as_role("admin"))["id"] \
                if action == "整改完成" else None
            lifecycle.transition(s, pid, action, caller=as_role("admin"), photo_id=shot,
                                 note="复查不合格" if action == "退回" else None, now=when)


@pytest.fixture(scope="module")
def crossing(database):
    """A town whose 和平路 has a 街道级街长 and a 交通路口 on it; its 交警 leads anything reported at a 路口."""
    t = owner_town("419941", 115.60, 35.60)
    lon, lat = 115.603, 35.605  # on 和平路, between its second and third segment
    put("assessment_points", [({"code": "419941-X", "name": "和平路口", "point_type": "交通路口"}, Point(lon, lat))])
    with transaction() as s:
        chief = owners.create_person(s, name="路口街长", region_code="419941", caller=TEST)
        ids = a.resolve_features(s, "streets", street_name="和平路", caller=Caller("test", scope="419941"))
        a.assign(s, role="subdistrict_street_chief", layer="streets", feature_ids=ids, holder=a.Holder(chief),
                 valid_from=date(2025, 1, 1), caller=TEST)
        police = _department(s, "测试交警大队", "测试大队长")
        # 占道经营 at a 路口: more specific than the demo's rules for a 路口 (any category) or a class (街面秩序).
        _rule(s, police, category="0401", point_type="交通路口")
    return {**t, "chief": chief, "police": police, "lon": lon, "lat": lat}


def test_a_crossing_problem_in_a_street_goes_to_its_street_chief_and_the_traffic_police(crossing):
    pid = _report(crossing["lon"], crossing["lat"], "占道经营", d(6, 1))
    with transaction() as s:
        p = problems.get(s, pid)
    holders = {(o["place"], o["role_name"], o["holder"]) for o in p["owners"]}
    assert ("street", "街道级街长", "路口街长") in holders
    assert ("department", "主办部门", "测试交警大队") in holders
    assert p["point_type"] == "交通路口"
    # One 主办 only: another department a rule names as lead (the demo's 城管 leads 街面秩序 as a whole class and its
    # 交警 anything at a 路口, when the demo is loaded) assists; this rule is the most specific.
    leads = scalar("SELECT array_agg(unit_id) FROM problem_departments WHERE problem_id = :p AND duty = 'lead'", p=pid)
    assert leads == [crossing["police"]]
    # The ledger is cut by department as well as by place.
    with transaction() as s:
        listed = problems.search(s, scope="419941")["items"]
        from layers.ledger import listing
        by_police = listing.search(s, listing.ProblemQuery(department_id=crossing["police"]))["items"]
    assert pid in {r["id"] for r in listed} and pid in {r["id"] for r in by_police}


def test_a_problem_away_from_the_crossing_does_not_go_to_the_police(crossing):
    pid = _report(crossing["lon"] - 0.0025, crossing["lat"], "乱堆物料", d(6, 2))  # on 和平路, 200 m west
    assert scalar("SELECT count(*) FROM problem_departments WHERE problem_id = :p AND unit_id = :u",
                  p=pid, u=crossing["police"]) == 0


def test_every_point_type_has_a_coverage_rule_and_an_unowned_point_shows(crossing):
    assert scalar("""SELECT count(*) FROM point_types t WHERE NOT EXISTS (
                         SELECT 1 FROM coverage_rules r WHERE r.active AND r.layer = 'assessment_points'
                         AND r.filter_column = 'point_type' AND r.filter_value = t.name)""") == 0
    put("assessment_points", [({"code": "419941-R", "name": "测试救助站", "point_type": "救助站"},
                               Point(115.604, 35.602))])
    with transaction() as s:
        report = coverage.ownership(s, region="419941", layer="assessment_points")
    missing = {(m["code"], m["role_family"]) for m in report["missing"]}
    assert ("419941-R", "point_keeper") in missing and ("419941-R", "responsible_unit") in missing
    assert ("419941-X", "point_keeper") in missing  # the 路口 has no 点位责任人 either


def test_the_demos_unowned_points_equal_a_direct_count(demo):
    with transaction() as s:
        report = coverage.ownership(s, region="411421", layer="assessment_points", limit=10_000)
    unowned = {m["id"] for m in report["missing"]}
    direct = scalar("""
        SELECT count(DISTINCT ap.id) FROM assessment_points ap
        JOIN coverage_rules r ON r.active AND r.layer = 'assessment_points' AND r.filter_column = 'point_type'
             AND r.filter_value = ap.point_type
        WHERE ap.district_code = '411421' AND NOT EXISTS (
            SELECT 1 FROM assignments_on(current_date) x JOIN owner_roles o ON o.code = x.role
            WHERE x.layer = 'assessment_points' AND x.feature_id = ap.id AND o.family = r.role_family)""")
    assert len(unowned) == direct > 0
    assert report["totals"]["missing"] >= direct


def test_a_handover_with_its_successor_assigned_is_not_expiring(crossing):
    with transaction() as s:
        ids = a.resolve_features(s, "streets", street_name="幸福巷", caller=Caller("test", scope="419941"))
        old = owners.create_person(s, name="卸任街长", region_code="419941", caller=TEST)
        new = owners.create_person(s, name="接任街长", region_code="419941", caller=TEST)
        today = s.execute(text("SELECT current_date")).scalar_one()
        a.assign(s, role="subdistrict_street_chief", layer="streets", feature_ids=ids, holder=a.Holder(old),
                 valid_from=date(2025, 1, 1), valid_to=today + timedelta(days=10), caller=TEST)
        before = {e["holder"] for e in coverage.ownership(s, region="419941")["expiring"]}
        a.assign(s, role="subdistrict_street_chief", layer="streets", feature_ids=ids, holder=a.Holder(new),
                 valid_from=today + timedelta(days=10), caller=TEST)
        after = {e["holder"] for e in coverage.ownership(s, region="419941")["expiring"]}
        s.rollback()
    assert "卸任街长" in before and "卸任街长" not in after


def test_one_exposure_per_party_per_problem_and_the_ladder(database):
    # One street chief, one department leading 乱堆物料 here: a problem overdue, reworked and found by 暗访 is one
    # exposure each for the chief and the department, not one per kind or per owner row.
    t = owner_town("419942", 115.70, 35.70)
    with transaction() as s:
        chief = owners.create_person(s, name="阶梯街长", region_code="419942", caller=TEST)
        ids = a.resolve_features(s, "streets", street_name="和平路", caller=Caller("test", scope="419942"))
        a.assign(s, role="subdistrict_street_chief", layer="streets", feature_ids=ids, holder=a.Holder(chief),
                 valid_from=date(2025, 1, 1), caller=TEST)
        grid = owners.create_person(s, name="阶梯网格员", region_code="419942", caller=TEST)
        a.assign(s, role="grid_worker", layer="grid_cells", feature_ids=t["cells"], holder=a.Holder(grid),
                 valid_from=date(2025, 1, 1), caller=TEST)
        dept = _department(s, "测试阶梯执法局", "测试局长")
        _rule(s, dept, category="0402")
        s.execute(text("UPDATE escalation_settings SET value = 'window' WHERE key = 'unit_count_mode'"))
    lon, lat = 115.703, 35.705
    first = _report(lon, lat, "乱堆物料", d(8, 3, 9), source="mystery")
    _steps(first, [("立案", d(8, 3)), ("派遣", d(8, 3)), ("签收整改", d(8, 3, 11)), ("整改完成", d(8, 20)),
                   ("退回", d(8, 21))])
    second = _report(lon + 0.0002, lat, "乱堆物料", d(9, 1, 9))
    _steps(second, [("立案", d(9, 1)), ("派遣", d(9, 1))])
    third = _report(lon + 0.0004, lat, "乱堆物料", d(9, 15, 9))
    _steps(third, [("立案", d(9, 15)), ("派遣", d(9, 15))])
    try:
        with transaction() as s:
            new = escalation.run(s, as_of=d(10, 20))
            again = escalation.run(s, as_of=d(10, 20))
    finally:
        with transaction() as s:
            s.execute(text("UPDATE escalation_settings SET value = 'periods' WHERE key = 'unit_count_mode'"))
            s.execute(text("UPDATE department_rules SET active = false WHERE unit_id = :u"), {"u": dept})
    assert new > 0 and again == 0
    ladder = scalar("""SELECT array_agg(e.party || ':' || l.name ORDER BY e.party, e.exposed_at)
                       FROM escalations e JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
                       WHERE e.problem_id = ANY(:ids) AND e.because_of IS NULL""", ids=[first, second, third])
    assert ladder == ["person:通报", "person:约谈", "person:问责", "unit:通报", "unit:约谈一把手", "unit:问责"]
    # The chief, not the grid worker (a street is more specific than a cell, and one party per place).
    assert scalar("SELECT array_agg(DISTINCT person_id) FROM escalations WHERE party = 'person' "
                  "AND because_of IS NULL AND problem_id = ANY(:ids)", ids=[first, second, third]) == [chief]
    assert scalar("SELECT kind FROM escalations WHERE problem_id = :p AND party = 'person'", p=first) == "mystery"
    # The unit at 约谈 and 问责 takes its head along.
    heads = scalar("""SELECT array_agg(l.name ORDER BY e.exposed_at) FROM escalations e
                      JOIN escalation_levels l ON l.party = e.party AND l.level = e.level
                      JOIN units u ON u.head_person_id = e.person_id AND u.id = :u
                      WHERE e.because_of IS NOT NULL""", u=dept)
    assert heads == ["约谈", "问责"]

    # The office works the records through: a 约谈 is scheduled with date, place and attendees, then held.
    with transaction() as s:
        talk = escalation.listing(s, scope="419942", party="person", level=2)[0]
        with pytest.raises(InvalidInput) as e:
            escalation.act(s, talk["id"], "schedule", actor="test", venue="区创城办")
        assert e.value.field == "scheduled_at"
        with pytest.raises(InvalidInput):
            escalation.act(s, talk["id"], "decide", actor="test", decision="x")  # a 约谈 is not decided
        later = datetime.now(TZ) + timedelta(days=3)
        escalation.act(s, talk["id"], "schedule", actor="test", scheduled_at=later, venue="区创城办",
                       attendees="阶梯街长")
        with pytest.raises(InvalidInput) as e:  # not held yet: no minutes
            escalation.act(s, talk["id"], "hold", actor="test", minutes="提前写好的纪要")
        assert e.value.field == "minutes"
        done = escalation.act(s, talk["id"], "schedule", actor="test", scheduled_at=d(10, 25, 15),
                              venue="区创城办302会议室", attendees="阶梯街长；街道分管领导")  # moved to an earlier day
        assert done["state"] == "scheduled" and done["venue"] == "区创城办302会议室"
        held = escalation.act(s, talk["id"], "hold", actor="test", minutes="已约谈，限期一周整改到位")
        assert held["state_name"] == "已约谈"
    assert scalar("SELECT count(*) FROM audit_log WHERE entity = 'escalations' AND entity_id = :i",
                  i=str(talk["id"])) == 3


def test_indicators_and_the_ranking_cut_by_department(crossing):
    # Two crossing problems dispatched in July: the 交警 leads both; one fixed on time and closed.
    first = _report(crossing["lon"], crossing["lat"] + 0.0001, "占道经营", d(7, 1, 9))
    _steps(first, [("立案", d(7, 1)), ("派遣", d(7, 1)), ("签收整改", d(7, 1, 11)), ("整改完成", d(7, 2))])
    with transaction() as s:
        verifier = as_role("city_office", "inspector-x")  # not who rectified it
        shot = photos.attach(s, first, photo(first * 100 + 50), caller=verifier)["id"]
        lifecycle.transition(s, first, "核查通过", caller=verifier, photo_id=shot, now=d(7, 2, 12))
        lifecycle.transition(s, first, "销号", caller=as_role("city_office"), now=d(7, 2, 13))
    second = _report(crossing["lon"] + 0.0001, crossing["lat"], "占道经营", d(7, 6, 9))
    _steps(second, [("立案", d(7, 6)), ("派遣", d(7, 6))])
    with transaction() as s:
        rows = ledgers.indicators(s, level="department", scope="419941", since=d(7, 1, 0), until=d(8, 1, 0))
        board = ranking.ranking(s, level="department", period="2026-07", scope="419941", min_sample=1)
    police = next(r for r in rows if r["key"] == f"unit:{crossing['police']}")
    assert (police["dispatched"], police["due"], police["closed"], police["closed_on_time"], police["overdue"]) == \
        (2, 2, 1, 1, 1)
    assert police["name"] == "测试交警大队"
    assert f"unit:{crossing['police']}" in {r["key"] for r in board["rows"] if r["ranked"]}


def test_the_ledgers_name_and_cut_by_the_lead_department(crossing):
    import io
    import json as jsonlib

    pid = _report(crossing["lon"] - 0.0001, crossing["lat"] - 0.0001, "占道经营", d(8, 10, 9))
    _steps(pid, [("立案", d(8, 10)), ("派遣", d(8, 10))])
    for kind in ("problems", "rectification"):
        out = io.BytesIO()
        with transaction() as s:
            ledgers.export(s, kind, out, caller=TEST, region="419941", fmt="json", since=d(8, 1, 0),
                           until=d(9, 1, 0), department_id=crossing["police"])
        rows = jsonlib.loads(out.getvalue())
        assert [r["编号"] for r in rows] == [pid] and rows[0]["主办部门"] == "测试交警大队"
    with transaction() as s, pytest.raises(InvalidInput) as e:
        ledgers.export(s, "points", io.BytesIO(), caller=TEST, fmt="json", department_id=crossing["police"])
    assert e.value.field == "department_id"


def test_the_home_numbers_equal_direct_counts(demo):
    from layers.analytics import headline
    from layers.ledger.filters import flag_params
    from layers.registry import coverage

    with transaction() as s:
        home = headline.numbers(s, "411421")
        flags = flag_params(s)
        direct = s.execute(text("""
            SELECT count(*) FILTER (WHERE status <> ALL(:final)) AS open,
                   count(*) FILTER (WHERE status = ANY(:pending) AND due_at < now()) AS overdue,
                   count(*) FILTER (WHERE status = 'closed' AND closed_at >= now() - interval '30 days') AS closed_30d,
                   count(*) FILTER (WHERE reported_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai')
                                                       AT TIME ZONE 'Asia/Shanghai') AS today
            FROM problems WHERE duplicate_of IS NULL AND region_code LIKE '411421%'"""), flags).mappings().one()
        report = coverage.ownership(s, region="411421", limit=1)
    assert {k: home[k] for k in direct} == dict(direct) and direct["open"] > 0
    assert home["missing_owners"] == report["totals"]["missing"]
    assert home["unowned_street_km"] == report["streets_km"]["uncovered"]
