"""The street-chief registry on crafted towns: history, bulk assignment, rosters, coverage, bad input."""

from datetime import date, timedelta

import pytest
from shapely.geometry import box
from sqlalchemy import text

from gis.db import transaction
from gis.errors import InvalidInput
from layers.access.caller import SYSTEM, Caller
from layers.registry import assignments as a
from layers.registry import coverage
from layers.registry import people as owners
from layers.registry.roster import import_roster
from layers.spatial.writer import RowsRejected
from tests.conftest import scalar
from tests.crafted import owner_town

TEST = Caller("test")  # city-wide, as the CLI and the demo act


def person(name, region, phone=None):
    with transaction() as s:
        return owners.create_person(s, name=name, phone=phone, region_code=region, caller=TEST)


def give(role, layer, ids, pid=None, uid=None, **kw):
    with transaction() as s:
        return a.assign(s, role=role, layer=layer, feature_ids=ids, holder=a.Holder(pid, uid), caller=TEST, **kw)


def street(s, name, district):
    return a.resolve_features(s, "streets", street_name=name, caller=Caller("test", scope=district))


def test_reassign_keeps_history_and_answers_who_owned_it_then(database):
    t = owner_town("419911", 114.50, 34.50)
    zhang, li = person("张路长", t["district"]), person("李路长", t["district"])
    with transaction() as s:
        ids = street(s, "和平路", t["district"])
    give("road_chief", "streets", ids, zhang, valid_from=date(2026, 1, 1))
    with transaction() as s:
        done = a.reassign(s, role="路长", layer="streets", feature_ids=ids, holder=a.Holder(li),
                          on=date(2026, 5, 1), caller=TEST)
    assert len(done["ended"]) == 3 and len(done["created"]) == 3
    with transaction() as s:
        before = a.owners_of(s, "streets", ids[0], on=date(2026, 4, 30))
        after = a.owners_of(s, "streets", ids[0], on=date(2026, 5, 1))
        hist = a.history(s, "streets", ids[0])
    assert [o["person_name"] for o in before] == ["张路长"]
    assert [o["person_name"] for o in after] == ["李路长"]
    assert [(h["person_name"], h["valid_from"], h["valid_to"]) for h in hist] == [
        ("张路长", date(2026, 1, 1), date(2026, 5, 1)), ("李路长", date(2026, 5, 1), None)]


def test_a_wrong_owner_is_withdrawn_the_day_it_started(database):
    """Assigned today, handed to the right person today: the first term is empty (never in force) but kept in the
    history, and it blocks no exclusive owner. Ending before the start is still refused."""
    t = owner_town("419912", 114.60, 34.50)
    wrong, right = person("错派路长", t["district"]), person("正确路长", t["district"])
    day = date(2026, 6, 1)
    with transaction() as s:
        ids = street(s, "和平路", t["district"])[:1]
    first = give("road_chief", "streets", ids, wrong, valid_from=day).created[0]
    with pytest.raises(InvalidInput, match="before its start"):
        with transaction() as s:
            a.end(s, first, on=day - timedelta(days=1), caller=TEST)
    with transaction() as s:
        a.reassign(s, role="路长", layer="streets", feature_ids=ids, holder=a.Holder(right), on=day, caller=TEST)
        now = a.owners_of(s, "streets", ids[0], on=day)
        hist = a.history(s, "streets", ids[0])
    assert [o["person_name"] for o in now] == ["正确路长"]  # exclusive 路长: the empty term is no second owner
    assert ("错派路长", day, day) in [(h["person_name"], h["valid_from"], h["valid_to"]) for h in hist]


def test_assign_a_named_street_and_repeat_is_a_no_op(database):
    t = owner_town("419912", 114.60, 34.60)
    wang = person("王街长", t["district"])
    with transaction() as s:
        ids = street(s, "和平路", t["district"])
    first = give("district_street_chief", "streets", ids, wang, street_group="和平路")
    again = give("district_street_chief", "streets", ids, wang, street_group="和平路")
    assert (len(first.created), again.created, again.unchanged) == (3, [], 3)
    assert scalar("SELECT count(*) FROM assignments WHERE person_id = :p AND street_group = '和平路'", p=wang) == 3


def test_bulk_assign_inside_a_drawn_polygon(database):
    t = owner_town("419913", 114.70, 34.70)
    worker = person("网格员甲", t["community"])
    x0, y0, x1, y1 = t["community_geom"].bounds
    west = box(x0 - 0.001, y0 - 0.001, (x0 + x1) / 2, y1 + 0.001)
    with transaction() as s:
        ids = a.features_in_area(s, "grid_cells", polygon=west)
        expected = s.execute(text(
            "SELECT count(*) FROM grid_cells WHERE ST_Intersects(ST_GeomFromText(:w, 4490), ST_PointOnSurface(geom))"),
            {"w": west.wkt}).scalar()
    assert 0 < len(ids) == expected < len(t["cells"])
    assert len(give("grid_worker", "grid_cells", ids, worker).created) == len(ids)
    with transaction() as s:  # a region and a kind work too
        assert a.features_in_area(s, "assessment_points", region=t["district"], kind="公共厕所") == sorted(
            t["ids"][f"419913-T{i}"] for i in range(4))


