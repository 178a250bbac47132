"""Tokens, accounts, roles and region scope: one dependency decides access for every router.

A token (or an account) carries a role and optionally a region code. The region code is a prefix: a token for
411421001 sees and changes only what lies in that 街道. Only the SHA-256 of a token is stored.

Who sends a request: the bearer header, else the session cookie, else nobody. A session opened with a token (the
old token login) is honoured for reading only; one opened by an account's login may also write, with the
session's CSRF token in the header X-CSRF-Token (or the form field csrf_token), which no other site can know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api import observe
from api.deps import engine_of
from gis.db import autocommit
from gis.errors import Forbidden, TooManyRequests, Unauthorized
from gis.settings import get_settings
from layers.access import roles, throttle, tokens, users
from layers.access import sessions as web_sessions
from layers.access.caller import SYSTEM, Caller
from maps.settings import get_map_settings

# What each role may do, and which roles need a region: one copy, in layers/access/roles.py. Owner roles of the
# street-chief system (路长, 网格员 …) are data; these are access roles.
PERMISSIONS = roles.PERMISSIONS
SCOPED_ROLES = roles.SCOPED_ROLES


@dataclass(frozen=True)
class Principal:
    role: str
    region_code: str | None
    token_id: int | None
    label: str = ""
    account: users.AccountSession | None = None  # set for a person logged in with an account's password

    @property
    def actor(self) -> str:
        if self.account is not None:
            return self.account.caller.actor  # user:<id> (<display name>): audit rows name the account
        return f"token:{self.token_id}" + (f" ({self.label})" if self.label else "")

    @property
    def person_id(self) -> int | None:
        """The person an account is linked to ("my" places and tasks); None for a token or an unlinked account."""
        return self.account.person_id if self.account is not None else None

    @property
    def must_change_password(self) -> bool:
        return self.account is not None and self.account.must_change_password

    def can(self, permission: str) -> bool:
        if self.account is not None:
            return self.account.caller.can(permission)  # nothing until a reset password is changed
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def caller(self) -> Caller:
        """The services' view of this principal (layers never see tokens or requests)."""
        if self.account is not None:
            return self.account.caller
        return Caller(actor=self.actor, scope=self.region_code, role=self.role, token_id=self.token_id,
                      permissions=frozenset(PERMISSIONS.get(self.role, frozenset())))

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
    """A token issued by the operator (the CLI, the demo, tests): the same checks and audit row as the API's."""
    return tokens.issue(session, SYSTEM, role=role, region_code=region_code, label=label, days=days)[1]


def list_tokens(session: Session) -> list[dict[str, Any]]:
    return tokens.list_all(session)


def revoke_token(session: Session, token_id: int) -> None:
    tokens.revoke_for(session, SYSTEM, token_id)


def client_address() -> str | None:
    """The client's address as the request log has it (a trusted proxy's X-Forwarded-For already applied)."""
    info = observe.current()
    return info.client if info is not None else None


def failure_limits(account: str | None = None) -> dict[str, int]:
    """The throttle's keys for this request: its client address, and the account tried when there is one."""
    settings = get_settings()
    address = client_address()
    limits = {}
    if address:
        limits[f"ip:{address}"] = settings.auth_failures_per_ip
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
    if info is not None:  # the request log names the caller by role and token or account id, nothing personal
        who = f"user:{principal.account.user_id}" if principal.account else f"token:{principal.token_id}"
        info.role, info.caller = principal.role, who
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
    """The principal of a map-page session (the cookie): the account's, for a session opened by a password login,
    else the token's; unknown, revoked, idle or expired sessions (and disabled accounts) are 401."""
    row = web_sessions.resolve(session, session_id, idle_s=get_settings().session_idle_minutes * 60)
    if row is None:
        raise refuse(Unauthorized("session expired or logged out: log in again at /login"))
    if row["user_id"] is not None:
        account = users.account_session(row)
        return _noted(Principal(role=account.role, region_code=account.region_code, token_id=None,
                                label=account.display_name, account=account))
    return _noted(Principal(role=row["role"], region_code=row["region_code"], token_id=row["token_id"],
                            label=row["label"]))


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


SESSION_COOKIE = "ccgrid_session"
CSRF_COOKIE = "ccgrid_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
# A cross-site form can make a browser send the cookie, so a session alone authorises reading only. An account's
# session also writes, with its CSRF token in a header or form field (which another site cannot know); a token's
# session stays read-only (writes with a token need the bearer header).
COOKIE_METHODS = {"GET", "HEAD"}
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def session_of(request: Request) -> str | None:
    """The map-page session id in the cookie (a random id, not a token)."""
    return request.cookies.get(SESSION_COOKIE) or None


