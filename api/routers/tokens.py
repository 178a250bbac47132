"""Machine tokens (Open311 clients, scripts) over HTTP: admins list, issue and revoke them (`manage_tokens`), inside
their own region when they have one. The secret is in the answer to the POST only; lists never carry it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import DbSession
from layers.access import tokens
from layers.access.schemas import ApiToken, IssuedToken

router = APIRouter(prefix="/api/v1", tags=["tokens"])
MANAGE = "manage_tokens"
MAX_ID = 2**31 - 1  # the id column is 32-bit


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str
    region_code: str | None = Field(None, description="the region (code prefix) the token is limited to")
    label: str = Field("", max_length=200, description="who or what the token is for")
    days: int | None = Field(None, description="lifetime in days (default CCGRID_TOKEN_TTL_DAYS)")


@router.get("/tokens", summary="Machine tokens of the caller's region, newest first (never their secrets)",
            response_model=list[ApiToken])
def list_tokens(s: DbSession, active: bool = False, principal: Principal = Depends(require(MANAGE))) -> list[dict]:
    return tokens.listed(s, principal.caller, active_only=active)


@router.post("/tokens", status_code=201, summary="Issue a machine token (its secret is in this answer only)",
             response_model=IssuedToken)
def issue_token(s: DbSession, body: TokenIn, principal: Principal = Depends(require(MANAGE))) -> dict:
    row, secret = tokens.issue(s, principal.caller, **body.model_dump())
    return {**row, "token": secret}


@router.post("/tokens/{token_id}/revoke", summary="Revoke a token (it and the sessions opened with it stop "
             "working)", response_model=ApiToken)
def revoke_token(s: DbSession, token_id: int = Path(ge=1, le=MAX_ID),
                 principal: Principal = Depends(require(MANAGE))) -> dict:
    return tokens.revoke_for(s, principal.caller, token_id)
