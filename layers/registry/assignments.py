"""Assignments: who owns which place in which role, over time (定人、定点、定段、定时、定责).

An assignment is never overwritten: reassigning closes the old row (valid_to) and opens a new one, so the owner
of any place on any past day can be answered. valid_to is exclusive; NULL means open-ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Forbidden, InvalidInput, NotFound
from gis.sql import load
from gis.times import EARLIEST_YEAR, LATEST_YEAR
from layers.access.caller import Caller
from layers.common.audit import record
from layers.registry.people import role as get_role
from layers.spatial.catalog import LAYERS

# How a layer's features are found by code and what gives their region.
_REGION_COL = {"regions": "code", "grid_cells": "region_code", "streets": "region_code",
               "assessment_points": "region_code"}
# What a coverage rule's filter column may be, per layer (bulk filters use the same names).
FILTER_COLUMNS = {"streets": "road_class", "assessment_points": "point_type", "regions": "level"}


@dataclass
class Holder:
    person_id: int | None = None
    unit_id: int | None = None


@dataclass
class AssignResult:
    created: list[int] = field(default_factory=list)
    unchanged: int = 0


def today(session: Session) -> date:
    # The database clock runs in Asia/Shanghai (see gis.db), which is the campaign's calendar day.
    return session.execute(text("SELECT current_date")).scalar_one()


def _layer(layer: str) -> str:
    if layer not in LAYERS:
        raise InvalidInput(f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}", field="layer")
    return layer


def _check_holder(session: Session, role: dict[str, Any], holder: Holder, caller: Caller) -> None:
    """The holder must exist inside the caller's region; one outside it reads as unknown, as it does everywhere."""
    if role["holder"] == "person":
        if holder.person_id is None or holder.unit_id is not None:
            raise InvalidInput(f"role {role['name']} is held by a person: give person_id", field="person_id")
        row = session.execute(text("SELECT active, region_code FROM people WHERE id = :i"),
                              {"i": holder.person_id}).one_or_none()
        if row is None or not caller.covers(row.region_code):
            raise InvalidInput(f"unknown person {holder.person_id}", field="person_id")
        if not row.active:
            raise InvalidInput(f"person {holder.person_id} is inactive", field="person_id")
    else:
        if holder.unit_id is None or holder.person_id is not None:
            raise InvalidInput(f"role {role['name']} is held by a unit: give unit_id", field="unit_id")
        region = session.execute(text("SELECT region_code FROM units WHERE id = :i"),
                                 {"i": holder.unit_id}).one_or_none()
        if region is None or not caller.covers(region.region_code):
            raise InvalidInput(f"unknown unit {holder.unit_id}", field="unit_id")


MAX_NOTE = 500  # a note says why (交接, 调岗); a longer text belongs in a document


def _check_day(day: date | None, field: str) -> None:
    """A term is a span of a working life: year 1 or 9999 would rewrite "who owned this on a date" for all time."""
    if day is not None and not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(f"year {day.year} is outside {EARLIEST_YEAR}–{LATEST_YEAR}", field=field)


def _check_note(note: str | None) -> None:
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"at most {MAX_NOTE} characters", field="note")


def _check_period(valid_from: date, valid_to: date | None) -> None:
    _check_day(valid_from, "valid_from")
    _check_day(valid_to, "valid_to")
    if valid_to is not None and valid_to <= valid_from:
        raise InvalidInput(f"valid_to {valid_to} must be after valid_from {valid_from}", field="valid_to")


