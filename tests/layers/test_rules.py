"""The rule tables as a city edits them (layers/rules): in-use rows are refused deletion and can only be retired,
every write leaves an audit line with before and after, bad values are refused naming the field and write nothing;
the work calendar: a year's view, one day set and given back, a year's CSV previewed, loaded (once) and refused
whole with line numbers; a 2027 holiday moves a deadline."""

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import text

from gis.db import transaction
from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.access.caller import SYSTEM
from layers.ledger import intake, lifecycle
from layers.ledger.calendar import TZ, WorkCalendar
from layers.rules import calendar_file, edit, work_calendar
from layers.spatial.writer import RowsRejected
from tests import crafted
from tests.conftest import scalar

OFFICE = replace(SYSTEM, actor="test:rules")


def _do(fn, *args, **kw):
    with transaction() as s:
        return fn(s, *args, caller=OFFICE, **kw)


def _audit(entity, key):
    with transaction() as s:
        return s.execute(text("SELECT action, detail FROM audit_log WHERE entity = :e AND entity_id = :k "
                              "ORDER BY id"), {"e": entity, "k": key}).all()


@pytest.fixture(scope="module")
def category(demo):
    """A small class of its own under 06 (创城专项): 10 working days."""
    return _do(edit.create, "categories", {"code": "0690", "parent_code": "06", "name": "规则测试类",
                                           "deadline_amount": 10, "deadline_unit": "days"})["code"]


def test_an_edit_is_audited_with_before_and_after(category):
    after = _do(edit.update, "categories", category, {"deadline_amount": 3, "duplicate_radius_m": 25})
    assert (after["deadline_amount"], after["duplicate_radius_m"]) == (3, 25)
    action, detail = _audit("problem_categories", category)[-1]
    assert action == "update" and detail["changed"] == ["deadline_amount", "duplicate_radius_m"]
    assert detail["before"]["deadline_amount"] == 10 and detail["after"]["deadline_amount"] == 3
    assert _audit("problem_categories", category)[0][0] == "create"
    lines = scalar("SELECT count(*) FROM audit_log WHERE entity = 'problem_categories'")
    _do(edit.update, "categories", category, {"deadline_amount": 3})  # nothing changes: nothing recorded
    assert scalar("SELECT count(*) FROM audit_log WHERE entity = 'problem_categories'") == lines


def test_a_category_in_use_is_refused_deletion_naming_what_uses_it_and_can_be_retired(category):
    item = _do(edit.create, "checklist_items", {"point_type": "农贸市场", "code": "T1", "text": "规则测试检查项",
                                                "weight": 1.5, "category_code": category, "standard": "测试标准"})
    with pytest.raises(Conflict) as refused:
        _do(edit.delete, "categories", category)
    assert "in use by checklist items (1)" in refused.value.message and "retire" in refused.value.message
    assert scalar("SELECT count(*) FROM problem_categories WHERE code = :c", c=category) == 1
    retired = _do(edit.retire, "categories", category)
    assert retired["active"] is False and _audit("problem_categories", category)[-1][0] == "retire"
    with pytest.raises(InvalidInput) as info:  # a retired small class is offered to no new checklist item
        _do(edit.create, "checklist_items", {"point_type": "农贸市场", "code": "T2", "text": "x", "weight": 1,
                                             "category_code": category})
    assert info.value.field == "category_code"
    _do(edit.update, "categories", category, {"active": True})
    _do(edit.delete, "checklist_items", str(item["id"]))  # nothing uses the item: it goes
    assert _audit("checklist_items", str(item["id"]))[-1][0] == "delete"
    with transaction() as s:
        assert edit.get(s, "categories", category)["in_use"] == []


def test_a_seeded_category_and_point_type_with_reports_and_points_are_in_use(demo):
    with pytest.raises(Conflict) as refused:
        _do(edit.delete, "categories", "0101")
    assert "problems (" in refused.value.message and refused.value.field == "code"
    with pytest.raises(Conflict) as refused:
        _do(edit.delete, "point_types", "农贸市场")
    assert "assessment points" in refused.value.message and "coverage rules" in refused.value.message
    with pytest.raises(Conflict):
        _do(edit.delete, "sources", "patrol")


