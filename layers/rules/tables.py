"""The rule tables, one spec each: key, columns with their checks, what uses a row (sql/usage_*.sql).

Adding a column a city should edit is adding a `Column` here (and its label in maps/rules_page.py).
"""

from __future__ import annotations

from layers.rules import checks
from layers.rules.references import COVERAGE_LAYERS, ROAD_CLASSES
from layers.rules.spec import Column, Table

ACTIVE = Column("active", "bool", nullable=False, default=True)
SORT = Column("sort", "int", nullable=False, low=-100000, high=100000, default=0)

CATEGORIES = Table(
    "categories", "problem_categories", "category",
    (Column("code", "code", key=True, nullable=False, required=True),
     Column("parent_code", "code", ref="big_category"),
     Column("name", nullable=False, required=True, max_length=100),
     Column("deadline_amount", "int", low=1, high=2000),
     Column("deadline_unit", "choice", choices=("hours", "days")),
     Column("duplicate_radius_m", "number", low=0, high=5000),
     Column("duplicate_window_h", "int", low=0, high=8760),
     Column("street_tolerance_m", "number", low=0, high=2000),
     Column("max_extension_days", "int", nullable=False, low=1, high=250, default=20),
     Column("verifier_must_differ", "bool", nullable=False, default=True),
     SORT, ACTIVE),
    order="coalesce(parent_code, code), parent_code IS NOT NULL, sort, code",
    check=checks.category, usage="usage_categories")

SOURCES = Table(
    "sources", "problem_sources", "source",
    (Column("code", "code", key=True, nullable=False, required=True),
     Column("name", nullable=False, required=True, max_length=50, unique=True),
     Column("exposure_kind", "code", ref="exposure_kind"),
     SORT, ACTIVE),
    order="sort, code", usage="usage_sources")

POINT_TYPES = Table(
    "point_types", "point_types", "point type",
    (Column("name", key=True, nullable=False, required=True, max_length=50),
     Column("category", nullable=False, required=True, max_length=50),
     Column("geometry_hint", "choice", nullable=False, choices=("point", "polygon"), default="point"),
     SORT, ACTIVE),
    order="sort, name", usage="usage_point_types")

CHECKLIST_ITEMS = Table(
    "checklist_items", "checklist_items", "checklist item",
    (Column("id", "int", key=True, nullable=False, low=1, high=2**31 - 1),
     Column("point_type", nullable=False, required=True, max_length=50, ref="point_type"),
     Column("code", "code", nullable=False, required=True),
     Column("text", "longtext", nullable=False, required=True, max_length=500),
     Column("weight", "number", nullable=False, required=True, low=0.1, high=100),
     Column("category_code", "code", nullable=False, required=True, ref="small_category"),
     Column("standard", "longtext", max_length=2000),
     SORT, ACTIVE),
    order="(SELECT t.sort FROM point_types t WHERE t.name = checklist_items.point_type), point_type, sort, code, id",
    serial=True, check=checks.checklist_item, usage="usage_checklist_items")

COVERAGE_RULES = Table(
    "coverage_rules", "coverage_rules", "coverage rule",
    (Column("id", "int", key=True, nullable=False, low=1, high=2**31 - 1),
     Column("layer", "choice", nullable=False, required=True, choices=tuple(COVERAGE_LAYERS)),
     Column("filter_column", "choice", choices=tuple(c for c in COVERAGE_LAYERS.values() if c)),
     Column("filter_value", max_length=50),
     Column("role_family", "code", nullable=False, required=True, ref="role_family"),
     Column("exclusive", "bool", nullable=False, default=False),
     ACTIVE,
     Column("note", "longtext", max_length=500)),
    order="layer, filter_value NULLS FIRST, role_family, id", serial=True, check=checks.coverage_rule)

