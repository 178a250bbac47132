"""The map pages leaders open, their login, and the package's static assets (Leaflet vendored; no CDN)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import ANONYMOUS, SESSION_COOKIE, Principal, check_not_throttled, principal_for, principal_of, session_of
from api.deps import DbSession
from gis.errors import CcgridError, TooManyRequests
from gis.settings import get_settings
from layers.access import sessions as web_sessions
from layers.analytics import headline, page_data
from maps import pages
from maps.settings import get_map_settings

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(pages.__file__).parent / "static"
# Pages are built per request and hold no data (maps.js fetches it), but they name the user: never cache them.
NO_STORE = {"Cache-Control": "no-store"}


def _page_principal(request: Request) -> Principal | None:
    try:
        principal = principal_of(request)
    except CcgridError:
        return None  # an expired or revoked session: log in again
    return None if principal is ANONYMOUS or not principal.can("read") else principal


def _to_login(request: Request) -> RedirectResponse:
    response = RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if session_of(request):  # a dead session: stop the browser sending it (each one counts as a failed credential)
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _who(p: Principal) -> str:
    return f"{p.label or p.role}（{p.region_code or '全市'}）"


@router.get("/maps", response_class=HTMLResponse)
@router.get("/maps/", response_class=HTMLResponse)
def home(s: DbSession, request: Request) -> Response:
    p = _page_principal(request)
    if p is None:
        return _to_login(request)
    n = headline.numbers(s, p.region_code)
    cards = [
        (f"{n['today']}", "今日新增问题", "件"),
        (f"{n['open']}", "未办结问题", "件"),
        (f"{n['overdue']}", "已超期", "件，需督办"),
        (f"{n['closed_30d']}", "近30天销号", "件"),
        (f"{n['coverage_pct']}%", "责任覆盖率",
         f"缺责任人 {n['missing_owners']} 处，无人负责道路 {n['unowned_street_km']} km"),
        (f"{n['notices_7d']} / {n['talks_7d']} / {n['accountability_7d']}", "近7天 通报 / 约谈 / 问责", "次"),
    ]
    return HTMLResponse(pages.home_page(who=_who(p), numbers=cards), headers=NO_STORE)


@router.get("/maps/{page}", response_class=HTMLResponse)
def map_page(s: DbSession, page: str, request: Request) -> Response:
    if page not in pages.PAGES:
        return HTMLResponse("<h1>404</h1>", status_code=404)
    p = _page_principal(request)
    if p is None:
        return _to_login(request)
    html = pages.map_page(page, bounds=page_data.bounds(s, p.region_code), who=_who(p),
                          lookups=page_data.lookups(s, p.region_code), settings=get_map_settings())
    return HTMLResponse(html, headers=NO_STORE)


def _safe_next(url: str | None) -> str:
    # Only our own pages: an open redirect would let a phishing link borrow our login.
    return url if url and url.startswith("/maps") and "//" not in url else "/maps/"


@router.get("/login", response_class=HTMLResponse)
def login_form(next: str | None = None) -> HTMLResponse:  # noqa: A002 - the query parameter's name
    return HTMLResponse(pages.login_page(next_url=_safe_next(next)), headers=NO_STORE)


@router.post("/login")
def login(s: DbSession,
          request: Request, token: str = Form(..., max_length=200), next: str | None = Form(None)) -> Response:  # noqa: A002
    def form(error: str, status: int, headers: dict[str, str] | None = None) -> HTMLResponse:
        return HTMLResponse(pages.login_page(next_url=_safe_next(next), error=error), status_code=status,
                            headers={**NO_STORE, **(headers or {})})

    settings = get_map_settings()
    try:
        check_not_throttled()
        principal = principal_for(s, token.strip())
        if not principal.can("read"):
            return form("该令牌无权查看地图", 403)
        # The cookie carries a random session id, never the token: logout revokes it here, on the server.
        session_id = web_sessions.open_session(s, token_id=principal.token_id, hours=get_settings().session_hours)
    except TooManyRequests as exc:
        s.rollback()  # answered, not raised: the request's transaction would commit what was done so far
        return form(f"失败次数过多，请 {exc.retry_after} 秒后再试", 429, {"Retry-After": str(exc.retry_after)})
    except CcgridError:
        s.rollback()
        return form("令牌无效、已过期或已吊销", 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, max_age=get_settings().session_hours * 3600, httponly=True,
                        samesite="strict", secure=settings.cookie_secure or request.url.scheme == "https", path="/")
    return response


@router.get("/logout")
def logout(s: DbSession, request: Request) -> Response:
    session_id = session_of(request)
    if session_id:
        web_sessions.revoke(s, session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
