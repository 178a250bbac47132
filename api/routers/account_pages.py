"""The accounts page (/maps/accounts): accounts and, for admins, machine tokens. The page only shows; every
change it makes goes through the JSON API (/api/v1/users…, /api/v1/tokens…) with the session's CSRF token, so the
rank and region rules are the services' (layers/access/users.py, tokens.py) and nowhere else."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import DbSession
from api.page_kit import gate, not_found, page
from gis.errors import CcgridError, NotFound
from gis.settings import get_settings
from layers.access import choices, roles, tokens, users

router = APIRouter(include_in_schema=False)
ACTIVE = "/maps/accounts"
STATES = {"1": True, "0": False}


def _refused(request: Request, p: Principal) -> HTMLResponse:
    return page(request, p, "error.html", active=ACTIVE, status=403, title="无权访问",
                message="账号管理只对系统管理员和工作人员开放。")


def _common(s: DbSession, p: Principal) -> dict:
    """What both account pages need: the regions the caller may choose and their names, the roles it may give."""
    regions = choices.regions_within(s, p.caller)
    return {"regions": regions, "region_names": {r["code"]: r["name"] for r in regions},
            "level_names": choices.LEVEL_NAMES, "assignable": users.assignable_roles(p.caller)}


@router.get("/maps/accounts", response_class=HTMLResponse)
def account_list(s: DbSession, request: Request, q: str = "", role: str = "", region: str = "",
                 active: str = "") -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    if not p.can("manage_people"):
        return _refused(request, p)
    error = None
    filters = {"q": q.strip()[:100], "role": role if role in roles.PERMISSIONS else "", "region": region.strip()[:12],
               "active": active if active in STATES else ""}
    try:
        rows = users.list_users(s, p.caller, active=STATES.get(filters["active"]), q=filters["q"] or None,
                                role=filters["role"] or None, region=filters["region"] or None)
    except CcgridError as exc:  # a region outside the caller's: say so, list nothing
        rows, error = [], exc.message
    for row in rows:
        row["manageable"] = users.may_manage(p.caller, row)
    token_rows = tokens.listed(s, p.caller) if p.can("manage_tokens") else None
    return page(request, p, "accounts/list.html", active=ACTIVE, title="账号与令牌", accounts=rows,
                filters=filters, error=error, tokens=token_rows, token_roles=list(roles.PERMISSIONS),
                token_days=get_settings().token_ttl_days,
                me=p.account.user_id if p.account else None, **_common(s, p))


@router.get("/maps/accounts/{login}", response_class=HTMLResponse)
def account_detail(s: DbSession, request: Request, login: str) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    if not p.can("manage_people"):
        return _refused(request, p)
    try:
        account = users.get(s, p.caller, login)
    except NotFound:
        return not_found(request, p, f"没有账号 {login}（或它不在你的区域内）。")
    own = p.account is not None and p.account.user_id == account["id"]
    return page(request, p, "accounts/detail.html", active=ACTIVE, title=f"账号 {account['login']}",
                account=account, manageable=users.may_manage(p.caller, account), own=own, **_common(s, p))