DEPARTMENT_RULES = Table(
    "department_rules", "department_rules", "department rule",
    (Column("id", "int", key=True, nullable=False, low=1, high=2**31 - 1),
     Column("category_code", "code", ref="category"),
     Column("unit_id", "int", nullable=False, required=True, low=1, high=2**31 - 1, ref="department"),
     Column("duty", "choice", nullable=False, choices=("lead", "assist"), default="lead"),
     Column("point_type", max_length=50, ref="point_type"),
     Column("road_class", "choice", choices=tuple(ROAD_CLASSES)),
     ACTIVE,
     Column("note", "longtext", max_length=500)),
    order="category_code NULLS LAST, duty DESC, id", serial=True, check=checks.department_rule,
    usage="usage_department_rules")

ESCALATION_LEVELS = Table(
    "escalation_levels", "escalation_levels", "escalation level",
    (Column("party", "choice", key=True, nullable=False, required=True, choices=("person", "unit")),
     Column("level", "int", key=True, nullable=False, required=True, low=1, high=20),
     Column("code", "code", nullable=False, required=True),
     Column("name", nullable=False, required=True, max_length=50),
     Column("exposures", "int", nullable=False, required=True, low=1, high=1000)),
    order="party, level", retire_column=None, check=checks.escalation_level, usage="usage_escalation_levels")

EXPOSURE_KINDS = Table(
    "exposure_kinds", "exposure_kinds", "exposure kind",
    (Column("code", "code", key=True, nullable=False, required=True),
     Column("name", nullable=False, required=True, max_length=50, unique=True),
     Column("counts", "bool", nullable=False, default=True),
     SORT),
    order="sort, code", retire_column="counts", usage="usage_exposure_kinds")

ESCALATION_SETTINGS = Table(
    "escalation_settings", "escalation_settings", "escalation setting",
    (Column("key", "code", key=True, nullable=False, required=True),
     Column("value", "scalar", nullable=False, required=True, max_length=50)),
    order="key", retire_column=None, deletable=False, check=checks.escalation_setting)

PERCENT = {"kind": "number", "low": 0, "high": 100}
# 红旗/黄旗 (layers/campaign/notice_flags.py): a rule's conditions all hold; any rule of a flag earns it. A 通报 keeps
# the rules it applied in its snapshot, so editing or deleting one changes no published notice.
FLAG_RULES = Table(
    "flag_rules", "flag_rules", "flag rule",
    (Column("id", "int", key=True, nullable=False, low=1, high=2**31 - 1),
     Column("flag", "choice", nullable=False, required=True, choices=("red", "yellow")),
     Column("name", nullable=False, required=True, max_length=100),
     Column("level", "choice", choices=("subdistrict", "community", "department", "owner")),
     Column("min_on_time_rate", **PERCENT), Column("min_closure_rate", **PERCENT),
     Column("max_overdue_rate", **PERCENT), Column("min_overdue_rate", **PERCENT),
     Column("max_rework_rate", **PERCENT),
     Column("max_accountability", "int", low=0, high=1000),
     Column("board", "choice", choices=("red", "black")),
     SORT, ACTIVE,
     Column("note", "longtext", max_length=500)),
    order="flag = 'yellow', sort, id", serial=True, check=checks.flag_rule)

# The numbered documents' prefix and issuer (创城通〔2026〕第12号, 创城交〔2026〕第37号): one row per kind, kept.
DOCUMENT_SERIES = Table(
    "document_series", "document_series", "document series",
    (Column("kind", "choice", key=True, nullable=False, required=True, choices=("notice", "dispatch")),
     Column("prefix", nullable=False, required=True, max_length=20),
     Column("issuer", nullable=False, required=True, max_length=100),
     Column("name", nullable=False, required=True, max_length=50)),
    order="kind", retire_column=None, creatable=False, deletable=False)

TABLES: dict[str, Table] = {t.name: t for t in (
    CATEGORIES, SOURCES, POINT_TYPES, CHECKLIST_ITEMS, COVERAGE_RULES, DEPARTMENT_RULES, ESCALATION_LEVELS,
    EXPOSURE_KINDS, ESCALATION_SETTINGS, FLAG_RULES, DOCUMENT_SERIES)}
