"""FastAPI factory. Domain errors map to HTTP status codes here, once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.middleware.gzip import GZipMiddleware

from api.observe import ERRORS as ERROR_LOG
from api.observe import RequestLog, configure_logging
from api.responses import ERRORS
from api.routers import (
    account_pages,
    accounts,
    analytics,
    dispatch_pages,
    dispatches,
    escalation_pages,
    features,
    field_pages,
    health,
    inspections,
    ledgers,
    mine,
    notice_pages,
    notices,
    ogc,
    open311,
    owner_tool_pages,
    owners,
    pages,
    people_pages,
    place_pages,
    problem_exports,
    problem_list_pages,
    problem_pages,
    problems,
    round_pages,
    rounds,
    rules,
    rules_pages,
    screen_pages,
    tiles,
    tokens,
)
from gis.db import database_error, get_engine
from gis.errors import CcgridError
from gis.settings import Settings, get_settings
from maps.pages import STATIC as STATIC_URL

VENDOR = f"{STATIC_URL}/vendor"


def _error(status: int, message: str, field: str | None = None, *, retry_after: int | None = None,
           **extra) -> JSONResponse:
    body = {"detail": message, **({"field": field} if field else {}), **extra}
    if retry_after is None and status in (429, 503):
        retry_after = 5
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


def _add_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from the package (FastAPI's defaults load them from a CDN: blank pages offline)."""

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} · API",
                                   swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
                                   swagger_ui_parameters={"persistAuthorization": False})

    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} · API",
                              redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
                              redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png", with_google_fonts=False)

    app.add_api_route("/docs", docs, include_in_schema=False)
    app.add_api_route("/redoc", redoc, include_in_schema=False)


def _lifespan(settings: Settings | None, engine: Engine | None):
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The engine routes get through api.deps.DbSession; settings are read now, not when the app was built (a
        # test collects the app before it points CCGRID_DATABASE_URL at its database).
        app.state.engine = engine or get_engine(settings)
        yield

    return lifespan


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CcgridError)
    async def _domain(_: Request, exc: CcgridError) -> JSONResponse:
        extra = {}
        rejections = getattr(exc, "rejections", None)
        if rejections:
            extra["rejected"] = [{"row": r.row, "field": r.field, "reason": r.reason} for r in rejections[:100]]
        if exc.status >= 500:
            ERROR_LOG.error("server error %s", exc.status, exc_info=exc)
        return _error(exc.status, str(exc), exc.field, retry_after=getattr(exc, "retry_after", None), **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        return _error(
            422,
            f"{field or 'request'}: {first.get('msg', 'invalid')}",
            field,
            errors=[{k: e.get(k) for k in ("loc", "msg", "type")} for e in exc.errors()],
        )

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:  # raised outside gis.db.transaction
        error = database_error(exc)
        ERROR_LOG.error("server error %s", error.status, exc_info=exc)
        return _error(error.status, error.message)

    @app.exception_handler(DataError)
    async def _bad_value(_: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold (an id beyond 32 bits, a malformed date) is the client's error.
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else "invalid value"
        return _error(422, f"a value in the request cannot be stored: {first}")

    @app.exception_handler(UnicodeEncodeError)
    async def _unpaired_surrogate(_: Request, exc: UnicodeEncodeError) -> JSONResponse:
        # JSON may carry "\ud800" (half of a UTF-16 pair); Python takes it as text, but no database or hash can
        # encode it. It reaches here from whatever stored or hashed the text, after the request's rollback.
        return _error(422, "text in the request holds an unpaired UTF-16 surrogate (e.g. \\ud800); send valid "
                           "Unicode")

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else "conflict"
        return _error(409, f"the change conflicts with existing data: {first}")


# `pages` last: its /maps/{page} would take the workbench's /maps/<name> paths; workbench page routers go before it.
ROUTERS = (health, accounts, mine, tokens, features, owners, problem_exports, problems, ledgers, inspections, analytics,
           rules, rounds, notices, dispatches, tiles, ogc, open311, account_pages, problem_list_pages, problem_pages,
           people_pages, place_pages, owner_tool_pages, field_pages, escalation_pages, notice_pages, dispatch_pages,
           rules_pages, round_pages, screen_pages, pages)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app. `settings` (default: the environment's) and `engine` (default: one for those settings) let a caller
    (a test) point it at another database or limit without touching the environment."""
    app = FastAPI(
        title="ccgrid 创城网格",
        version="0.1.0",
        description="GIS service for the civilized-city campaign: grid, street chiefs, problems, maps.",
        # Counted as the body streams in (a chunked body has no length to check), by the framework: an HTTP
        # middleware of our own cost ~1 ms on every request (bench/RESULTS.md, intake).
        max_body_size=(settings or get_settings()).max_body_bytes,
        responses=ERRORS,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings, engine),
    )
    configure_logging()
    # Outermost of ours: every request gets an id (X-Request-ID) and one log line, whatever happens inside.
    app.add_middleware(RequestLog)
    _add_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    # Scripts and styles go compressed (Leaflet is 150 KB raw, ~45 KB gzipped): a phone on a weak link waits for
    # them on its first visit. Only here: API answers and tiles keep their own encoding.
    app.mount(STATIC_URL, GZipMiddleware(StaticFiles(directory=pages.STATIC_DIR), minimum_size=1024),
              name="static")
    app.add_api_route("/", lambda: RedirectResponse("/maps/"), include_in_schema=False)
    _add_docs(app)
    return app
