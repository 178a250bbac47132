"""What every page route needs: who is looking (or the redirect to /login or /password instead), and the answer
that renders a template for them. Page routers stay thin: gate, ask a layers/ service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import ANONYMOUS, Principal, clear_session_cookies, principal_of, refresh_csrf_cookie, session_of
from gis.errors import CcgridError
from layers.access import sessions as web_sessions
from maps.templating import PageUser, render

# Pages are built per request and name the user: never cache them.
NO_STORE = {"Cache-Control": "no-store"}


def page_principal(request: Request) -> Principal | None:
    try:
        principal = principal_of(request)
    except CcgridError:
        return None  # an expired or revoked session: log in again
    if principal.must_change_password:
        return principal  # the page sends it to /password first
    return None if principal is ANONYMOUS or not principal.can("read") else principal


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if session_of(request):  # a dead session: stop the browser sending it (each one counts as a failed credential)
        clear_session_cookies(response)
    return response


def gate(request: Request) -> tuple[Principal | None, Response | None]:
    """The page's principal, or the answer instead of the page: to the login form, or to /password first."""
    p = page_principal(request)
    if p is None:
        return None, to_login(request)
    if p.must_change_password:
        return None, RedirectResponse(f"/password?next={quote(request.url.path)}", status_code=303)
    return p, None


def page_user(request: Request, p: Principal) -> PageUser:
    session_id = session_of(request)
    account = p.account
    return PageUser(
        name=account.display_name if account else (p.label or p.role),
        role=p.role, region_code=p.region_code,
        permissions=p.caller.permissions,  # the services' own answer (none until a reset password is changed)
        is_account=account is not None, person_id=p.person_id,
        # Only an account's session writes from a page (a token's session is read-only).
        csrf_token=web_sessions.csrf_token(session_id) if account and session_id else "")


def html(body: str, request: Request, p: Principal, status: int = 200) -> HTMLResponse:
    response = HTMLResponse(body, status_code=status, headers=NO_STORE)
    refresh_csrf_cookie(response, request, p)
    return response


def page(request: Request, p: Principal, template: str, *, active: str, status: int = 200,
         **context: Any) -> HTMLResponse:
    """Render `template` (it extends base.html) for the principal, with the top bar's `active` link."""
    return html(render(template, user=page_user(request, p), active=active, **context), request, p, status)


def not_found(request: Request, p: Principal, message: str) -> HTMLResponse:
    return page(request, p, "error.html", active="", status=404, title="未找到", message=message)
