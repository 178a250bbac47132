"""People, units and owner roles of the street-chief system (街长制 and its siblings).

Phone numbers are personal data: every reader here takes `with_contact`, which the caller sets only for roles that
manage people.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from gis.settings import get_settings
from gis.sql import load
from layers.access import throttle
from layers.access.caller import Caller
from layers.common.audit import record

PHONE = re.compile(r"^[0-9+() -]{5,24}$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
UNIT_KINDS = ("government", "department", "responsible_unit", "patron_unit", "storefront", "other")


def roles(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(text("SELECT * FROM owner_roles ORDER BY sort, code")).mappings().all()
    return [dict(r) for r in rows]


def role(session: Session, code_or_name: str) -> dict[str, Any]:
    """An owner role by its code (road_chief) or Chinese name (路长)."""
    row = (
        session.execute(
            text("SELECT * FROM owner_roles WHERE code = :v OR name = :v"), {"v": str(code_or_name).strip()}
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        names = "、".join(r["name"] for r in roles(session))
        raise InvalidInput(f"unknown role {code_or_name!r}; roles are {names}", field="role")
    return dict(row)


def coverage_rules(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(text("SELECT * FROM coverage_rules WHERE active ORDER BY id")).mappings().all()
    return [dict(r) for r in rows]


def _check_region(session: Session, code: str | None, field: str = "region_code") -> None:
    if code and not session.execute(text("SELECT 1 FROM regions WHERE code = :c"), {"c": code}).scalar():
        raise InvalidInput(f"region {code} not found", field=field)


def _visible_unit(session: Session, unit_id: int, caller: Caller, field: str = "unit_id") -> None:
    """A unit the caller may point at: one of their region. Others read as missing, like in every listing."""
    row = session.execute(text("SELECT region_code FROM units WHERE id = :i"), {"i": unit_id}).one_or_none()
    if row is None or not caller.covers(row.region_code):
        raise InvalidInput(f"unit {unit_id} not found", field=field)


def _visible_person(session: Session, pid: int, caller: Caller, field: str) -> None:
    row = session.execute(text("SELECT region_code FROM people WHERE id = :i"), {"i": pid}).one_or_none()
    if row is None or not caller.covers(row.region_code):
        raise InvalidInput(f"person {pid} not found", field=field)


def _check_phone_free(session: Session, phone: str | None, caller: Caller, *, except_id: int | None = None) -> None:
    """A phone number is unique among people. Only a caller who may see the holder learns who has it: for anyone
    else the number is merely refused. That refusal still tells that the number is registered somewhere, which a
    uniqueness rule cannot avoid; so a caller gets only a few such refusals a window (then 429, before any check),
    and the registry cannot be walked number by number."""
    if not phone:
        return
    settings = get_settings()
    limits = {f"phone:{caller.actor}": settings.phone_refusals_per_window}
    wait = throttle.retry_after(limits, settings.phone_refusal_window_s)
    if wait is not None:
        raise TooManyRequests("too many phone numbers refused; try again later", field="phone", retry_after=wait)
    row = session.execute(
        text("SELECT id, region_code FROM people WHERE phone = :p AND id IS DISTINCT FROM :i"),
        {"p": phone, "i": except_id},
    ).one_or_none()
    if row is None:
        return
    if caller.covers(row.region_code):
        raise Conflict(f"a person with phone {phone} already exists (id {row.id})", field="phone")
    throttle.record_failure(limits, settings.phone_refusal_window_s)
    raise InvalidInput("this phone number cannot be used", field="phone")


def _phone(value: Any) -> str | None:
    """The number as stored: digits only, without the country code, so that "+86 139-0000-0035" and
    "13900000035" are one number to the uniqueness rule and to roster matching."""
    if value is None or str(value).strip() == "":
        return None
    raw = str(value).strip()
    if raw.endswith(".0"):  # read as a number from Excel
        raw = raw[:-2]
    if not PHONE.match(raw):
        raise InvalidInput(f"not a phone number: {raw!r}", field="phone")
    phone = re.sub(r"[\s()+-]", "", raw)
    if phone.startswith(("0086", "86")) and MOBILE.match(phone.removeprefix("00").removeprefix("86")):
        phone = phone.removeprefix("00").removeprefix("86")
    if not 5 <= len(phone) <= 15:
        raise InvalidInput(f"not a phone number: {raw!r}", field="phone")
    return phone


def _text(value: Any, field: str, limit: int = 100) -> str | None:
    """Short text of a person (name, title): bounded like the layers' text fields."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=field)
    if len(value) > limit:
        raise InvalidInput(f"at most {limit} characters", field=field)
    return value