def test_a_source_code_may_be_digits(demo):
    new = _do(edit.create, "sources", {"code": "12399", "name": "12399热线（测试）", "sort": 99})
    assert new == {"code": "12399", "name": "12399热线（测试）", "exposure_kind": None, "sort": 99, "active": True}
    assert _do(edit.update, "sources", "12345", {"name": "12345政务服务热线"})["name"] == "12345政务服务热线"
    _do(edit.update, "sources", "12345", {"name": "12345热线"})
    with pytest.raises(Conflict) as taken:
        _do(edit.create, "sources", {"code": "12398", "name": "12345热线"})
    assert taken.value.field == "name"
    _do(edit.delete, "sources", "12399")
    assert scalar("SELECT count(*) FROM problem_sources WHERE code = '12399'") == 0


@pytest.mark.parametrize(("name", "key", "values", "field", "words"), [
    ("categories", "0690", {"deadline_amount": 0}, "deadline_amount", "at least 1"),
    ("categories", "0690", {"deadline_unit": "weeks"}, "deadline_unit", "hours, days"),
    ("categories", "0690", {"deadline_amount": None}, "deadline_amount", "both its amount and its unit"),
    ("categories", "0690", {"deadline_amount": 300}, "deadline_amount", "at most 250 working days"),
    ("categories", "0690", {"parent_code": "0101"}, "parent_code", "big category"),
    ("categories", "0690", {"code": "0691"}, "code", "cannot be changed"),
    ("categories", "0690", {"colour": "red"}, "colour", "no such field"),
    ("categories", "0690", {"name": "  "}, "name", "may not be empty"),
    ("categories", "0690", {"verifier_must_differ": "maybe"}, "verifier_must_differ", "true or false"),
    ("categories", "06", {"parent_code": "01"}, "parent_code", "two levels only"),
    ("sources", "patrol", {"exposure_kind": "gossip"}, "exposure_kind", "no exposure kind"),
    ("point_types", "农贸市场", {"geometry_hint": "line"}, "geometry_hint", "point, polygon"),
    ("escalation_levels", "person:2", {"exposures": 1}, "exposures", "the ladder climbs"),
    ("escalation_levels", "unit:3", {"exposures": 2}, "exposures", "the ladder climbs"),
    ("escalation_settings", "window_days", {"value": "ninety"}, "value", "whole number"),
    ("escalation_settings", "window_days", {"value": 0}, "value", "between 1 and 3660"),
    ("escalation_settings", "count_mode", {"value": "sometimes"}, "value", "window, periods"),
    ("escalation_settings", "period", {"value": "year"}, "value", "week, month, quarter"),
])
def test_bad_values_are_refused_naming_the_field_and_write_nothing(category, name, key, values, field, words):
    lines = scalar("SELECT count(*) FROM audit_log")
    with pytest.raises(InvalidInput) as info:
        _do(edit.update, name, key, values)
    assert info.value.field == field and words in info.value.message, info.value
    assert scalar("SELECT count(*) FROM audit_log") == lines


@pytest.mark.parametrize(("values", "field", "words"), [
    ({"layer": "grid_cells", "filter_column": "road_class", "filter_value": "branch", "role_family": "grid_worker"},
     "filter_column", "none (every grid cell)"),
    ({"layer": "streets", "filter_column": "point_type", "filter_value": "农贸市场", "role_family": "road_chief"},
     "filter_column", "only road_class"),
    ({"layer": "streets", "filter_column": "road_class", "filter_value": "motorway", "role_family": "road_chief"},
     "filter_value", "no road_class"),
    ({"layer": "streets", "filter_column": "road_class", "role_family": "road_chief"}, "filter_value", "both"),
    ({"layer": "grid_cells", "role_family": "toilet_chief"}, "role_family", "may hold grid_cells"),
    ({"layer": "grid_cells", "role_family": "nobody"}, "role_family", "no role family"),
    ({"layer": "rivers", "role_family": "grid_worker"}, "layer", "must be one of"),
])
def test_a_coverage_rule_must_make_sense(demo, values, field, words):
    before = scalar("SELECT count(*) FROM coverage_rules")
    with pytest.raises(InvalidInput) as info:
        _do(edit.create, "coverage_rules", values)
    assert info.value.field == field and words in info.value.message, info.value
    assert scalar("SELECT count(*) FROM coverage_rules") == before


