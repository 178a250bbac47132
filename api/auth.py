"""Tokens, roles and region scope: one dependency decides access for every router.

A token carries a role and optionally a region code. The region code is a prefix: a token for 411421001 sees
and changes only what lies in that 街道. Only the SHA-256 of a token is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api import observe
from api.deps import engine_of
from gis.db import autocommit
from gis.errors import Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from gis.settings import get_settings
from layers.access import sessions as web_sessions
from layers.access import throttle, tokens
from layers.access.caller import Caller

# What each role may do. Owner roles of the street-chief system (路长, 网格员 …) are data; these are access roles.
PERMISSIONS: dict[str, set[str]] = {
    "admin": {"read", "report", "handle_problems", "edit_layers", "manage_people", "manage_tokens"},
    "city_office": {"read", "report", "handle_problems", "edit_layers", "manage_people"},
    "district_staff": {"read", "report", "handle_problems", "edit_layers", "manage_people"},
    "subdistrict_staff": {"read", "report", "handle_problems", "edit_layers", "manage_people"},
    "street_chief": {"read", "report", "handle_problems"},
    "grid_worker": {"read", "report", "handle_problems"},
    "inspector": {"read", "report", "handle_problems"},
    "viewer": {"read"},
    "public": {"report"},
}
# Roles that only make sense for one area must be given one.
SCOPED_ROLES = {"district_staff", "subdistrict_staff", "street_chief", "grid_worker"}


@dataclass(frozen=True)
class Principal:
    role: str
    region_code: str | None
    token_id: int | None
    label: str = ""

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}" + (f" ({self.label})" if self.label else "")

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())

    @property
    def caller(self) -> Caller:
        """The services' view of this principal (layers never see tokens or requests)."""
        return Caller(actor=self.actor, scope=self.region_code, role=self.role, token_id=self.token_id,
                      permissions=frozenset(PERMISSIONS.get(self.role, set())))

    @property
    def sees_contacts(self) -> bool:
        """Phone numbers are personal data: only roles that manage people read them."""
        return self.can("manage_people")

    def within(self, region: str | None) -> str | None:
        """The region to work in: the one asked for, which must lie inside the caller's own scope."""
        if not region:
            return self.region_code
        if self.region_code and not region.startswith(self.region_code):
            raise Forbidden(f"region {region} is outside your region {self.region_code}", field="region")
        return region


# No token: nothing but /healthz and Open311 reading (even reporting needs a `public` token, against spam).
ANONYMOUS = Principal(role="anonymous", region_code=None, token_id=None, label="anonymous")


def create_token(
    session: Session, *, role: str, region_code: str | None = None, label: str = "", days: int | None = None
) -> str:
    if role not in PERMISSIONS:
        raise InvalidInput(f"unknown role {role!r}; roles are {', '.join(PERMISSIONS)}", field="role")
    if role in SCOPED_ROLES and not region_code:
        raise InvalidInput(f"role {role} needs a region (--region CODE)", field="region")
    if region_code and not tokens.region_exists(session, region_code):
        raise InvalidInput(f"region {region_code} not found", field="region")
    token = "ccg_" + secrets.token_urlsafe(32)
    ttl = days if days is not None else get_settings().token_ttl_days
    tokens.insert(session, token=token, role=role, region_code=region_code, label=label, days=ttl)
    return token


def list_tokens(session: Session) -> list[dict[str, Any]]:
    return tokens.list_all(session)


def revoke_token(session: Session, token_id: int) -> None:
    if not tokens.revoke(session, token_id):
        raise NotFound(f"no active token with id {token_id}", field="token_id")


def failure_limits(account: str | None = None) -> dict[str, int]:
    """The throttle's keys for this request: its client address, and the account tried when there is one."""
    settings = get_settings()
    info = observe.current()
    limits = {}
    if info is not None and info.client:
        limits[f"ip:{info.client}"] = settings.auth_failures_per_ip
    if account:
        limits[f"account:{account}"] = settings.auth_failures_per_account
    return limits