def resolve_features(
    session: Session,
    layer: str,
    *,
    caller: Caller,
    feature_id: int | None = None,
    code: str | None = None,
    street_name: str | None = None,
) -> list[int]:
    """Feature ids named by id, by code, or (streets) by the street's name = all its segments in the caller's
    region. Ids and codes outside the region are found here and refused by assign (403)."""
    table = LAYERS[_layer(layer)].table
    if street_name:
        if layer != "streets":
            raise InvalidInput("a street name selects streets only", field="street_name")
        ids = session.execute(
            text(
                "SELECT id FROM streets WHERE name = :n AND (CAST(:r AS text) IS NULL OR region_code LIKE :r || '%') "
                "ORDER BY id"
            ),
            {"n": street_name, "r": caller.scope},
        ).scalars().all()
        if not ids:
            raise InvalidInput(f"no street named {street_name!r}", field="street_name")
        return list(ids)
    if code:
        fid = session.execute(text(f"SELECT id FROM {table} WHERE code = :c"), {"c": code}).scalar()
        if fid is None:
            raise InvalidInput(f"no {layer} feature with code {code}", field="code")
        return [fid]
    if feature_id is not None:
        if not session.execute(text(f"SELECT 1 FROM {table} WHERE id = :i"), {"i": feature_id}).scalar():
            raise InvalidInput(f"no {layer} feature with id {feature_id}", field="feature_id")
        return [feature_id]
    raise InvalidInput("name the place: feature_id, code or street_name", field="feature_id")


def features_in_area(
    session: Session,
    layer: str,
    *,
    polygon: BaseGeometry | None = None,
    region: str | None = None,
    kind: str | None = None,
) -> list[int]:
    """Ids of a layer's features inside a drawn polygon (CGCS2000) and/or a region, optionally of one kind."""
    spec = LAYERS[_layer(layer)]
    if polygon is None and not region:
        raise InvalidInput("give a polygon or a region", field="polygon")
    where = ["true"]
    params: dict[str, Any] = {}
    if polygon is not None:
        if polygon.geom_type not in ("Polygon", "MultiPolygon") or not polygon.is_valid:
            raise InvalidInput("must be a valid Polygon or MultiPolygon", field="polygon")
        # A feature belongs to the drawn area when its representative point lies inside.
        where.append("ST_Intersects(ST_GeomFromText(:wkt, 4490), ST_PointOnSurface(t.geom))")
        params["wkt"] = polygon.wkt
    if region:
        where.append(f"t.{_REGION_COL[layer]} LIKE :region || '%'")
        params["region"] = region
    if kind:
        col = FILTER_COLUMNS.get(layer)
        if col is None:
            raise InvalidInput(f"{layer} have no kind to filter on", field="kind")
        where.append(f"t.{col} = :kind")
        params["kind"] = kind
    sql = f"SELECT t.id FROM {spec.table} t WHERE {' AND '.join(where)} ORDER BY t.id"
    return list(session.execute(text(sql), params).scalars())


def _lock_features(session: Session, layer: str, ids: list[int]) -> None:
    """Serialise writers of the same places: the one-primary-owner check and the insert that follows are two
    statements, and at READ COMMITTED two requests could both pass the check. The row lock makes the second wait
    until the first commits; its check (a new statement, a new snapshot) then sees the first one's row. Ids in
    order, so two overlapping bulk writes cannot deadlock. NO KEY UPDATE does not block foreign-key checks."""
    session.execute(text(f"SELECT id FROM {LAYERS[layer].table} WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE"),
                    {"ids": ids}).scalars().all()


def _exclusive_conflicts(
    session: Session, role: dict[str, Any], layer: str, ids: list[int], holder: Holder, valid_from: date,
    valid_to: date | None,
) -> list[dict[str, Any]]:
    """Features where a rule allows one primary owner of this role family and someone else holds it then."""
    kind_col = FILTER_COLUMNS.get(layer)
    kind = f"f.{kind_col}" if kind_col else "NULL"
    table = LAYERS[layer].table
    rows = session.execute(
        text(f"""
            SELECT f.id, f.code, r.name AS role_name, coalesce(p.name, u.name) AS holder, a.valid_from, a.valid_to
            FROM {table} f
            JOIN coverage_rules cr ON cr.layer = :layer AND cr.role_family = :family AND cr.exclusive AND cr.active
                 AND (cr.filter_value IS NULL OR cr.filter_value = {kind})
            JOIN assignments a ON a.layer = :layer AND a.feature_id = f.id
            JOIN owner_roles r ON r.code = a.role AND r.family = :family AND r.is_primary
            LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
            WHERE f.id = ANY(:ids)
              AND daterange(a.valid_from, a.valid_to) && daterange(:vf, :vt)
              AND (a.person_id IS DISTINCT FROM :pid OR a.unit_id IS DISTINCT FROM :uid)
            ORDER BY f.id LIMIT 5"""),
        {"layer": layer, "family": role["family"], "ids": ids, "vf": valid_from, "vt": valid_to,
         "pid": holder.person_id, "uid": holder.unit_id},
    ).mappings().all()
    return [dict(r) for r in rows]


