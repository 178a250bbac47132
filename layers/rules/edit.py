"""The one service over every rule table: list, read (with what uses the row), create, update, retire, delete.

Statements are composed from the table's spec (identifiers from `tables.py` only, values bound). A write locks the
row it changes, checks the row as a whole, and records one audit line with the row before and after; a row that
something uses is refused deletion (409, naming what uses it) and can only be retired. Rule tables are city-wide:
a caller with a region is refused (the router already asks for `manage_rules`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.sql import load
from layers.access.caller import Caller
from layers.common.audit import record
from layers.rules.references import options
from layers.rules.spec import Table
from layers.rules.tables import TABLES

Row = dict[str, Any]
USAGE_CAP = 1000  # usage_*.sql count reports up to this many


def table(name: str) -> Table:
    spec = TABLES.get(name)
    if spec is None:
        raise NotFound(f"no rule table {name!r}; tables: {', '.join(TABLES)}")
    return spec


def describe() -> list[dict[str, Any]]:
    """The tables and their columns, for a client to build its forms from."""
    return [{"name": t.name, "table": t.table, "what": t.what, "key": list(t.key), "serial": t.serial,
             "creatable": t.creatable, "deletable": t.deletable, "retire_column": t.retire_column,
             "columns": [{"name": c.name, "kind": c.kind, "nullable": c.nullable, "required": c.required,
                          "key": c.key, "choices": list(c.choices) or None, "ref": c.ref, "low": c.low,
                          "high": c.high, "max_length": c.max_length if c.kind in ("text", "longtext", "code")
                          else None} for c in t.columns]} for t in TABLES.values()]


def _plain(row: Any) -> Row:
    """A row as JSON carries it: numeric columns (checklist weights) as int or float, not Decimal."""
    out = dict(row)
    for k, v in out.items():
        if isinstance(v, Decimal):
            out[k] = int(v) if v == v.to_integral_value() else float(v)
    return out


def _where(spec: Table) -> str:
    return " AND ".join(f"{k} = :{k}" for k in spec.key)


def rows(session: Session, name: str, **equals: Any) -> list[Row]:
    """Every row, in the table's order; `equals` (column=value, None ignored) narrows the list."""
    spec = table(name)
    given = {k: spec.column(k).clean(v) for k, v in equals.items() if v is not None}
    where = " AND ".join(f"{k} = :{k}" for k in given) or "true"
    found = session.execute(text(f"SELECT {', '.join(spec.names)} FROM {spec.table} WHERE {where} "
                                 f"ORDER BY {spec.order}"), given).mappings()
    return [_plain(r) for r in found]


def _locked(session: Session, spec: Table, key: dict[str, Any]) -> Row:
    found = session.execute(text(f"SELECT {', '.join(spec.names)} FROM {spec.table} WHERE {_where(spec)} "
                                 "FOR UPDATE"), key).mappings().first()
    if found is None:
        raise NotFound(f"no {spec.what} {':'.join(str(v) for v in key.values())}")
    return _plain(found)


def usage(session: Session, spec: Table, key: dict[str, Any]) -> list[dict[str, Any]]:
    """What uses the row: [{what, n}] with n > 0 (reports counted up to USAGE_CAP)."""
    if spec.usage is None:
        return []
    found = session.execute(text(load(__file__, spec.usage)), key).mappings()
    return [{"what": r["what"], "n": r["n"]} for r in found if r["n"]]


def get(session: Session, name: str, key: str) -> Row:
    """One row (`row`) and `in_use`: what names it (empty: it may be deleted)."""
    spec = table(name)
    k = spec.parse_key(key)
    found = session.execute(text(f"SELECT {', '.join(spec.names)} FROM {spec.table} WHERE {_where(spec)}"),
                            k).mappings().first()
    if found is None:
        raise NotFound(f"no {spec.what} {key}")
    return {"row": _plain(found), "in_use": usage(session, spec, k)}


def city_wide(caller: Caller) -> None:
    if caller.scope is not None:
        raise Forbidden(f"the rule tables are city-wide; a caller limited to region {caller.scope} may not change "
                        "them")


def _cleaned(spec: Table, values: dict[str, Any], *, creating: bool) -> Row:
    if not isinstance(values, dict):
        raise InvalidInput("send the fields as a JSON object")
    out = {}
    for name, value in values.items():
        column = spec.column(name)
        if column.key and spec.serial:
            raise InvalidInput(f"the database numbers each {spec.what}: leave {name} out", field=name)
        if column.key and not creating:
            raise InvalidInput(f"the key of a {spec.what} cannot be changed; create a new one and retire this",
                               field=name)
        out[name] = column.clean(value)
    return out


