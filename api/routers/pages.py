"""The map pages leaders open, their login, and the package's static assets (Leaflet vendored; no CDN)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import (
    Principal,
    account_holder,
    check_not_throttled,
    clear_session_cookies,
    client_address,
    principal_for,
    session_of,
    set_session_cookies,
)
from api.deps import DbSession
from api.page_kit import NO_STORE, gate, page_principal, page_user, to_login
from api.page_kit import html as _html
from gis.errors import CcgridError, TooManyRequests
from gis.settings import get_settings
from gis.times import CITY_TZ
from layers.access import sessions as web_sessions
from layers.access import users
from layers.analytics import headline, page_data
from layers.registry import assignments, people
from maps import pages
from maps.settings import get_map_settings

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(pages.__file__).parent / "static"


@router.get("/maps", response_class=HTMLResponse)
@router.get("/maps/", response_class=HTMLResponse)
def home(s: DbSession, request: Request) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    n = headline.numbers(s, p.region_code)
    today = datetime.now(CITY_TZ).date().isoformat()
    # Each number links to the problem list with the filter that counts it (first reports, the caller's region).
    cards = [
        (f"{n['today']}", "今日新增问题", "件", f"/maps/problems?since={today}"),
        (f"{n['open']}", "未办结问题", "件", "/maps/problems?status=open&sort=due"),
        (f"{n['overdue']}", "已超期", "件，需督办", "/maps/problems?overdue=true&sort=due"),
        (f"{n['closed_30d']}", "近30天销号", "件", "/maps/problems?status=closed&closed_within_days=30"),
        (f"{n['coverage_pct']}%", "责任覆盖率",
         f"缺责任人 {n['missing_owners']} 处，无人负责道路 {n['unowned_street_km']} km", "/maps/coverage"),
        (f"{n['notices_7d']} / {n['talks_7d']} / {n['accountability_7d']}", "近7天 通报 / 约谈 / 问责", "次", None),
    ]
    return _html(pages.home_page(user=page_user(request, p), numbers=cards), request, p)


@router.get("/maps/{page}", response_class=HTMLResponse)
def map_page(s: DbSession, page: str, request: Request) -> Response:
    if page not in pages.PAGES:
        return HTMLResponse("<h1>404</h1>", status_code=404)
    p, instead = gate(request)
    if p is None:
        return instead
    extra = {}
    if page == "owners":  # the side panel's bulk form offers the roles and starts today (the city's day)
        extra = {"roles": people.roles(s), "today": assignments.today(s).isoformat()}
    html = pages.map_page(page, bounds=page_data.bounds(s, p.region_code), user=page_user(request, p),
                          lookups=page_data.lookups(s, p.region_code), settings=get_map_settings(), **extra)
    return _html(html, request, p)


FIELD_ROLES = frozenset({"street_chief", "grid_worker", "inspector"})


def _safe_next(url: str | None, default: str = "/maps/") -> str:
    # Only our own pages: an open redirect would let a phishing link borrow our login.
    ours = url and (url.startswith("/maps") or url == "/m" or url.startswith("/m/")) and "//" not in url
    return url if ours else default


@router.get("/login", response_class=HTMLResponse)
def login_form(next: str | None = None) -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return HTMLResponse(pages.login_page(next_url=_safe_next(next, "")), headers=NO_STORE)


def _form_answer(next_url: str | None, error: str, status: int, *, login: str = "",
                 headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(pages.login_page(next_url=_safe_next(next_url, ""), error=error, login=login),
                        status_code=status, headers={**NO_STORE, **(headers or {})})


def _token_session(s: DbSession, token: str) -> str:
    """The old token login: a read-only session for a token that may read."""
    check_not_throttled()
    principal = principal_for(s, token.strip())
    if not principal.can("read"):
        raise PermissionError("该令牌无权查看地图")
    # The cookie carries a random session id, never the token: logout revokes it here, on the server.
    return web_sessions.open_session(s, token_id=principal.token_id, hours=get_settings().session_hours)


@router.post("/login")
def login(s: DbSession, request: Request,
          login: str | None = Form(None, max_length=200), password: str | None = Form(None, max_length=1000),
          token: str | None = Form(None, max_length=200), next: str | None = Form(None)) -> Response:  # noqa: A002
    """An account's login and password (a session that may write, with the CSRF token), or a token (read-only)."""
    by_account = bool(login or password)
    if not by_account and not token:
        return _form_answer(next, "请输入账号和密码", 422)
    forced = False
    try:
        if by_account:
            done = users.authenticate(s, login or "", password or "", client_address())
            session_id, forced = done.session_id, done.must_change_password
        else:
            session_id = _token_session(s, token or "")
    except PermissionError as exc:
        s.rollback()
        return _form_answer(next, str(exc), 403)
    except TooManyRequests as exc:
        s.rollback()  # answered, not raised: the request's transaction would commit what was done so far
        return _form_answer(next, f"失败次数过多，请 {exc.retry_after} 秒后再试", 429, login=login or "",
                            headers={"Retry-After": str(exc.retry_after)})
    except CcgridError:
        s.rollback()
        # One answer for an unknown login, a wrong password and a disabled account.
        return _form_answer(next, "账号或密码错误" if by_account else "令牌无效、已过期或已吊销", 401,
                            login=login or "")
    # Without a page to return to, people in the street land on the field app, the office on the workbench.
    role = done.user["role"] if by_account else None
    home = "/m/points" if role == "inspector" else "/m/" if role in FIELD_ROLES else "/maps/"
    target = f"/password?next={quote(_safe_next(next, home))}" if forced else _safe_next(next, home)
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(response, request, session_id, account=by_account)
    return response


def _logout(s: DbSession, request: Request) -> Response:
    session_id = session_of(request)
    if session_id:
        users.logout(s, session_id)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookies(response)
    return response


@router.post("/logout")
def logout(s: DbSession, request: Request) -> Response:
    """Log out: an account's every session ends (other browsers and devices too), a token's session alone."""
    return _logout(s, request)


@router.get("/logout")
def logout_link(s: DbSession, request: Request) -> Response:
    """Kept for old links and bookmarks: the same as POST /logout."""
    return _logout(s, request)


@router.get("/password", response_class=HTMLResponse)
def password_form(request: Request, next: str | None = None) -> Response:  # noqa: A002
    p = page_principal(request)
    session_id = session_of(request)
    if p is None or p.account is None or session_id is None:
        return to_login(request)
    html = pages.password_page(next_url=_safe_next(next), csrf_token=web_sessions.csrf_token(session_id),
                               forced=p.must_change_password)
    return _html(html, request, p)


@router.post("/password")
def change_password(s: DbSession, request: Request, p: Principal = Depends(account_holder),
                    old_password: str = Form(..., max_length=1000), new_password: str = Form(..., max_length=1000),
                    next: str | None = Form(None)) -> Response:  # noqa: A002
    """The password form (the CSRF field checked with the session, as for every cookie write)."""
    try:
        session_id = users.change_password(s, p.caller, old_password=old_password, new_password=new_password,
                                           address=client_address())
    except CcgridError as exc:
        s.rollback()
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        html = pages.password_page(next_url=_safe_next(next), csrf_token=web_sessions.csrf_token(session_of(request)
                                   or ""), error=str(exc), forced=p.must_change_password)
        return HTMLResponse(html, status_code=exc.status, headers={**NO_STORE, **(headers or {})})
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookies(response, request, session_id, account=True)
    return response