def test_a_department_rule_names_a_department_and_a_condition(category):
    department = scalar("INSERT INTO units (name, kind) VALUES ('规则测试局', 'department') RETURNING id")
    other = scalar("SELECT min(id) FROM units WHERE kind <> 'department'")
    with pytest.raises(InvalidInput) as info:
        _do(edit.create, "department_rules", {"category_code": category, "unit_id": other})
    assert info.value.field == "unit_id"
    with pytest.raises(InvalidInput) as info:
        _do(edit.create, "department_rules", {"unit_id": department, "duty": "assist"})
    assert info.value.field == "category_code" and "a category, a point type or a road class" in info.value.message
    rule = _do(edit.create, "department_rules", {"category_code": category, "unit_id": department,
                                                 "road_class": "back_lane", "note": "背街小巷由测试局主办"})
    assert (rule["duty"], rule["active"]) == ("lead", True)
    assert _do(edit.retire, "department_rules", str(rule["id"]))["active"] is False
    _do(edit.delete, "department_rules", str(rule["id"]))


def test_the_ladder_climbs_and_a_level_that_was_reached_stays(demo):
    level = _do(edit.create, "escalation_levels", {"party": "person", "level": 4, "code": "dismissal",
                                                   "name": "免职建议", "exposures": 6})
    assert level["exposures"] == 6
    with pytest.raises(Conflict) as info:
        _do(edit.create, "escalation_levels", {"party": "person", "level": 5, "code": "talk", "name": "再约谈",
                                               "exposures": 9})
    assert info.value.field == "code"
    _do(edit.update, "escalation_levels", "person:4", {"exposures": 5})
    _do(edit.delete, "escalation_levels", "person:4")
    with pytest.raises(InvalidInput):
        _do(edit.retire, "escalation_levels", "person:1")  # a ladder's level is not retired
    with pytest.raises(NotFound):
        _do(edit.update, "escalation_levels", "person", {"name": "x"})  # a key of two columns is party:level


def test_an_exposure_kind_retired_stops_counting(demo):
    kind = _do(edit.create, "exposure_kinds", {"code": "test_kind", "name": "测试曝光", "sort": 90})
    assert kind["counts"] is True
    assert _do(edit.retire, "exposure_kinds", "test_kind")["counts"] is False
    _do(edit.update, "sources", "media", {"exposure_kind": "test_kind"})
    with pytest.raises(Conflict) as info:
        _do(edit.delete, "exposure_kinds", "test_kind")
    assert "sources (1)" in info.value.message
    _do(edit.update, "sources", "media", {"exposure_kind": "media"})
    _do(edit.delete, "exposure_kinds", "test_kind")


def test_a_caller_with_a_region_may_not_change_the_rules(category):
    with pytest.raises(Forbidden), transaction() as s:
        edit.update(s, "categories", category, {"deadline_amount": 4}, caller=replace(OFFICE, scope="411421"))
    with pytest.raises(Forbidden), transaction() as s:
        work_calendar.set_day(s, date(2031, 5, 6), False, None, caller=replace(OFFICE, scope="411421"))


# --- the work calendar ---------------------------------------------------------------------------------------------


def test_a_year_with_its_holidays_and_one_without(database):
    with transaction() as s:
        y2027, y2030 = work_calendar.year(s, 2027), work_calendar.year(s, 2030)
    assert y2027["covered"] and y2027["holidays"] == 18 and y2027["make_up_days"] == 4
    assert y2027["workdays"] == 261 - 18 + 4  # 2027 has 261 weekdays
    national_day = next(d for d in y2027["days"] if d["day"] == date(2027, 10, 1))
    assert national_day["note"] == "国庆节" and national_day["changes"] and not national_day["is_workday"]
    assert not y2030["covered"] and y2030["days"] == [] and y2030["last_day"] >= date(2027, 10, 9)


