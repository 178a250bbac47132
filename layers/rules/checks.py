"""The checks a rule row must pass as a whole (one column at a time is `spec.Column.clean`): a deadline has its
amount and unit together, a small class sits under a big class, a coverage rule filters on its layer's own column,
a department rule names a 职能部门 and some condition, a ladder climbs, a setting has its type.

Each takes (session, the row as it would be stored, the row before or None) and returns the row to store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, InvalidInput
from layers.ledger.escalation import MODES, PERIODS
from layers.rules.references import COVERAGE_LAYERS, families_for_layer, options

Row = dict[str, Any]
DEADLINE_LIMITS = {"hours": 2000, "days": 250}  # working hours / working days; the calendar looks 400 days ahead


def category(session: Session, new: Row, old: Row | None) -> Row:
    amount, unit = new["deadline_amount"], new["deadline_unit"]
    if (amount is None) != (unit is None):
        missing = "deadline_unit" if unit is None else "deadline_amount"
        raise InvalidInput("a deadline needs both its amount and its unit (hours or days)", field=missing)
    if amount is not None and amount > DEADLINE_LIMITS[unit]:
        raise InvalidInput(f"at most {DEADLINE_LIMITS[unit]} working {unit}", field="deadline_amount")
    parent = new["parent_code"]
    if parent is not None:
        if parent == new["code"]:
            raise InvalidInput("a category cannot be its own parent", field="parent_code")
        children = session.execute(text("SELECT count(*) FROM problem_categories WHERE parent_code = :c"),
                                   {"c": new["code"]}).scalar_one()
        if children:
            raise InvalidInput(f"category {new['code']} is a big class with {children} small classes: it cannot "
                               "sit under another (two levels only)", field="parent_code")
    return new


def checklist_item(session: Session, new: Row, old: Row | None) -> Row:
    taken = session.execute(
        text("SELECT id FROM checklist_items WHERE point_type = :t AND code = :c AND id IS DISTINCT FROM :id"),
        {"t": new["point_type"], "c": new["code"], "id": new.get("id")}).scalar()
    if taken is not None:
        raise Conflict(f"{new['point_type']} already has a checklist item {new['code']} (id {taken})", field="code")
    return new


def coverage_rule(session: Session, new: Row, old: Row | None) -> Row:
    layer, column, value = new["layer"], new["filter_column"], new["filter_value"]
    own = COVERAGE_LAYERS[layer]
    if column is not None and column != own:
        hint = f"only {own}" if own else "none (every grid cell)"
        raise InvalidInput(f"{layer} are filtered on {hint}", field="filter_column")
    if (column is None) != (value is None):
        raise InvalidInput("a filter needs both its column and its value", field="filter_value")
    if column is not None:
        ref = {"road_class": "road_class", "point_type": "point_type", "level": "region_level"}[column]
        if value not in options(session, ref):
            raise InvalidInput(f"no {column} {value!r}", field="filter_value")
    if new["role_family"] not in families_for_layer(session, layer):
        raise InvalidInput(f"no owner role of family {new['role_family']} may hold {layer}", field="role_family")
    return new


def department_rule(session: Session, new: Row, old: Row | None) -> Row:
    if new["category_code"] is None and new["point_type"] is None and new["road_class"] is None:
        raise InvalidInput("a department rule needs a category, a point type or a road class", field="category_code")
    kind = session.execute(text("SELECT kind FROM units WHERE id = :u"), {"u": new["unit_id"]}).scalar()
    if kind is None:
        raise InvalidInput(f"no unit {new['unit_id']}", field="unit_id")
    if kind != "department":
        raise InvalidInput(f"unit {new['unit_id']} is not a 职能部门 (kind department)", field="unit_id")
    return new


def escalation_level(session: Session, new: Row, old: Row | None) -> Row:
    """The party's ladder with this row in it still climbs: higher levels need strictly more exposures."""
    rows = session.execute(text("SELECT level, code, exposures FROM escalation_levels WHERE party = :p FOR UPDATE"),
                           {"p": new["party"]}).mappings().all()
    ladder = {r["level"]: dict(r) for r in rows}
    ladder[new["level"]] = {"level": new["level"], "code": new["code"], "exposures": new["exposures"]}
    codes = [r["code"] for r in ladder.values()]
    if codes.count(new["code"]) > 1:
        raise Conflict(f"the {new['party']} ladder already has a level {new['code']}", field="code")
    steps = sorted(ladder.values(), key=lambda r: r["level"])
    for lower, higher in zip(steps, steps[1:], strict=False):
        if higher["exposures"] <= lower["exposures"]:
            raise InvalidInput(f"level {higher['level']} must need more exposures than level {lower['level']} "
                               f"({lower['exposures']}): the ladder climbs", field="exposures")
    return new


# escalation_settings: what each key means and its default (layers/ledger/escalation.py reads them, with the same
# choices: MODES, PERIODS); a key not stored yet runs on its default and may be added.
SETTINGS = {
    "window_days": ("the rolling window in days (1 to 3660)", "90"),
    "count_mode": ("people: window (exposures in the last window_days) or periods (consecutive periods with one)",
                   "window"),
    "unit_count_mode": ("units: window or periods", "periods"),
    "period": ("week, month or quarter (for the periods mode)", "month"),
}
_CHOICES = {"count_mode": MODES, "unit_count_mode": MODES, "period": PERIODS}


def escalation_setting(session: Session, new: Row, old: Row | None) -> Row:
    key, value = new["key"], new["value"]
    if key not in SETTINGS:
        raise InvalidInput(f"unknown setting; settings: {', '.join(SETTINGS)}", field="key")
    if key == "window_days":
        try:
            days = int(str(value).strip())
        except ValueError:
            raise InvalidInput("window_days is a whole number of days", field="value") from None
        if not 1 <= days <= 3660:
            raise InvalidInput("window_days must be between 1 and 3660", field="value")
        return {**new, "value": str(days)}
    if value not in _CHOICES[key]:
        raise InvalidInput(f"{key} must be one of {', '.join(_CHOICES[key])}", field="value")
    return new


FLAG_CONDITIONS = ("min_on_time_rate", "min_closure_rate", "max_overdue_rate", "min_overdue_rate", "max_rework_rate",
                   "max_accountability", "board")


def flag_rule(session: Session, new: Row, old: Row | None) -> Row:
    """A 红旗/黄旗 rule needs a condition, and no range that nothing can meet."""
    if all(new.get(c) is None for c in FLAG_CONDITIONS):
        raise InvalidInput("a flag rule needs at least one condition (a rate, 问责, or a board)",
                           field="min_on_time_rate")
    low, high = new.get("min_overdue_rate"), new.get("max_overdue_rate")
    if low is not None and high is not None and low > high:
        raise InvalidInput("the least 超期率 is above the most", field="min_overdue_rate")
    return new
