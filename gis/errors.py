"""Errors the engine and the domain raise; the API maps each class to one HTTP status in one place."""

from __future__ import annotations


class CcgridError(Exception):
    """Base: a readable message for a person, optionally naming the field or row at fault."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class InvalidInput(CcgridError):
    status = 422


class NotFound(CcgridError):
    status = 404


class Conflict(CcgridError):
    status = 409


class Forbidden(CcgridError):
    status = 403


class Unauthorized(CcgridError):
    status = 401


class DatabaseUnavailable(CcgridError):
    status = 503


class QueryTooSlow(CcgridError):
    """A statement ran past the statement timeout and was cancelled (the database itself is fine)."""

    status = 503


class TooManyRequests(CcgridError):
    """Too many failed attempts from one address or at one account; try again after `retry_after` seconds."""

    status = 429

    def __init__(self, message: str, *, field: str | None = None, retry_after: int = 60):
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))