def principal_of(request: Request, csrf: str | None = None) -> Principal:
    """Who sends this request: the bearer header, else the map-page session, else anonymous. A write through the
    session must be an account's and carry the session's CSRF token (`csrf`: the header or form field), else 403."""
    token = _bearer(request)
    if token is not None:
        with autocommit(engine_of(request)) as conn:
            return principal_for(conn, token)
    session_id = session_of(request)
    if session_id is None:
        return ANONYMOUS
    with autocommit(engine_of(request)) as conn:
        principal = principal_for_session(conn, session_id)
    if request.method in COOKIE_METHODS:
        return principal
    if principal.account is None:
        return ANONYMOUS  # a token's session never writes: send the bearer header
    web_sessions.require_csrf(session_id, csrf)
    return principal


async def csrf_presented(request: Request) -> str | None:
    """The CSRF token a write presents: the X-CSRF-Token header, else a form's csrf_token field (read only when a
    session cookie and no bearer header could make it matter; the route reads the same parsed form)."""
    header = request.headers.get(CSRF_HEADER)
    if header is not None or request.method in COOKIE_METHODS or _bearer(request) or not session_of(request):
        return header
    if not request.headers.get("content-type", "").startswith(FORMS):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


# Declared so that OpenAPI names the scheme and Swagger UI's "Authorize" sends the header; the header is read above.
BEARER_SCHEME = HTTPBearer(auto_error=False, scheme_name="bearer",
                           description="API token (`ccgrid token create`, starts with ccg_)")


async def current_principal(request: Request, _: Any = Security(BEARER_SCHEME)) -> Principal:
    csrf = await csrf_presented(request)
    return await run_in_threadpool(principal_of, request, csrf)


def _refused(principal: Principal, permission: str) -> Unauthorized | Forbidden:
    if principal is ANONYMOUS:
        return Unauthorized("authentication required: send 'Authorization: Bearer <token>' or log in at /login")
    if principal.must_change_password:
        return Forbidden("change your password first (POST /api/v1/me/password)", field="password")
    return Forbidden(f"role {principal.role} may not {permission.replace('_', ' ')}")


def require(permission: str):
    """Dependency: the caller must hold `permission`; anonymous callers get 401, others 403."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:  # no I/O: no thread
        if principal.can(permission):
            return principal
        raise _refused(principal, permission)

    return dependency


async def signed_in(principal: Principal = Depends(current_principal)) -> Principal:
    """Dependency: any caller with credentials (a token of any role, or an account, even one that must change its
    password); anonymous callers get 401."""
    if principal is ANONYMOUS:
        raise _refused(principal, "read")
    return principal


async def account_holder(principal: Principal = Depends(signed_in)) -> Principal:
    """Dependency: a person logged in with an account (a token has no password to change): else 403."""
    if principal.account is None:
        raise Forbidden("only an account logged in with a password has one to change (log in at /login)")
    return principal


# --- the cookies ---------------------------------------------------------------------------------------------
def _secure(request: Request) -> bool:
    return get_map_settings().cookie_secure or request.url.scheme == "https"


def set_csrf_cookie(response: Response, request: Request, session_id: str) -> None:
    """The session's CSRF token, for the pages' scripts to send back as X-CSRF-Token (it reveals nothing of the
    session id, so scripts may read it)."""
    response.set_cookie(CSRF_COOKIE, web_sessions.csrf_token(session_id),
                        max_age=get_settings().session_hours * 3600, httponly=False, samesite="lax",
                        secure=_secure(request), path="/")


def refresh_csrf_cookie(response: Response, request: Request, principal: Principal) -> None:
    """Hand the CSRF cookie out again when the browser lost it (or holds another session's)."""
    session_id = session_of(request)
    if principal.account is None or session_id is None or _bearer(request):
        return
    if request.cookies.get(CSRF_COOKIE) != web_sessions.csrf_token(session_id):
        set_csrf_cookie(response, request, session_id)


def set_session_cookies(response: Response, request: Request, session_id: str, *, account: bool) -> None:
    """The session cookie (HttpOnly); an account's session is SameSite=Lax (a link from a chat message to a page
    arrives logged in; writes need the CSRF token) and gets its CSRF cookie, a token's stays Strict."""
    response.set_cookie(SESSION_COOKIE, session_id, max_age=get_settings().session_hours * 3600, httponly=True,
                        samesite="lax" if account else "strict", secure=_secure(request), path="/")
    if account:
        set_csrf_cookie(response, request, session_id)


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