def refuse(error: Unauthorized, account: str | None = None) -> Unauthorized | TooManyRequests:
    """Count a failed credential; past the limit the answer is 429 (with Retry-After), not another 401."""
    wait = throttle.record_failure(failure_limits(account), get_settings().auth_failure_window_s)
    if wait is None:
        return error
    return TooManyRequests(f"too many failed attempts; try again in {wait} s", retry_after=wait)


def check_not_throttled(account: str | None = None) -> None:
    """Before verifying a guessable secret (a password, next issue; the login form): refuse while blocked."""
    wait = throttle.retry_after(failure_limits(account), get_settings().auth_failure_window_s)
    if wait is not None:
        raise TooManyRequests(f"too many failed attempts; try again in {wait} s", retry_after=wait)


def _noted(principal: Principal) -> Principal:
    info = observe.current()
    if info is not None:  # the request log names the caller by role and token id, nothing personal
        info.role, info.caller = principal.role, f"token:{principal.token_id}"
    return principal


def principal_for(session: Session | Connection, token: str) -> Principal:
    """The principal of an API token. Every failed token (bearer header, Open311 api_key, login form) is counted
    against the client's address here, so throttling cannot be forgotten by a route."""
    row = tokens.lookup(session, token)
    if row is None or row.revoked_at is not None:
        raise refuse(Unauthorized("invalid or revoked token"))
    if row.expires_at is not None and row.expires_at < datetime.now(UTC):
        raise refuse(Unauthorized("token expired"))
    return _noted(Principal(role=row.role, region_code=row.region_code, token_id=row.id, label=row.label))


def principal_for_session(session: Session | Connection, session_id: str) -> Principal:
    """The principal of a map-page session (the cookie); unknown, revoked, idle or expired sessions are 401."""
    row = web_sessions.resolve(session, session_id, idle_s=get_settings().session_idle_minutes * 60)
    if row is None:
        raise refuse(Unauthorized("session expired or logged out: log in again at /login"))
    return _noted(Principal(role=row["role"], region_code=row["region_code"], token_id=row["token_id"],
                            label=row["label"]))


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


SESSION_COOKIE = "ccgrid_session"
# The session cookie is honoured for reading only: a cross-site form can make a browser send it, so nothing that
# changes data may be authorised by it (writes need the bearer header, which no other site can set).
COOKIE_METHODS = {"GET", "HEAD"}


def session_of(request: Request) -> str | None:
    """The map-page session id in the cookie (a random id, not a token)."""
    return request.cookies.get(SESSION_COOKIE) or None


def principal_of(request: Request) -> Principal:
    """Who sends this request: the bearer header, else (reading only) the map-page session, else anonymous."""
    token = _bearer(request)
    if token is not None:
        with autocommit(engine_of(request)) as conn:
            return principal_for(conn, token)
    session_id = session_of(request) if request.method in COOKIE_METHODS else None
    if session_id is None:
        return ANONYMOUS
    with autocommit(engine_of(request)) as conn:
        return principal_for_session(conn, session_id)


# Declared so that OpenAPI names the scheme and Swagger UI's "Authorize" sends the header; the header is read above.
BEARER_SCHEME = HTTPBearer(auto_error=False, scheme_name="bearer",
                           description="API token (`ccgrid token create`, starts with ccg_)")


def current_principal(request: Request, _: Any = Security(BEARER_SCHEME)) -> Principal:
    return principal_of(request)


def require(permission: str):
    """Dependency: the caller must hold `permission`; anonymous callers get 401, others 403."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:  # no I/O: no thread
        if principal.can(permission):
            return principal
        if principal is ANONYMOUS:
            raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")
        raise Forbidden(f"role {principal.role} may not {permission.replace('_', ' ')}")

    return dependency
