"""The rules page (/maps/rules, 规则设置): each rule table as a list with inline edit, add, 停用 and 删除 forms built
from the table's spec (layers/rules/tables.py), the work calendar and the latest changes. Only shapes what the
router read; every write the page makes is a workbench.js form posting the JSON API (/api/v1/rules…,
/api/v1/calendar…), so the checks are the service's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from layers.rules.checks import SETTINGS as DEFAULTS
from layers.rules.references import REGION_LEVELS, ROAD_CLASSES
from layers.rules.spec import Column, Table

# tab → (title, the rule tables it shows)
TABS: dict[str, tuple[str, tuple[str, ...]]] = {
    "categories": ("问题分类与时限", ("categories",)),
    "sources": ("来源", ("sources",)),
    "point_types": ("点位类型", ("point_types",)),
    "checklist_items": ("测评细则", ("checklist_items",)),
    "coverage_rules": ("覆盖规则", ("coverage_rules",)),
    "department_rules": ("职能部门分工", ("department_rules",)),
    "calendar": ("工作日历", ()),
    "escalation": ("升级规则", ("escalation_levels", "exposure_kinds", "escalation_settings")),
    "notices": ("通报规则", ("flag_rules", "document_series")),
    "changes": ("修改记录", ()),
}
TITLES = {"categories": "问题分类与处置时限", "sources": "问题来源", "point_types": "测评点位类型",
          "checklist_items": "测评细则（检查项、分值、测评标准）",
          "coverage_rules": "覆盖规则（每类地点须有哪些责任人）",
          "department_rules": "职能部门分工（主办、协办）", "escalation_levels": "升级阶梯（通报 → 约谈 → 问责）",
          "exposure_kinds": "曝光类型", "escalation_settings": "计数方式",
          "flag_rules": "红旗、黄旗评定规则", "document_series": "文号（通报、交办单）"}
NOTES = {
    "categories": ("时限从派遣起按工作日历计算；修改只影响此后派遣的问题。已被问题、测评细则或分工使用的分类不能删除，"
                   "只能停用。"),
    "sources": "曝光类型不为空的来源，其问题本身即计入责任人的曝光次数（如暗访、媒体曝光）。",
    "checklist_items": "暗访、模拟测评按检查项打分；不合格的检查项生成所选分类的问题。",
    "coverage_rules": "每条规则要求某类地点有某类责任人；“只许一位主责”时，第二个重叠的主责指派会被拒绝。",
    "department_rules": "问题按分类（可再限定点位类型或道路等级）分派给主办、协办职能部门。",
    "escalation_levels": "同一责任人在统计窗口内累计曝光达到次数即升到该级；级别越高所需次数必须越多。",
    "exposure_kinds": "停用的曝光类型不再计入升级。",
    "flag_rules": ("一条规则的各项条件同时满足即评旗，同一种旗有多条规则时满足任一条即可；比率按百分数填写。"
                   "只评参与排名的对象，同时符合红旗、黄旗的只评黄旗。已发布的通报保留发布时的规则，不受修改影响。"),
    "document_series": "文号格式为“前缀〔年份〕第N号”，每年从第1号起连续编号；发文机关写在通报落款。",
}
LABELS: dict[str, dict[str, str]] = {
    "categories": {"code": "编码", "parent_code": "所属大类", "name": "名称", "deadline_amount": "处置时限",
                   "deadline_unit": "时限单位", "duplicate_radius_m": "重复判定半径（米）",
                   "duplicate_window_h": "重复判定时间（小时）", "street_tolerance_m": "道路匹配距离（米）",
                   "max_extension_days": "最多延期（工作日）", "verifier_must_differ": "核查人须与整改人不同",
                   "sort": "排序", "active": "状态"},
    "sources": {"code": "编码", "name": "名称", "exposure_kind": "计为曝光", "sort": "排序", "active": "状态"},
    "point_types": {"name": "类型名称", "category": "类别", "geometry_hint": "图形", "sort": "排序", "active": "状态"},
    "checklist_items": {"id": "编号", "point_type": "点位类型", "code": "编码", "text": "检查内容", "weight": "分值",
                        "category_code": "不合格时的问题分类", "standard": "测评标准", "sort": "排序",
                        "active": "状态"},
    "coverage_rules": {"id": "编号", "layer": "图层", "filter_column": "按何筛选", "filter_value": "筛选值",
                       "role_family": "须有的责任人", "exclusive": "只许一位主责", "active": "状态", "note": "说明"},
    "department_rules": {"id": "编号", "category_code": "问题分类", "unit_id": "职能部门", "duty": "职责",
                         "point_type": "限点位类型", "road_class": "限道路等级", "active": "状态", "note": "说明"},
    "escalation_levels": {"party": "对象", "level": "级别", "code": "编码", "name": "名称",
                          "exposures": "累计曝光次数"},
    "exposure_kinds": {"code": "编码", "name": "名称", "counts": "计入升级", "sort": "排序"},
    "escalation_settings": {"key": "设置", "value": "值"},
    "flag_rules": {"id": "编号", "flag": "旗", "name": "名称", "level": "对象",
                   "min_on_time_rate": "按期结案率不低于（%）", "min_closure_rate": "结案率不低于（%）",
                   "max_overdue_rate": "超期率不高于（%）",
                   "min_overdue_rate": "超期率不低于（%）", "max_rework_rate": "返工率不高于（%）",
                   "max_accountability": "问责不超过（次）", "board": "上榜", "sort": "排序", "active": "状态",
                   "note": "说明"},
    "document_series": {"kind": "文件", "prefix": "文号前缀", "issuer": "发文机关", "name": "名称"},
}
CHOICES: dict[str, dict[str, str]] = {
    "deadline_unit": {"hours": "工作小时", "days": "工作日"},
    "geometry_hint": {"point": "点", "polygon": "面"},
    "layer": {"streets": "道路", "assessment_points": "测评点位", "grid_cells": "单元网格", "regions": "区域"},
    "filter_column": {"road_class": "道路等级", "point_type": "点位类型", "level": "区域级别"},
    "duty": {"lead": "主办", "assist": "协办"},
    "road_class": ROAD_CLASSES,
    "party": {"person": "个人", "unit": "单位"},
    "flag": {"red": "红旗", "yellow": "黄旗"},
    "level": {"subdistrict": "街道", "community": "社区", "department": "职能部门", "owner": "责任人"},
    "board": {"red": "红榜", "black": "黑榜"},
    "kind": {"notice": "通报", "dispatch": "交办单"},
}
MODES = {"window": "统计窗口内累计", "periods": "连续周期（每期至少一次）"}
SETTINGS = {"window_days": ("统计窗口（天）", None), "count_mode": ("个人的计数方式", MODES),
            "unit_count_mode": ("单位的计数方式", MODES),
            "period": ("周期", {"week": "周", "month": "月", "quarter": "季度"})}
ACTIONS = {"create": "新增", "update": "修改", "retire": "停用", "delete": "删除", "set_day": "设置日期",
           "load": "导入日历"}
YES_NO = {True: "是", False: "否"}


@dataclass
class Input:
    """One field of a form, as the template draws it."""

    name: str
    label: str
    widget: str  # select, number, text, textarea
    value: Any = None
    options: list[tuple[Any, str]] = field(default_factory=list)
    groups: list[tuple[str, list[tuple[Any, str]]]] = field(default_factory=list)  # <optgroup>s of a select
    nullable: bool = True
    required: bool = False
    step: str = "1"
    low: float | None = None
    high: float | None = None
    max_length: int | None = None
    size: str = ""  # wide (text, names, notes), mid (a select of names) or the default
    empty: str = "（不限）"  # what the empty choice of a nullable select means here


@dataclass
class RowView:
    key: str
    cells: list[str]
    retired: bool  # 已停用 (or an exposure kind that no longer counts)
    inputs: list[Input]
    group: bool = False  # a big class: the small classes below it belong to it


@dataclass
class TableView:
    name: str
    title: str
    note: str
    spec: Table
    headers: list[str]
    rows: list[RowView]
    create: list[Input]
    booleans: str  # the forms' data-json: their true/false selects


def _options(column: Column, refs: dict[str, dict[Any, str]]) -> list[tuple[Any, str]]:
    if column.kind == "bool":
        return [("true", "是"), ("false", "否")]
    if column.ref:
        return list(refs.get(column.ref, {}).items())
    names = CHOICES.get(column.name, {})
    return [(c, names.get(c, c)) for c in column.choices]


def _filter_groups(refs: dict[str, dict[Any, str]]) -> list[tuple[str, list[tuple[Any, str]]]]:
    """A coverage rule's filter value: road classes, point types and region levels in one select."""
    point_types = refs.get("point_type", {})
    return [("道路等级", list(ROAD_CLASSES.items())), ("点位类型", [(n, n) for n in point_types]),
            ("区域级别", list(REGION_LEVELS.items()))]