# --- units ------------------------------------------------------------------------------------------------
def create_unit(
    session: Session,
    *,
    name: str,
    kind: str = "responsible_unit",
    credit_code: str | None = None,
    phone: str | None = None,
    region_code: str | None = None,
    caller: Caller,
) -> int:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("is required", field="name")
    if kind not in UNIT_KINDS:
        raise InvalidInput(f"must be one of {', '.join(UNIT_KINDS)}", field="kind")
    if credit_code and not CREDIT_CODE.match(credit_code):
        raise InvalidInput("not a unified social credit code (18 characters)", field="credit_code")
    region_code = region_code or caller.scope
    if not caller.covers(region_code):
        raise InvalidInput(f"region {region_code} is outside your region {caller.scope}", field="region_code")
    _check_region(session, region_code)
    exists = session.execute(
        text("SELECT id FROM units WHERE name = :n AND region_code IS NOT DISTINCT FROM :r"),
        {"n": name, "r": region_code},
    ).scalar()
    if exists:
        raise Conflict(f"unit {name!r} already exists (id {exists})", field="name")
    uid = session.execute(
        text(
            "INSERT INTO units (name, kind, credit_code, phone, region_code) "
            "VALUES (:n, :k, :c, :p, :r) RETURNING id"
        ),
        {"n": name, "k": kind, "c": credit_code, "p": _phone(phone), "r": region_code},
    ).scalar_one()
    record(session, caller.actor, "create", "units", uid, {"name": name})
    return uid


def unit_by_name(session: Session, name: str, caller: Caller) -> int | None:
    """The caller's unit of this name (a unit of another region is not theirs to assign)."""
    return session.execute(
        text("SELECT min(id) FROM units WHERE name = :n AND (CAST(:s AS text) IS NULL OR region_code LIKE :s || '%')"),
        {"n": name, "s": caller.scope},
    ).scalar()


def list_units(session: Session, *, caller: Caller, with_contact: bool = False) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT id, name, kind, credit_code, phone, region_code, active FROM units "
            "WHERE (CAST(:s AS text) IS NULL OR region_code LIKE :s || '%') ORDER BY id"
        ),
        {"s": caller.scope},
    ).mappings()
    return [_redact(dict(r), with_contact) for r in rows]


def get_unit(session: Session, uid: int, *, caller: Caller, with_contact: bool = False) -> dict[str, Any]:
    """One unit of the caller's region, with how many people belong to it and how many places it holds today."""
    row = session.execute(text(
        "SELECT u.id, u.name, u.kind, u.credit_code, u.phone, u.region_code, u.active, u.head_person_id, "
        "(SELECT name FROM people h WHERE h.id = u.head_person_id) AS head_name, "
        "(SELECT count(*) FROM people p WHERE p.unit_id = u.id AND p.active) AS members, "
        "(SELECT count(*) FROM assignments_on(current_date) a WHERE a.unit_id = u.id) AS current_assignments "
        "FROM units u WHERE u.id = :i"), {"i": uid}).mappings().one_or_none()
    if row is None or not caller.covers(row["region_code"]):
        raise NotFound(f"unit {uid} not found", field="id")
    return _redact(dict(row), with_contact)


