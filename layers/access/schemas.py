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
