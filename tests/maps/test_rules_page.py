"""The rules page's words cover every rule table and column (a column added to layers/rules/tables.py needs its
label), and its forms offer what the service takes. No database: the page module only shapes rows."""

from layers.rules.tables import TABLES
from maps import rules_page


def test_every_table_and_column_has_its_chinese_label():
    shown = {name for _, names in rules_page.TABS.values() for name in names}
    assert shown == set(TABLES)
    for name, spec in TABLES.items():
        assert name in rules_page.TITLES
        missing = [c.name for c in spec.columns if c.name not in rules_page.LABELS[name]]
        assert not missing, (name, missing)
        for column in spec.columns:
            if column.kind == "choice" and name != "escalation_settings":
                assert set(column.choices) <= set(rules_page.CHOICES[column.name]), (name, column.name)


def test_a_row_becomes_cells_and_an_edit_form():
    spec = TABLES["categories"]
    row = {"code": "0101", "parent_code": "01", "name": "暴露垃圾", "deadline_amount": 4, "deadline_unit": "hours",
           "duplicate_radius_m": 30.0, "duplicate_window_h": 72, "street_tolerance_m": None, "max_extension_days": 20,
           "verifier_must_differ": True, "sort": 0, "active": False}
    view = rules_page.table_view(spec, [row], {"big_category": {"01": "01 市容环境"}})
    (r,) = view.rows
    assert r.key == "0101" and r.retired and not r.group
    assert r.cells[:5] == ["0101", "01 市容环境", "暴露垃圾", "4 工作小时", "30"] and r.cells[-1] == "已停用"
    inputs = {i.name: i for i in r.inputs}
    assert "active" not in inputs and "code" not in inputs  # 停用 has its own button; the key never changes
    assert inputs["verifier_must_differ"].value == "true" and view.booleans == "verifier_must_differ,active"
    assert inputs["parent_code"].options == [("01", "01 市容环境")] and inputs["street_tolerance_m"].nullable
    assert [i.name for i in view.create][:2] == ["code", "parent_code"]