# The empty choice of a nullable select, where 不限 would say the wrong thing.
EMPTY_CHOICES = {"exposure_kind": "（不计为曝光）", "parent_code": "（无，本身是大类）", "deadline_unit": "（无时限）",
                 "head_person_id": "（未指定）"}


def _input(spec: Table, column: Column, refs: dict[str, dict[Any, str]], value: Any = None) -> Input:
    label = LABELS[spec.name].get(column.name, column.name)
    size = "wide" if column.kind == "longtext" or column.name == "name" else ("mid" if column.ref else "")
    common = {"name": column.name, "label": label, "nullable": column.nullable, "required": column.required,
              "size": size, "empty": EMPTY_CHOICES.get(column.name, "（不限）")}
    if value is not None and column.kind == "bool":
        value = "true" if value else "false"
    if spec.name == "coverage_rules" and column.name == "filter_value":
        return Input(widget="select", value=value, groups=_filter_groups(refs), **common)
    if column.kind in ("bool", "choice") or column.ref:
        options = _options(column, refs)
        if value is not None and str(value) not in {str(v) for v, _ in options}:  # e.g. a unit retired since
            options.insert(0, (value, f"{value}（已停用或不可选，保持不变）"))
        return Input(widget="select", value=value, options=options, **common)
    if column.kind in ("int", "number"):
        return Input(widget="number", value=value, step="1" if column.kind == "int" else "any", low=column.low,
                     high=column.high, **common)
    widget = "textarea" if column.kind == "longtext" else "text"
    return Input(widget=widget, value=value, max_length=column.max_length, **common)