def assign(
    session: Session,
    *,
    role: str,
    layer: str,
    feature_ids: list[int],
    holder: Holder,
    valid_from: date | None = None,
    valid_to: date | None = None,
    note: str | None = None,
    street_group: str | None = None,
    caller: Caller,
) -> AssignResult:
    """Give every listed feature this owner in this role. All or nothing; repeats of an open row are skipped."""
    r = get_role(session, role)
    _layer(layer)
    if layer not in r["layers"]:
        owns = "、".join(r["layers"])
        raise InvalidInput(f"role {r['name']} may not own {layer}; it owns {owns}", field="layer")
    _check_holder(session, r, holder, caller)
    valid_from = valid_from or today(session)
    _check_period(valid_from, valid_to)
    _check_note(note)
    if not feature_ids:
        raise InvalidInput("no features selected", field="feature_id")
    table, region_col = LAYERS[layer].table, _REGION_COL[layer]
    if caller.scope:
        outside = session.execute(
            text(f"SELECT code FROM {table} WHERE id = ANY(:ids) AND coalesce({region_col}, '') NOT LIKE :s || '%' "
                 "LIMIT 1"),
            {"ids": feature_ids, "s": caller.scope},
        ).scalar()
        if outside:
            raise Forbidden(f"{layer} feature {outside} lies outside your region {caller.scope}", field="feature_id")
    _lock_features(session, layer, feature_ids)
    if r["is_primary"]:
        clash = _exclusive_conflicts(session, r, layer, feature_ids, holder, valid_from, valid_to)
        if clash:
            c = clash[0]
            raise InvalidInput(
                f"{layer} feature {c['code']} already has a {c['role_name']} ({c['holder']}, from {c['valid_from']}"
                f"{' to ' + str(c['valid_to']) if c['valid_to'] else ''}) and the coverage rule allows only one; "
                "reassign instead",
                field="feature_id",
            )
    created = session.execute(
        text(f"""
            INSERT INTO assignments (role, person_id, unit_id, layer, feature_id, region_code, street_group,
                                     valid_from, valid_to, note, created_by)
            SELECT :role, :pid, :uid, :layer, f.id, f.{region_col}, :grp, :vf, :vt, :note, :actor
            FROM {table} f
            WHERE f.id = ANY(:ids)
              AND NOT EXISTS (SELECT 1 FROM assignments a
                              WHERE a.layer = :layer AND a.feature_id = f.id AND a.role = :role
                                AND a.person_id IS NOT DISTINCT FROM :pid AND a.unit_id IS NOT DISTINCT FROM :uid
                                AND daterange(a.valid_from, a.valid_to) && daterange(:vf, :vt))
            ORDER BY f.id
            RETURNING id"""),
        {"role": r["code"], "pid": holder.person_id, "uid": holder.unit_id, "layer": layer, "grp": street_group,
         "vf": valid_from, "vt": valid_to, "note": note, "actor": caller.actor, "ids": feature_ids},
    ).scalars().all()
    result = AssignResult(created=list(created), unchanged=len(set(feature_ids)) - len(created))
    record(session, caller.actor, "assign", "assignments", None,
           {"role": r["code"], "layer": layer, "features": len(feature_ids), "created": len(created),
            "person_id": holder.person_id, "unit_id": holder.unit_id, "valid_from": valid_from,
            "street_group": street_group})
    return result