def test_one_day_is_set_and_given_back_to_the_week_with_audit_lines(database):
    day = date(2031, 5, 6)  # a Tuesday
    with transaction() as s:
        set_ = work_calendar.set_day(s, day, False, "地方假日", caller=OFFICE)
    assert set_["is_workday"] is False and set_["changes"]
    with transaction() as s:
        assert not WorkCalendar.load(s).is_workday(day)
        work_calendar.set_day(s, day, None, None, caller=OFFICE)
    assert scalar("SELECT count(*) FROM work_calendar WHERE day = :d", d=day) == 0
    (_, first), (_, second) = _audit("work_calendar", day.isoformat())
    assert first == {"before": None, "after": {"is_workday": False, "note": "地方假日"}}
    assert second == {"before": {"is_workday": False, "note": "地方假日"}, "after": None}
    with pytest.raises(InvalidInput) as info, transaction() as s:
        work_calendar.set_day(s, day, True, "x" * 101, caller=OFFICE)
    assert info.value.field == "note"


FILE_2029 = "day,kind,note\n2029-01-01,放假,元旦\n2029-02-12,放假,春节\n2029-02-17,上班,春节调休\n"


def test_a_calendar_file_is_previewed_loaded_once_and_idempotent(database):
    data = FILE_2029.encode()
    with transaction() as s:
        preview = calendar_file.load(s, data, caller=OFFICE, file_name="2029.csv", dry_run=True)
    assert (preview["created"], preview["changed"], preview["unchanged"]) == (3, 0, 0) and preview["dry_run"]
    assert [d["line"] for d in preview["days"]] == [2, 3, 4]
    assert scalar("SELECT count(*) FROM work_calendar WHERE day >= '2029-01-01' AND day < '2030-01-01'") == 0
    with transaction() as s:
        loaded = calendar_file.load(s, data, caller=OFFICE, file_name="2029.csv")
    assert loaded["created"] == 3
    with transaction() as s:
        assert work_calendar.year(s, 2029)["make_up_days"] == 1
        again = calendar_file.load(s, data, caller=OFFICE, file_name="2029.csv")
    assert (again["created"], again["changed"], again["unchanged"]) == (0, 0, 3)
    loads = _audit("work_calendar", "2029")
    assert len(loads) == 1 and loads[0][0] == "load" and loads[0][1]["created"] == 3  # the second load wrote nothing
    # A corrected list (GB18030, as Excel saves it in China) changes one day and, replacing the year, drops another.
    fixed = "日期,类型,备注\n2029-01-01,放假,元旦\n2029-02-12,放假,春节（调整）\n".encode("gb18030")
    with transaction() as s:
        done = calendar_file.load(s, fixed, caller=OFFICE, replace=True)
    assert (done["created"], done["changed"], done["unchanged"], done["removed"]) == (0, 1, 1, 1)
    assert scalar("SELECT note FROM work_calendar WHERE day = '2029-02-12'") == "春节（调整）"
    assert scalar("SELECT count(*) FROM work_calendar WHERE day = '2029-02-17'") == 0