def _cell(spec: Table, column: Column, row: dict[str, Any], refs: dict[str, dict[Any, str]]) -> str:
    value = row[column.name]
    if value is None:
        return "—"
    if column.name == "active":
        return "启用" if value else "已停用"
    if column.kind == "bool":
        return YES_NO[value]
    if column.kind == "number":
        return f"{value:g}"
    if column.name == "filter_value":
        return ROAD_CLASSES.get(value) or REGION_LEVELS.get(value) or str(value)
    if column.ref:
        label = refs.get(column.ref, {}).get(value)
        if column.ref == "department":
            return label or f"单位 #{value}"
        return label or str(value)
    return CHOICES.get(column.name, {}).get(value, str(value))


def _shown(spec: Table) -> list[Column]:
    """The columns the list shows: a deadline's amount and unit as one (处置时限 “4 工作小时”)."""
    return [c for c in spec.columns if c.name != "deadline_unit"]


def _cells(spec: Table, row: dict[str, Any], refs: dict[str, dict[Any, str]]) -> list[str]:
    cells = []
    for column in _shown(spec):
        if column.name == "deadline_amount":
            unit = CHOICES["deadline_unit"].get(row["deadline_unit"], "")
            cells.append(f"{row['deadline_amount']} {unit}" if row["deadline_amount"] is not None else "—")
        else:
            cells.append(_cell(spec, column, row, refs))
    return cells