def test_roster_with_bad_rows_imports_nothing_then_skips_them(database, tmp_path):
    t = owner_town("419914", 114.80, 34.80)
    path = tmp_path / "roster.csv"
    path.write_text(
        "姓名,电话,单位,角色,道路名称,编码,起始日期\n"
        "赵路长,13700000001,城关街道办,路长,和平路,,2026-02-01\n"
        "钱路长,13700000002,,路长,不存在路,,2026-02-01\n"
        "孙某,13700000003,,市长,和平路,,2026-02-01\n"
        ",,市场监管局,责任单位,,419914-M,2026-02-01\n"
    )
    people_before = scalar("SELECT count(*) FROM people")
    with pytest.raises(RowsRejected) as info, transaction() as s:
        import_roster(s, path, caller=Caller("test", scope=t["district"]))
    assert [(r.row, r.field) for r in info.value.rejections] == [(2, "street_name"), (3, "role")]
    assert "不存在路" in info.value.rejections[0].reason
    assert scalar("SELECT count(*) FROM people") == people_before
    assert scalar("SELECT count(*) FROM assignments WHERE region_code LIKE '419914%'") == 0
    with transaction() as s:
        result = import_roster(s, path, caller=Caller("test", scope=t["district"]), skip_invalid=True)
    assert (result.created, len(result.rejected)) == (4, 2)  # 3 segments + the market's unit
    assert scalar("SELECT valid_from FROM assignments a JOIN people p ON p.id = a.person_id "
                  "WHERE p.phone = '13700000001' LIMIT 1") == date(2026, 2, 1)
    with transaction() as s:  # the same roster again adds nothing
        assert import_roster(s, path, caller=Caller("test", scope=t["district"]), skip_invalid=True).created == 0


def test_coverage_finds_exactly_the_crafted_cases(database):
    t = owner_town("419915", 114.90, 34.90)
    d, ids = t["district"], t["ids"]
    seg = [ids[f"{d}-h{i}"] for i in range(3)]
    chief, second, roadie, keeper = (person(n, d) for n in ("街长甲", "街长乙", "路长甲", "所长甲"))
    idle = person("新网格员", d)
    with transaction() as s:
        unit = owners.create_unit(s, name="测试市场监管所", caller=TEST, region_code=d)
    give("district_street_chief", "streets", seg, chief)
    give("district_street_chief", "streets", seg[:1], second)  # 交叉 on the first segment
    give("road_chief", "streets", seg[:2], roadie)  # the third segment has no 路长
    give("responsible_unit", "assessment_points", [ids[f"{d}-M"]], uid=unit)  # market: unit, no 责任人
    soon = date.today() + timedelta(days=10)
    give("toilet_chief", "assessment_points", [ids[f"{d}-T{i}"] for i in range(4)], keeper, valid_to=soon)

    with transaction() as s:
        rep = coverage.ownership(s, region=d, expiring_days=30)
    missing = {(m["code"], m["role_family"]) for m in rep["missing"]}
    cells = {c for c in scalar("SELECT array_agg(code) FROM grid_cells WHERE region_code LIKE :d || '%'", d=d)}
    assert missing == {(f"{d}-h2", "road_chief"), (f"{d}-lane", "street_chief"), (f"{d}-M", "point_keeper")} | {
        (c, "grid_worker") for c in cells}
    assert [(x["code"], x["role"], x["owners"]) for x in rep["doubly_owned"]] == [
        (f"{d}-h0", "district_street_chief", 2)]
    assert sorted(x["code"] for x in rep["expiring"]) == [f"{d}-T{i}" for i in range(4)]
    assert [(o["name"], o["places"], o["max_points"]) for o in rep["overloaded"]] == [("所长甲", 4, 3)]
    assert [p["name"] for p in rep["idle_people"]] == ["新网格员"] and idle
    by_rule = {(r["layer"], r["kind"], r["role_family"]): (r["required"], r["covered"]) for r in rep["by_rule"]}
    assert by_rule[("streets", "arterial", "road_chief")] == (3, 2)
    assert by_rule[("assessment_points", "公共厕所", "toilet_chief")] == (4, 4)
    [sub] = rep["by_subdistrict"]
    assert sub["code"] == f"{d}001" and sub["required"] == rep["totals"]["required"]
    lane_km = scalar("SELECT length_m FROM streets WHERE code = :c", c=f"{d}-lane") / 1000
    h2_km = scalar("SELECT length_m FROM streets WHERE code = :c", c=f"{d}-h2") / 1000
    assert rep["streets_km"]["uncovered"] == pytest.approx(lane_km + h2_km, abs=0.01)


