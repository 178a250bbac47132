"""The API's answers about accounts and the caller (pydantic). Keys not named here pass through unchanged, as in
layers.spatial.schemas (access may not import it: it sits below)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Account(_Out):
    """An account, never its password hash."""

    id: int
    login: str = Field(description="normalised: NFKC, trimmed, case-folded")
    display_name: str
    role: str
    region_code: str | None = None
    person_id: int | None = None
    person_name: str | None = Field(None, description="the linked person's name")
    active: bool
    must_change_password: bool = Field(description="set by a reset: the holder may do nothing else until changed")
    created_at: datetime
    created_by: str
    last_login_at: datetime | None = None
    password_changed_at: datetime
    disabled_at: datetime | None = None


class PersonRef(_Out):
    id: int
    name: str


class Me(_Out):
    """Who the caller is: an account (logged in with a password) or a token (then login is null and the display
    name is the token's label)."""

    kind: Literal["account", "token"]
    login: str | None = None
    display_name: str
    role: str
    region_code: str | None = None
    person: PersonRef | None = None
    must_change_password: bool = False
    permissions: list[str] = Field(description="what the caller may do now (none until a reset password is changed)")


class LinkCandidate(_Out):
    """A person who may be linked to an account: active, inside the region asked for, without an account."""

    id: int
    name: str
    title: str | None = None
    region_code: str | None = None
    unit_name: str | None = None


class ApiToken(_Out):
    """A machine token as listed: never its secret (only its hash is stored)."""

    id: int
    role: str
    region_code: str | None = None
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    status: Literal["active", "expired", "revoked"]
    issued_by: str | None = Field(None, description="who issued it, from the audit log (None for old tokens)")


class IssuedToken(ApiToken):
    """A token just issued: the only answer that carries its secret."""

    token: str = Field(description="the bearer secret (ccg_…): shown this once, never again")