def table_view(spec: Table, rows: list[dict[str, Any]], refs: dict[str, dict[Any, str]]) -> TableView:
    editable = [c for c in spec.columns if not c.key and c.name != spec.retire_column]  # 停用 has its button
    views = [RowView(key=spec.key_of(r), cells=_cells(spec, r, refs),
                     retired=spec.retire_column is not None and not r[spec.retire_column],
                     inputs=[_input(spec, c, refs, r[c.name]) for c in editable],
                     group=spec.name == "categories" and r["parent_code"] is None) for r in rows]
    creatable = [c for c in spec.columns if not (c.key and spec.serial) and c.name != spec.retire_column]
    return TableView(
        name=spec.name, title=TITLES[spec.name], note=NOTES.get(spec.name, ""), spec=spec,
        headers=[LABELS[spec.name].get(c.name, c.name) for c in _shown(spec)], rows=views,
        create=[_input(spec, c, refs, c.default) for c in creatable] if spec.creatable else [],
        booleans=",".join(c.name for c in spec.columns if c.kind == "bool"))


def settings_view(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every escalation setting with its label, value and choices (None: a number of days); `stored` False: it runs
    on its default (checks.SETTINGS) and saving it adds the row."""
    stored = {r["key"]: r["value"] for r in rows}
    return [{"key": key, "label": label, "choices": choices, "stored": key in stored,
             "value": stored.get(key, DEFAULTS[key][1])} for key, (label, choices) in SETTINGS.items()]


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return YES_NO[v]
    return "—" if v is None or v == "" else str(v)


def _day(state: dict[str, Any] | None) -> str:
    if not state:
        return "平常"
    return ("上班" if state.get("is_workday") else "放假") + (f"（{state['note']}）" if state.get("note") else "")


def _summary(name: str, detail: dict[str, Any]) -> str:
    """What a change did, in a line: the columns changed with their values before and after."""
    if "days" in detail:  # a calendar file
        return f"新增 {detail.get('created', 0)}，修改 {detail.get('changed', 0)}，删除 {detail.get('removed', 0)} 天"
    if name == "calendar":  # one day: 平常 → 放假（国庆节）
        return f"{_day(detail.get('before'))} → {_day(detail.get('after'))}"
    labels = LABELS.get(name, {})
    before, after = detail.get("before") or {}, detail.get("after") or {}
    if before and after:
        changed = detail.get("changed") or [k for k in after if before.get(k) != after.get(k)]
        return "；".join(f"{labels.get(c, c)}：{_value(before.get(c))} → {_value(after.get(c))}" for c in changed)
    shown = after or before
    return "，".join(f"{labels.get(k, k)}={_value(v)}" for k, v in shown.items() if v is not None)[:300]


TABLE_NAMES = {"categories": "问题分类", "sources": "来源", "point_types": "点位类型", "checklist_items": "测评细则",
               "coverage_rules": "覆盖规则", "department_rules": "职能部门分工", "escalation_levels": "升级阶梯",
               "exposure_kinds": "曝光类型", "escalation_settings": "计数方式", "calendar": "工作日历",
               "flag_rules": "红旗黄旗规则", "document_series": "文号"}


def changes_view(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"at": r["at"], "actor": r["actor"], "action": ACTIONS.get(r["action"], r["action"]),
             "table": TABLE_NAMES.get(r["table"], r["table"]), "key": r["entity_id"] or "",
             "summary": _summary(r["table"], r["detail"])} for r in rows]


def tab_of(value: str) -> str:
    return value if value in TABS else "categories"