BAD_CASES = [
    ({"role": "road_chief", "layer": "streets", "pid": 10**8}, "person_id", "unknown person"),
    ({"role": "路长", "layer": "grid_cells"}, "layer", "may not own grid_cells"),
    ({"role": "road_chief", "layer": "streets", "valid_from": date(2026, 5, 1), "valid_to": date(2026, 4, 1)},
     "valid_to", "must be after"),
    ({"role": "responsible_unit", "layer": "streets"}, "unit_id", "held by a unit"),
    ({"role": "mayor", "layer": "streets"}, "role", "unknown role"),
]


@pytest.fixture(scope="module")
def bad_town(database):
    t = owner_town("419916", 115.00, 35.00)
    return {**t, "person": person("某人", t["district"])}


@pytest.mark.parametrize(("kwargs", "field", "words"), BAD_CASES)
def test_bad_assignments_are_refused_and_write_nothing(bad_town, kwargs, field, words):
    kwargs = dict(kwargs)
    pid = kwargs.pop("pid", bad_town["person"])
    layer = kwargs.pop("layer")
    fid = scalar(f"SELECT min(id) FROM {layer} WHERE region_code LIKE '419916%'")
    before = scalar("SELECT count(*) FROM assignments")
    with pytest.raises(InvalidInput) as info:
        give(kwargs.pop("role"), layer, [fid], pid, **kwargs)
    assert info.value.field == field and words in info.value.message
    assert scalar("SELECT count(*) FROM assignments") == before


def test_exclusive_rule_refuses_a_second_road_chief(database):
    t = owner_town("419917", 115.10, 35.10)
    first, other = person("路长一", t["district"]), person("路长二", t["district"])
    seg = [t["ids"]["419917-h0"]]
    give("road_chief", "streets", seg, first, valid_from=date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="already has a 路长 \\(路长一"):
        give("road_chief", "streets", seg, other, valid_from=date(2026, 6, 1))
    # After the first term ends, the next may start.
    with transaction() as s:
        [aid] = s.execute(text("SELECT id FROM assignments WHERE person_id = :p"), {"p": first}).scalars()
        a.end(s, aid, on=date(2026, 6, 1), caller=TEST)
    assert give("road_chief", "streets", seg, other, valid_from=date(2026, 6, 1)).created


def test_demo_coverage_is_a_realistic_mix(demo):
    with transaction() as s:
        rep = coverage.ownership(s, region="411421")
    fams = {(m["layer"], m["role_family"]) for m in rep["missing"]}
    assert ("streets", "street_chief") in fams and ("grid_cells", "grid_worker") in fams
    assert any(m["layer"] == "assessment_points" for m in rep["missing"])
    assert 50 < rep["totals"]["pct"] < 100
    assert rep["doubly_owned"] and rep["expiring"] and rep["overloaded"] and rep["idle_people"]
    assert rep["streets_km"]["covered"] > rep["streets_km"]["uncovered"] > 0


def test_reassign_can_move_open_problems_to_the_new_owner(database):
    from layers.ledger import intake as problems

    t = owner_town("419919", 114.00, 35.50)
    old, new = person("旧路长", t["district"]), person("新路长", t["district"])
    with transaction() as s:
        ids = street(s, "和平路", t["district"])
    give("road_chief", "streets", ids, old, valid_from=date.today() - timedelta(days=30))
    with transaction() as s:
        open_pid = problems.intake(s, problems.Report(category="占道经营", source="patrol", lon=114.003, lat=35.5051),
                                   caller=SYSTEM)
        closed_pid = problems.intake(s, problems.Report(category="暴露垃圾", source="patrol", lon=114.0035,
                                                        lat=35.5049), caller=SYSTEM)
        s.execute(text("UPDATE problems SET status = 'closed' WHERE id = :p"), {"p": closed_pid})

    def holders(pid):
        return scalar("""SELECT string_agg(pp.name, ',' ORDER BY pp.name) FROM problem_owners po
                         JOIN assignments a ON a.id = po.assignment_id JOIN people pp ON pp.id = a.person_id
                         WHERE po.problem_id = :p AND a.role = 'road_chief'""", p=pid)

    assert holders(open_pid) == holders(closed_pid) == "旧路长"
    with transaction() as s:
        done = a.reassign(s, role="路长", layer="streets", feature_ids=ids, holder=a.Holder(new), caller=TEST,
                          move_open_problems=True)
    assert done["moved_problems"] == [open_pid]
    assert holders(open_pid) == "新路长" and holders(closed_pid) == "旧路长"  # a closed case keeps its owner
    assert scalar("SELECT count(*) FROM problem_events WHERE problem_id = :p AND action = '移交'", p=open_pid) == 1
