"""Roster import (责任清单 in): a CSV or Excel sheet of people × places × roles, as offices keep them.

Each row names a person (or unit), a role, and a place by feature code or street name. Rows that match nothing are
reported; with any bad row nothing is imported, unless the caller asks to skip bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.db import batch_job
from gis.errors import CcgridError, InvalidInput
from gis.sql import load
from layers.access.caller import Caller
from layers.common.tables import read_table
from layers.registry import assignments as assign_svc
from layers.registry.people import create_unit, find_or_create_person, unit_by_name
from layers.registry.people import role as get_role
from layers.spatial.catalog import LAYERS
from layers.spatial.writer import Rejection, RowsRejected

ALIASES = {
    "姓名": "name", "责任人": "name", "电话": "phone", "手机": "phone", "联系电话": "phone", "单位": "unit",
    "责任单位": "unit", "所在单位": "unit", "角色": "role", "职务": "role", "图层": "layer", "编码": "code",
    "点位编码": "code", "网格编码": "code", "路段编码": "code", "道路": "street", "道路名称": "street",
    "街路名称": "street", "起始日期": "valid_from", "开始日期": "valid_from", "截止日期": "valid_to",
    "结束日期": "valid_to", "备注": "note",
}
LAYER_NAMES = {"道路": "streets", "路段": "streets", "网格": "grid_cells", "单元网格": "grid_cells",
               "点位": "assessment_points", "测评点位": "assessment_points", "社区": "regions", "区域": "regions",
               "行政区": "regions"}


@dataclass
class RowOutcome:
    """What one good row did (or, in a dry run, would do): its holder matched or created, and the places."""

    row: int
    holder: str
    holder_state: str  # matched | created
    role: str
    layer: str
    place: str
    created: int
    unchanged: int


@dataclass
class RosterResult:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    dry_run: bool = False


def _read(path: Path) -> pd.DataFrame:
    df = read_table(path, ALIASES, "a roster")
    return df.astype(object).where(df.notna(), None)


def _date(value: Any, name: str) -> date | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return pd.to_datetime(str(value).strip()).date()
    except (ValueError, TypeError):
        raise InvalidInput(f"not a date: {value!r} (use YYYY-MM-DD)", field=name) from None


def _text(row: dict[str, Any], key: str) -> str | None:
    v = row.get(key)
    return str(v).strip() or None if v is not None else None


def _layer_of_code(session: Session, layers: list[str], code: str) -> str | None:
    """The one of the role's layers that has a feature with this code."""
    for name in layers:
        table = LAYERS[name].table
        if session.execute(text(f"SELECT 1 FROM {table} WHERE code = :c"), {"c": code}).scalar():
            return name
    return None


def _row(session: Session, row: dict[str, Any], caller: Caller) -> tuple[assign_svc.AssignResult, dict[str, Any]]:
    role_name = _text(row, "role")
    if not role_name:
        raise InvalidInput("is required", field="role")
    role = get_role(session, role_name)
    street, code = _text(row, "street"), _text(row, "code")
    layer = _text(row, "layer")
    if layer:
        layer = LAYER_NAMES.get(layer, layer)
    elif street:
        layer = "streets"
    elif len(role["layers"]) == 1:
        layer = role["layers"][0]
    elif code and (found := _layer_of_code(session, role["layers"], code)):
        layer = found
    else:
        raise InvalidInput(f"say which layer: role {role['name']} owns {'、'.join(role['layers'])}", field="layer")
    if not street and not code:
        raise InvalidInput("name the place: a feature code or a street name", field="code")
    ids = assign_svc.resolve_features(session, layer, code=code, street_name=street, caller=caller)
    if role["holder"] == "unit":
        unit = _text(row, "unit")
        if not unit:
            raise InvalidInput(f"role {role['name']} is held by a unit: fill the unit column", field="unit")
        holder = assign_svc.Holder(unit_id=unit_by_name(session, unit, caller)
                                   or create_unit(session, name=unit, caller=caller))
        who = {"kind": "unit", "id": holder.unit_id, "name": unit}
    else:
        name = _text(row, "name")
        if not name:
            raise InvalidInput("is required", field="name")
        holder = assign_svc.Holder(person_id=find_or_create_person(
            session, name=name, phone=_text(row, "phone"), unit_name=_text(row, "unit"), caller=caller))
        who = {"kind": "person", "id": holder.person_id, "name": name}
    done = assign_svc.assign(
        session, role=role["code"], layer=layer, feature_ids=ids, holder=holder,
        valid_from=_date(row.get("valid_from"), "valid_from"), valid_to=_date(row.get("valid_to"), "valid_to"),
        note=_text(row, "note"), street_group=f"{street}" if street else None, caller=caller,
    )
    return done, {**who, "role": role["name"], "layer": layer, "place": street or code or ""}


def _last_ids(session: Session) -> dict[str, int]:
    """The newest person and unit ids before the import: a holder above them was created by this file."""
    row = session.execute(text("SELECT (SELECT coalesce(max(id), 0) FROM people) AS person, "
                               "(SELECT coalesce(max(id), 0) FROM units) AS unit")).one()
    return {"person": row.person, "unit": row.unit}


def import_roster(
    session: Session, path: Path, *, caller: Caller, skip_invalid: bool = False, dry_run: bool = False
) -> RosterResult:
    """Import every row, or none when a row is rejected (unless `skip_invalid`). A dry run imports the file in a
    savepoint, rolls it back and answers each row's outcome (matched, created or rejected): nothing is written."""
    batch_job(session, f"the roster import of {path.name}")
    df = _read(path)
    outer = session.begin_nested() if dry_run else None
    try:
        result = _rows(session, df, caller)
    finally:
        if outer is not None:
            outer.rollback()
    result.dry_run = dry_run
    if result.rejected and not skip_invalid and not dry_run:
        raise RowsRejected(result.rejected)
    return result


def _rows(session: Session, df: pd.DataFrame, caller: Caller) -> RosterResult:
    result = RosterResult(rows=len(df))
    before, seen = _last_ids(session), set()
    for i, row in enumerate(df.to_dict("records"), start=1):
        savepoint = session.begin_nested()
        try:
            done, who = _row(session, row, caller)
        except CcgridError as exc:
            savepoint.rollback()
            result.rejected.append(Rejection(i, exc.field or "row", exc.message))
            continue
        savepoint.commit()
        result.created += len(done.created)
        result.unchanged += done.unchanged
        key = (who["kind"], who["id"])
        state = "created" if who["id"] > before[who["kind"]] and key not in seen else "matched"
        seen.add(key)
        result.outcomes.append(RowOutcome(i, who["name"], state, who["role"], who["layer"], who["place"],
                                          len(done.created), done.unchanged))
    return result


SAMPLE_HEADER = "姓名,电话,单位,角色,图层,编码,道路,起始日期,截止日期,备注"


def sample_roster(session: Session, caller: Caller) -> str:
    """A roster of three rows naming real places of the caller's area whose role in the row is still free (so no
    row meets an exclusive owner): the sample previews cleanly as it downloads."""
    street, cell, point = (v or "" for v in session.execute(text(load(__file__, "roster_sample")),
                                                             {"s": caller.scope or ""}).one())
    start = assign_svc.today(session).isoformat()
    return "\n".join([SAMPLE_HEADER, f"张三,13800000001,,路长,道路,,{street},{start},,整条道路",
                       f"李四,13800000002,,网格员,网格,{cell},,{start},,",
                       f",,示例责任单位,责任单位,点位,{point},,{start},,", ""])
