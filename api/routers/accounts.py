"""Accounts: who the caller is, changing one's own password, and the account management of admins and staff (the
service decides who may manage which account: admins every one, staff those of a lower role in their region)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import (
    Principal,
    account_holder,
    client_address,
    refresh_csrf_cookie,
    require,
    set_session_cookies,
    signed_in,
)
from api.deps import DbSession
from gis.errors import InvalidInput
from layers.access import choices, roles, users
from layers.access.schemas import Account, LinkCandidate, Me

router = APIRouter(prefix="/api/v1", tags=["accounts"])
MANAGE = "manage_people"  # admins and staff; the service narrows it down per account


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PasswordChange(_Strict):
    old_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class AccountIn(_Strict):
    login: str = Field(max_length=200, description="a phone number or a chosen name")
    display_name: str = Field(max_length=200)
    role: str
    password: str = Field(max_length=1000, description="its holder must change it at first login unless "
                                                       "must_change_password is false")
    region_code: str | None = None
    person_id: int | None = None
    must_change_password: bool = True


class AccountChange(_Strict):
    """Only the fields sent change; region_code and person_id may be null (no region, no linked person)."""

    display_name: str | None = Field(None, max_length=200)
    role: str | None = None
    region_code: str | None = Field(None, max_length=12)
    person_id: int | None = Field(None, ge=1, le=2**31 - 1)


class PasswordReset(_Strict):
    password: str = Field(max_length=1000, description="the holder must change it at next login")


def _me(s: DbSession, principal: Principal) -> dict:
    permissions = sorted(principal.caller.permissions)
    if principal.account is None:
        return {"kind": "token", "login": None, "display_name": principal.label or principal.role,
                "role": principal.role, "region_code": principal.region_code, "person": None,
                "must_change_password": False, "permissions": permissions}
    row = users.profile(s, principal.caller)
    return {"kind": "account", "login": row["login"], "display_name": row["display_name"], "role": row["role"],
            "region_code": row["region_code"], "person": row["person"],
            "must_change_password": row["must_change_password"], "permissions": permissions}


@router.get("/me", summary="Who the caller is (an account, or a token)", response_model=Me)
def me(s: DbSession, request: Request, response: Response, principal: Principal = Depends(signed_in)) -> dict:
    refresh_csrf_cookie(response, request, principal)  # a browser that lost its CSRF cookie gets it again
    return _me(s, principal)


@router.post("/me/password", summary="Change one's own password (every other session of the account ends)",
             response_model=Me)
def change_password(s: DbSession, body: PasswordChange, request: Request, response: Response,
                    principal: Principal = Depends(account_holder)) -> dict:
    session_id = users.change_password(s, principal.caller, old_password=body.old_password,
                                       new_password=body.new_password, address=client_address())
    set_session_cookies(response, request, session_id, account=True)  # this browser stays logged in
    answer = _me(s, principal)
    return {**answer, "must_change_password": False, "permissions": sorted(roles.permissions(answer["role"]))}


@router.get("/users", summary="Accounts of the caller's region (admins: all)", response_model=list[Account])
def list_accounts(
    s: DbSession,
    active: bool | None = None,
    q: str | None = Query(None, max_length=100, description="part of the login, display name or person's name"),
    role: str | None = Query(None, description="one access role"),
    region: str | None = Query(None, max_length=12, description="accounts inside this region (a code prefix)"),
    principal: Principal = Depends(require(MANAGE)),
) -> list[dict]:
    return users.list_users(s, principal.caller, active=active, q=q, role=role, region=region)


@router.post("/users", status_code=201, summary="Create an account (staff: a lower role, in their region)",
             response_model=Account)
def create_account(s: DbSession, body: AccountIn, principal: Principal = Depends(require(MANAGE))) -> dict:
    return users.create(s, principal.caller, **body.model_dump())


@router.get("/account-candidates", summary="People who may be linked to an account: active, in the region, "
            "without an account yet", response_model=list[LinkCandidate])
def account_candidates(
    s: DbSession,
    region: str | None = Query(None, max_length=12, description="inside this region (a code prefix)"),
    q: str | None = Query(None, max_length=100, description="part of a name"),
    limit: int = Query(50, ge=1, le=500),
    principal: Principal = Depends(require(MANAGE)),
) -> list[dict]:
    return choices.link_candidates(s, principal.caller, region=region, q=q, limit=limit)


@router.get("/users/{login}", summary="One account", response_model=Account)
def get_account(s: DbSession, login: str, principal: Principal = Depends(require(MANAGE))) -> dict:
    return users.get(s, principal.caller, login)


@router.patch("/users/{login}", summary="Change an account's display name, role, region or linked person "
              "(staff: to a lower role, in their region)", response_model=Account)
def update_account(s: DbSession, login: str, body: AccountChange,
                   principal: Principal = Depends(require(MANAGE))) -> dict:
    changes = body.model_dump(exclude_unset=True)
    for key in ("display_name", "role"):
        if key in changes and changes[key] is None:
            raise InvalidInput("may not be null", field=key)
    return users.update(s, principal.caller, login, changes)


@router.post("/users/{login}/password", summary="Reset an account's password (changed at next login; its "
             "sessions end)", response_model=Account)
def reset_password(s: DbSession, login: str, body: PasswordReset,
                   principal: Principal = Depends(require(MANAGE))) -> dict:
    users.reset_password(s, principal.caller, login, body.password)
    return users.get(s, principal.caller, login)


@router.post("/users/{login}/disable", summary="Disable an account (it cannot log in; its sessions end)",
             response_model=Account)
def disable_account(s: DbSession, login: str, principal: Principal = Depends(require(MANAGE))) -> dict:
    users.disable(s, principal.caller, login)
    return users.get(s, principal.caller, login)


@router.post("/users/{login}/enable", summary="Enable a disabled account again", response_model=Account)
def enable_account(s: DbSession, login: str, principal: Principal = Depends(require(MANAGE))) -> dict:
    users.enable(s, principal.caller, login)
    return users.get(s, principal.caller, login)
