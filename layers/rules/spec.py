"""How a rule table is described: its key, its columns and how each value is checked, what uses a row.

A `Table` is data (layers/rules/tables.py holds one per table); `edit.py` does the same five things with each.
Values arrive from JSON (numbers, booleans, text) or a form (text); `Column.clean` turns them into what the column
stores or refuses them naming the column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from gis.errors import InvalidInput, NotFound

CODE = re.compile(r"^[0-9A-Za-z_]{1,32}$")  # codes: letters, digits and _ (a source may be 12345)
KINDS = ("text", "longtext", "code", "int", "number", "bool", "choice", "scalar")  # scalar: text or a number
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _text(name: str, value: Any, *, max_length: int, lines: bool) -> str | None:
    if not isinstance(value, str):
        raise InvalidInput("must be text", field=name)
    value = value.strip()
    if not value:
        return None
    if len(value) > max_length:
        raise InvalidInput(f"at most {max_length} characters", field=name)
    allowed = "\n\t" if lines else ""
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in value):
        raise InvalidInput("may not contain control characters", field=name)
    return value


def _number(name: str, value: Any, *, integer: bool) -> int | float:
    if isinstance(value, str):
        try:
            value = float(value.strip()) if value.strip() else None
        except ValueError:
            raise InvalidInput("must be a number", field=name) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("must be a number", field=name)
    if integer:
        if value != int(value):
            raise InvalidInput("must be a whole number", field=name)
        return int(value)
    return value


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidInput("must be true or false", field=name)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # one of KINDS
    nullable: bool = True  # may be empty (null)
    required: bool = False  # must be given when a row is created
    key: bool = False  # part of the key: given on create (unless the database numbers it), never changed
    choices: tuple[str, ...] = ()
    ref: str | None = None  # the value must be one of layers/rules/references.py's options of this name
    low: float | None = None  # inclusive bounds of a number
    high: float | None = None
    max_length: int = 100
    default: Any = None  # what a new row gets when the column is not given
    unique: bool = False  # no two rows share a value

    def clean(self, value: Any) -> Any:
        """The value as stored, or InvalidInput naming this column."""
        if isinstance(value, str) and not value.strip() and self.kind not in ("text", "longtext", "code", "scalar"):
            value = None
        if value is not None:
            value = self._typed(value)
        if value is None and not self.nullable:
            raise InvalidInput("may not be empty", field=self.name)
        return value

    def _typed(self, value: Any) -> Any:
        if self.kind in ("text", "longtext", "code"):
            value = _text(self.name, value, max_length=self.max_length, lines=self.kind == "longtext")
            if value is not None and self.kind == "code" and not CODE.match(value):
                raise InvalidInput("a code is 1 to 32 letters, digits or _", field=self.name)
            return value
        if self.kind == "bool":
            return _bool(self.name, value)
        if self.kind == "scalar":  # a setting: stored as text, checked by its table's check
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            return _text(self.name, value, max_length=self.max_length, lines=False)
        if self.kind == "choice":
            if value not in self.choices:
                raise InvalidInput(f"must be one of {', '.join(self.choices)}", field=self.name)
            return value
        value = _number(self.name, value, integer=self.kind == "int")
        if self.low is not None and value < self.low:
            raise InvalidInput(f"must be at least {self.low:g}", field=self.name)
        if self.high is not None and value > self.high:
            raise InvalidInput(f"must be at most {self.high:g}", field=self.name)
        return value


# check(session, new row, old row or None) -> the row to store (it may normalise values), or InvalidInput.
Check = Callable[[Session, dict[str, Any], dict[str, Any] | None], dict[str, Any]]


@dataclass(frozen=True)
class Table:
    name: str  # as the API names it: /api/v1/rules/{name}
    table: str  # the SQL table
    what: str  # one row, in words: "category"
    columns: tuple[Column, ...]
    order: str  # ORDER BY of the listing
    serial: bool = False  # the key is an id the database gives
    retire_column: str | None = "active"  # set false to retire; None: rows are not retired
    creatable: bool = True
    deletable: bool = True
    check: Check | None = None
    usage: str | None = None  # sql/<usage>.sql: (what, n) rows naming what uses a row, key columns as parameters

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise InvalidInput(f"{self.name} has no such field; fields: {', '.join(self.editable)}", field=name)

    @property
    def editable(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not (c.key and self.serial))

    def parse_key(self, key: str) -> dict[str, Any]:
        """The key columns of a key as the URL has it: `0101`, `农贸市场`, `42`, or `person:2` for two columns."""
        parts = str(key).split(":") if len(self.key) > 1 else [str(key)]
        if len(parts) != len(self.key):
            raise NotFound(f"no {self.what} {key} (its key is {':'.join(self.key)})")
        try:
            return {name: self.column(name).clean(part) for name, part in zip(self.key, parts, strict=True)}
        except InvalidInput:
            raise NotFound(f"no {self.what} {key}") from None

    def key_of(self, row: dict[str, Any]) -> str:
        return ":".join(str(row[k]) for k in self.key)
