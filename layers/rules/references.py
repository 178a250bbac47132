"""What a rule may point at: each reference is the set of values a column may take, with a name to show for each.

The same options check a write (`edit.py`) and fill the workbench's select boxes, so a page never offers what the
service would refuse. Fixed sets (road classes, region levels) are here too; the rest are small lookup tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

ROAD_CLASSES = {"arterial": "主干道", "secondary": "次干道", "branch": "支路", "back_lane": "背街小巷"}
REGION_LEVELS = {"district": "区/县", "subdistrict": "街道/乡镇", "community": "社区/村"}
# The layers a coverage rule may be about, and the column whose value picks the kind of feature it needs.
COVERAGE_LAYERS = {"streets": "road_class", "assessment_points": "point_type", "regions": "level", "grid_cells": None}

_QUERIES = {
    "category": "SELECT code, code || ' ' || name FROM problem_categories ORDER BY code",
    "big_category": "SELECT code, code || ' ' || name FROM problem_categories WHERE parent_code IS NULL ORDER BY code",
    "small_category": ("SELECT code, code || ' ' || name FROM problem_categories WHERE parent_code IS NOT NULL "
                       "AND active ORDER BY code"),
    "point_type": "SELECT name, name FROM point_types ORDER BY sort, name",
    "active_point_type": "SELECT name, name FROM point_types WHERE active ORDER BY sort, name",
    "exposure_kind": "SELECT code, name FROM exposure_kinds ORDER BY sort, code",
    "department": "SELECT id, name FROM units WHERE kind = 'department' AND active ORDER BY name, id",
    "role_family": ("SELECT family, string_agg(name, '/' ORDER BY sort) FROM owner_roles GROUP BY family "
                    "ORDER BY min(sort)"),
}
_FIXED = {"road_class": ROAD_CLASSES, "region_level": REGION_LEVELS}


def options(session: Session, name: str) -> dict[Any, str]:
    """value → what to show, in the order to offer them."""
    if name in _FIXED:
        return dict(_FIXED[name])
    return {value: label for value, label in session.execute(text(_QUERIES[name])).all()}


def every(session: Session, names: set[str]) -> dict[str, dict[Any, str]]:
    return {name: options(session, name) for name in sorted(names)}


def families_for_layer(session: Session, layer: str) -> set[str]:
    """The role families with at least one owner role that may hold a feature of `layer`."""
    rows = session.execute(text("SELECT DISTINCT family FROM owner_roles WHERE :layer = ANY(layers)"),
                           {"layer": layer})
    return set(rows.scalars())