def update_unit(session: Session, uid: int, changes: dict[str, Any], *, caller: Caller) -> None:
    """Rename, re-kind, change the credit code, phone or head (一把手, who answers for the unit's 约谈) of a unit, or
    deactivate it (active=false: no longer offered for new assignments; what it holds stays until handed over)."""
    current = get_unit(session, uid, caller=caller)
    allowed = {"name", "kind", "credit_code", "phone", "active", "head_person_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"cannot be changed; changeable: {', '.join(sorted(allowed))}", field=sorted(unknown)[0])
    if "name" in changes:
        changes["name"] = (_text(changes["name"], "name", 200) or "").strip()
        if not changes["name"]:
            raise InvalidInput("is required", field="name")
        taken = session.execute(text("SELECT id FROM units WHERE name = :n AND region_code IS NOT DISTINCT FROM :r "
                                     "AND id <> :i"), {"n": changes["name"], "r": current["region_code"],
                                                       "i": uid}).scalar()
        if taken:
            raise Conflict(f"unit {changes['name']!r} already exists (id {taken})", field="name")
    if "kind" in changes and changes["kind"] not in UNIT_KINDS:
        raise InvalidInput(f"must be one of {', '.join(UNIT_KINDS)}", field="kind")
    if changes.get("credit_code") and not CREDIT_CODE.match(changes["credit_code"]):
        raise InvalidInput("not a unified social credit code (18 characters)", field="credit_code")
    if "phone" in changes:
        changes["phone"] = _phone(changes["phone"])
    if "active" in changes and not isinstance(changes["active"], bool):
        raise InvalidInput("must be true or false", field="active")
    if changes.get("head_person_id") is not None:
        head = session.execute(text("SELECT region_code FROM people WHERE id = :i AND active"),
                               {"i": changes["head_person_id"]}).one_or_none()
        if head is None or not caller.covers(head.region_code):
            raise InvalidInput(f"no active person {changes['head_person_id']} in your region", field="head_person_id")
    if changes:
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        session.execute(text(f"UPDATE units SET {sets} WHERE id = :id"), {**changes, "id": uid})
        record(session, caller.actor, "update", "units", uid, {k: v for k, v in changes.items() if k != "phone"})


# --- people -----------------------------------------------------------------------------------------------
def _redact(row: dict[str, Any], with_contact: bool) -> dict[str, Any]:
    if not with_contact:
        row.pop("phone", None)
    return row


def create_person(
    session: Session,
    *,
    name: str,
    phone: str | None = None,
    unit_id: int | None = None,
    title: str | None = None,
    region_code: str | None = None,
    reports_to_id: int | None = None,
    caller: Caller,
) -> int:
    name = (_text(name, "name") or "").strip()
    if not name:
        raise InvalidInput("is required", field="name")
    title = _text(title, "title")
    phone = _phone(phone)
    region_code = region_code or caller.scope
    if not caller.covers(region_code):
        raise InvalidInput(f"region {region_code} is outside your region {caller.scope}", field="region_code")
    _check_region(session, region_code)
    if unit_id is not None:
        _visible_unit(session, unit_id, caller)
    if reports_to_id is not None:
        _visible_person(session, reports_to_id, caller, "reports_to_id")
    _check_phone_free(session, phone, caller)
    # A number taken by a concurrent request since the check is refused the same way, not as a database error.
    pid = session.execute(
        text(
            "INSERT INTO people (name, phone, unit_id, title, region_code, reports_to_id) "
            "VALUES (:n, :p, :u, :t, :r, :b) ON CONFLICT (phone) WHERE phone IS NOT NULL DO NOTHING RETURNING id"
        ),
        {"n": name, "p": phone, "u": unit_id, "t": title, "r": region_code, "b": reports_to_id},
    ).scalar()
    if pid is None:
        raise InvalidInput("this phone number cannot be used", field="phone")
    record(session, caller.actor, "create", "people", pid, {"name": name})
    return pid


def get_person(session: Session, pid: int, *, caller: Caller, with_contact: bool = False) -> dict:
    row = session.execute(text(load(__file__, "person")), {"i": pid, "s": caller.scope}).mappings()
    row = row.one_or_none()
    if row is None or not caller.covers(row["region_code"]):
        raise NotFound(f"person {pid} not found", field="id")
    return _redact(dict(row), with_contact)


def list_people(
    session: Session,
    *,
    caller: Caller,
    with_contact: bool = False,
    q: str | None = None,
    phone: str | None = None,
    unit_id: int | None = None,
    region: str | None = None,
    active: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """People of the caller's region. Searching by phone is for those who see phones: for anyone else it would
    tell whose number is whose."""
    if phone and not with_contact:
        raise Forbidden("searching by phone number is for roles that manage people", field="phone")
    digits = re.sub(r"[^0-9]", "", phone or "") or None
    if phone and digits is None:
        raise InvalidInput("not a phone number", field="phone")
    rows = session.execute(
        text(load(__file__, "people_list")),
        {"s": caller.scope, "q": q, "ph": digits, "u": unit_id, "r": region, "a": active, "l": limit, "o": offset},
    ).mappings()
    return [_redact(dict(r), with_contact) for r in rows]


def update_person(session: Session, pid: int, changes: dict[str, Any], *, caller: Caller) -> None:
    get_person(session, pid, caller=caller)
    allowed = {"name", "phone", "unit_id", "title", "active", "reports_to_id"}
    unknown = set(changes) - allowed
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(f"cannot be changed; changeable: {', '.join(sorted(allowed))}", field=field)
    for key in ("name", "title"):
        if key in changes:
            changes[key] = _text(changes[key], key)
    if "phone" in changes:
        changes["phone"] = _phone(changes["phone"])
        _check_phone_free(session, changes["phone"], caller, except_id=pid)
    if changes.get("unit_id") is not None:
        _visible_unit(session, changes["unit_id"], caller)
    if changes.get("reports_to_id") is not None and changes["reports_to_id"] != pid:
        _visible_person(session, changes["reports_to_id"], caller, "reports_to_id")
    if "name" in changes and not str(changes["name"] or "").strip():
        raise InvalidInput("is required", field="name")
    if changes.get("reports_to_id") == pid:
        raise InvalidInput("a person cannot report to themself", field="reports_to_id")
    if changes:
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        session.execute(text(f"UPDATE people SET {sets} WHERE id = :id"), {**changes, "id": pid})
        record(session, caller.actor, "update", "people", pid, {k: v for k, v in changes.items() if k != "phone"})


def find_or_create_person(
    session: Session, *, name: str, phone: str | None, unit_name: str | None, caller: Caller
) -> int:
    """A roster row's person among the caller's people: matched by phone, else by name within the unit; created
    when new (a phone held outside the caller's region is refused by create_person without saying by whom)."""
    phone = _phone(phone)
    unit_id = None
    if unit_name:
        unit_id = unit_by_name(session, unit_name, caller) or create_unit(session, name=unit_name, caller=caller)
    mine = "(CAST(:s AS text) IS NULL OR region_code LIKE :s || '%')"
    if phone:
        pid = session.execute(text(f"SELECT id FROM people WHERE phone = :p AND {mine}"),
                              {"p": phone, "s": caller.scope}).scalar()
        if pid:
            return pid
    pid = session.execute(
        text(f"SELECT min(id) FROM people WHERE name = :n AND unit_id IS NOT DISTINCT FROM :u AND {mine}"),
        {"n": name, "u": unit_id, "s": caller.scope},
    ).scalar()
    return pid or create_person(session, name=name, phone=phone, unit_id=unit_id, caller=caller)