def end(session: Session, assignment_id: int, *, on: date | None = None, caller: Caller) -> None:
    row = session.execute(text("SELECT * FROM assignments WHERE id = :i FOR UPDATE"), {"i": assignment_id}).mappings()
    a = row.one_or_none()
    if a is None or not caller.covers(a["region_code"]):
        raise NotFound(f"assignment {assignment_id} not found", field="id")
    on = on or today(session)
    _check_day(on, "on")
    if a["valid_to"] is not None and a["valid_to"] <= on:
        raise InvalidInput(f"assignment {assignment_id} already ended on {a['valid_to']}", field="on")
    # Ending on the first day withdraws it (an empty term, never in force): a same-day correction.
    if on < a["valid_from"]:
        raise InvalidInput(f"end date {on} is before its start {a['valid_from']}", field="on")
    session.execute(text("UPDATE assignments SET valid_to = :on, ended_by = :actor WHERE id = :i"),
                    {"on": on, "actor": caller.actor, "i": assignment_id})
    record(session, caller.actor, "end", "assignments", assignment_id, {"valid_to": on})


def reassign(
    session: Session,
    *,
    role: str,
    layer: str,
    feature_ids: list[int],
    holder: Holder,
    on: date | None = None,
    note: str | None = None,
    street_group: str | None = None,
    caller: Caller,
    move_open_problems: bool = False,
) -> dict[str, Any]:
    """Close the current holders of this role on these features on `on`, and open the new holder from then.
    With `move_open_problems`, the problems of these places still open pass to the new holder (with an event)."""
    r = get_role(session, role)
    on = on or today(session)
    _check_day(on, "on")
    _check_note(note)
    if layer in LAYERS:  # an unknown one is refused by assign; lock before reading who holds the places now
        _lock_features(session, layer, feature_ids)
    current = session.execute(
        text("SELECT id, valid_from FROM assignments_on(:on) WHERE layer = :layer AND role = :role "
             "AND feature_id = ANY(:ids) AND (person_id IS DISTINCT FROM :pid OR unit_id IS DISTINCT FROM :uid)"),
        {"on": on, "layer": layer, "role": r["code"], "ids": feature_ids, "pid": holder.person_id,
         "uid": holder.unit_id},
    ).all()
    for c in current:  # one that starts on `on` is withdrawn (an empty term), the day's correction
        end(session, c.id, on=on, caller=caller)
    result = assign(session, role=r["code"], layer=layer, feature_ids=feature_ids, holder=holder, valid_from=on,
                    note=note, street_group=street_group, caller=caller)
    moved = _move_open_problems(session, [c.id for c in current], caller.actor) if move_open_problems else []
    return {"ended": [c.id for c in current], "created": result.created, "moved_problems": moved}


def _move_open_problems(session: Session, ended: list[int], actor: str) -> list[int]:
    """Point the open problems owned through `ended` assignments at their successors on the same place."""
    rows = session.execute(text(load(__file__, "move_open_problems")),
                           {"ended": ended, "actor": actor}).scalars().all()
    return sorted(set(rows))


def _shape_owner(row: dict[str, Any], with_contact: bool) -> dict[str, Any]:
    out = dict(row)
    if not with_contact:
        out.pop("person_phone")
        out.pop("unit_phone")
    return out


def owners_of(
    session: Session, layer: str, feature_id: int, *, on: date | None = None, with_contact: bool = False
) -> list[dict[str, Any]]:
    """Who owned this feature on a day (default today), primary roles first."""
    on = on or today(session)
    rows = session.execute(
        text(load(__file__, "owners_on")),
        {"l": layer, "f": feature_id, "on": on},
    ).mappings()
    return [_shape_owner(r, with_contact) for r in rows]


def history(session: Session, layer: str, feature_id: int, *, with_contact: bool = False) -> list[dict[str, Any]]:
    rows = session.execute(
        text(load(__file__, "owners_history")),
        {"l": layer, "f": feature_id},
    ).mappings()
    return [_shape_owner(r, with_contact) for r in rows]


def list_assignments(
    session: Session,
    *,
    caller: Caller,
    person_id: int | None = None,
    unit_id: int | None = None,
    layer: str | None = None,
    role: str | None = None,
    on: date | None = None,
    with_contact: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    rows = session.execute(
        text(load(__file__, "assignments_list")),
        {"s": caller.scope, "pid": person_id, "uid": unit_id, "layer": layer, "role": role, "on": on, "limit": limit,
         "offset": offset},
    ).mappings()
    return [_shape_owner(r, with_contact) for r in rows]