def _check_references(session: Session, spec: Table, values: Row) -> None:
    for name, value in values.items():
        column = spec.column(name)
        if value is not None and column.ref and value not in options(session, column.ref):
            raise InvalidInput(f"no {column.ref.replace('_', ' ')} {value!r}", field=name)
        if value is not None and column.unique:
            taken = session.execute(text(f"SELECT {', '.join(spec.key)} FROM {spec.table} WHERE {name} = :v"),
                                    {"v": value}).first()
            if taken is not None and tuple(taken) != tuple(values.get(k) for k in spec.key):
                raise Conflict(f"another {spec.what} ({':'.join(map(str, taken))}) already has {name} {value!r}",
                               field=name)


def create(session: Session, name: str, values: dict[str, Any], *, caller: Caller) -> Row:
    spec = table(name)
    city_wide(caller)
    if not spec.creatable:
        raise InvalidInput(f"{spec.name} rows are fixed: change their values")
    given = _cleaned(spec, values, creating=True)
    missing = [c.name for c in spec.columns if c.required and given.get(c.name) is None]
    if missing:
        raise InvalidInput("is required", field=missing[0])
    new = {c.name: given.get(c.name, c.default) for c in spec.columns if not (c.key and spec.serial)}
    if not spec.serial:
        key = {k: new[k] for k in spec.key}
        if session.execute(text(f"SELECT 1 FROM {spec.table} WHERE {_where(spec)}"), key).first():
            raise Conflict(f"{spec.what} {spec.key_of(new)} already exists", field=spec.key[-1])
    _check_references(session, spec, {k: v for k, v in new.items() if k in given or v is not None})
    if spec.check:
        new = spec.check(session, new, None)
    columns = list(new)
    returned = session.execute(
        text(f"INSERT INTO {spec.table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
             f"RETURNING {', '.join(spec.names)}"), new).mappings().one()
    after = _plain(returned)
    record(session, caller.actor, "create", spec.table, spec.key_of(after), {"after": after})
    return after


def update(session: Session, name: str, key: str, values: dict[str, Any], *, caller: Caller) -> Row:
    """Change some columns of a row (a partial update); the key never changes."""
    spec = table(name)
    city_wide(caller)
    k = spec.parse_key(key)
    given = _cleaned(spec, values, creating=False)
    if not given:
        raise InvalidInput(f"nothing to change; fields: {', '.join(c for c in spec.editable if c not in spec.key)}")
    before = _locked(session, spec, k)
    new = {**before, **given}
    # Only what changes is checked against its references: a form sends every field, and a row may keep naming a
    # unit or category retired since (it is history), as long as it is not pointed at one anew.
    _check_references(session, spec, {n: v for n, v in new.items() if n in spec.key or v != before[n]})
    if spec.check:
        new = spec.check(session, new, before)
    changed = [c for c in spec.names if new[c] != before[c]]
    if not changed:
        return before
    sets = ", ".join(f"{c} = :new_{c}" for c in changed)
    session.execute(text(f"UPDATE {spec.table} SET {sets} WHERE {_where(spec)}"),
                    {**k, **{f"new_{c}": new[c] for c in changed}})
    after = _locked(session, spec, k)
    record(session, caller.actor, "update", spec.table, key,
           {"before": before, "after": after, "changed": changed})
    return after


def retire(session: Session, name: str, key: str, *, caller: Caller) -> Row:
    """Take a row out of use (active = false; an exposure kind stops counting); its history keeps naming it."""
    spec = table(name)
    city_wide(caller)
    if spec.retire_column is None:
        raise InvalidInput(f"{spec.name} rows are not retired: change or delete them")
    k = spec.parse_key(key)
    before = _locked(session, spec, k)
    if not before[spec.retire_column]:
        return before
    session.execute(text(f"UPDATE {spec.table} SET {spec.retire_column} = false WHERE {_where(spec)}"), k)
    after = _locked(session, spec, k)
    record(session, caller.actor, "retire", spec.table, key, {"before": before, "after": after})
    return after


def delete(session: Session, name: str, key: str, *, caller: Caller) -> None:
    """Delete a row nothing uses; one in use is refused (409) naming what uses it: retire that one instead."""
    spec = table(name)
    city_wide(caller)
    if not spec.deletable:
        raise InvalidInput(f"{spec.name} rows cannot be deleted: change their values")
    k = spec.parse_key(key)
    before = _locked(session, spec, k)
    used = usage(session, spec, k)
    if used:
        uses = ", ".join(f"{u['what']} ({'≥' if u['n'] >= USAGE_CAP else ''}{u['n']})" for u in used)
        label = f" ({before['name']})" if before.get("name") and "name" not in spec.key else ""
        instead = "retire it instead (已被使用，只能停用)" if spec.retire_column else "it cannot be deleted (已被使用)"
        raise Conflict(f"{spec.what} {key}{label} is in use by {uses}: {instead}", field=spec.key[-1])
    session.execute(text(f"DELETE FROM {spec.table} WHERE {_where(spec)}"), k)
    record(session, caller.actor, "delete", spec.table, key, {"before": before})