def test_a_file_with_bad_lines_loads_nothing_and_names_each_line(database):
    bad = ("day,kind,note\n2032-01-01,放假,元旦\n2032-02-30,放假,不存在的日子\n2032-03-01,休假,错的类型\n"
           "2032-01-01,上班,重复\n").encode()
    with pytest.raises(RowsRejected) as refused, transaction() as s:
        calendar_file.load(s, bad, caller=OFFICE)
    assert [(r.row, r.field) for r in refused.value.rejections] == [(3, "day"), (4, "kind"), (5, "day")]
    assert "already on line 2" in refused.value.rejections[2].reason
    assert scalar("SELECT count(*) FROM work_calendar WHERE day BETWEEN '2032-01-01' AND '2032-12-31'") == 0
    with transaction() as s:  # a dry run lists them all, and what the good lines would do
        preview = calendar_file.load(s, bad, caller=OFFICE, dry_run=True)
    assert [r["row"] for r in preview["rejected"]] == [3, 4, 5] and preview["created"] == 1
    for data, words in [(b"date,type\n2032-01-01,x\n", "first line"), (b"day,kind\n", "no days"),
                        (b"day,kind\n" + b"2032-01-01,\xe6\x94\xbe\xe5\x81\x87\n" * 3000, "at most")]:
        with pytest.raises(InvalidInput) as info, transaction() as s:
            calendar_file.load(s, data, caller=OFFICE)
        assert words in info.value.message and info.value.field == "file"


def _spot():
    return crafted.spots("411421002", 70, "south_first")[-1]


def test_a_2027_holiday_moves_a_deadline(category):
    """Dispatched on the Thursday before 国庆 2027 with one working day: due on Friday 8 October (1–7 October off,
    as the shipped 2027 list says), not on 1 October as plain weeks would have it."""
    _do(edit.update, "categories", category, {"deadline_amount": 1, "deadline_unit": "days"})
    lon, lat = _spot()
    dispatched = datetime(2027, 9, 30, 10, 0, tzinfo=TZ)
    with transaction() as s:
        pid = intake.intake(s, intake.Report(category=category, source="patrol", lon=lon, lat=lat), caller=SYSTEM)
        lifecycle.transition(s, pid, "立案", caller=SYSTEM)
        lifecycle.transition(s, pid, "派遣", caller=SYSTEM, now=dispatched)
    due = scalar("SELECT due_at FROM problems WHERE id = :p", p=pid)
    assert due == datetime(2027, 10, 8, 10, 0, tzinfo=TZ)
    assert WorkCalendar({}).add(dispatched, 1, "days") == datetime(2027, 10, 1, 10, 0, tzinfo=TZ)
    with transaction() as s:  # two working days: Saturday 9 October is a make-up workday (国庆节调休)
        assert WorkCalendar.load(s).add(dispatched, 2, "days") == datetime(2027, 10, 9, 10, 0, tzinfo=TZ)


def test_a_setting_not_stored_yet_is_added_and_an_unknown_one_refused(demo):
    with transaction() as s:
        s.execute(text("DELETE FROM escalation_settings WHERE key = 'unit_count_mode'"))  # runs on its default
    added = _do(edit.create, "escalation_settings", {"key": "unit_count_mode", "value": "periods"})
    assert added == {"key": "unit_count_mode", "value": "periods"}
    with pytest.raises(Conflict):
        _do(edit.create, "escalation_settings", {"key": "unit_count_mode", "value": "window"})
    with pytest.raises(InvalidInput) as info:
        _do(edit.create, "escalation_settings", {"key": "colour", "value": "red"})
    assert info.value.field == "key"
    with pytest.raises(InvalidInput):
        _do(edit.delete, "escalation_settings", "window_days")


def test_a_row_may_keep_naming_what_was_retired_since_but_not_be_pointed_at_it(category):
    unit = scalar("INSERT INTO units (name, kind) VALUES ('规则测试撤并局', 'department') RETURNING id")
    rule = _do(edit.create, "department_rules", {"category_code": category, "unit_id": unit})
    with transaction() as s:
        s.execute(text("UPDATE units SET active = false WHERE id = :u"), {"u": unit})
    kept = _do(edit.update, "department_rules", str(rule["id"]), {"unit_id": unit, "note": "待调整"})
    assert (kept["unit_id"], kept["note"]) == (unit, "待调整")  # the whole form sent again: the unit is unchanged
    with pytest.raises(InvalidInput) as info:
        _do(edit.create, "department_rules", {"category_code": category, "unit_id": unit})
    assert info.value.field == "unit_id"
    _do(edit.delete, "department_rules", str(rule["id"]))
