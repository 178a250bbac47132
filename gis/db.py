"""Engine, sessions and the transaction helper. One engine per database URL, created lazily.

The embedded-cluster tooling (gis.cluster) is not imported here at module level: serving never loads it when
CCGRID_DATABASE_URL is set, and `ccgrid serve` sets it (starting the cluster) before the app is imported."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gis.errors import CcgridError, DatabaseUnavailable, QueryTooSlow
from gis.settings import Settings, get_settings


def database_url(settings: Settings | None = None) -> str:
    """CCGRID_DATABASE_URL when set, else the embedded cluster (started on demand)."""
    settings = settings or get_settings()
    if settings.database_url:
        url = settings.database_url
        # Accept plain libpq-style URLs too; we always talk through psycopg 3.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                url = "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return _embedded_url(settings.data_dir.resolve())


@lru_cache(maxsize=4)
def _embedded_url(data_dir: Path) -> str:
    # Started (or found running) once per process: checking on every transaction cost a file lock and a connection.
    # If the cluster stops later, requests fail with 503 and succeed again once it is back on the same port.
    # Imported here, not above: only the CLI, scripts (bench/) and the test fixture reach this.
    from gis.cluster import Cluster

    return Cluster(data_dir).up()


IDLE_PING_S = 10.0


@lru_cache(maxsize=8)
def _engine_for(url: str, statement_timeout_ms: int, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # The most recently used connection first: its prepared statements and kept plans are warm (first-in-first-
        # out rotated every request through every pooled connection, each planning everything anew).
        pool_use_lifo=True,
        connect_args={
            "options": f"-c statement_timeout={statement_timeout_ms} -c timezone=Asia/Shanghai",
            "application_name": "ccgrid",
            "connect_timeout": 5,
        },
    )

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):  # pragma: no cover - trivial
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        # A connection that sat idle may have outlived its server (a restart): ping it before use, and let the
        # pool replace it if it is gone. One in steady use is not pinged: a ping on every checkout was a round trip
        # on every request (two per report taken). A failure on a busy connection is a 503, and the pool then
        # replaces every connection it holds.
        idle_since = record.info.get("idle_since")  # None: just connected
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_S:
            try:
                dbapi_conn.execute("SELECT 1")
                dbapi_conn.rollback()  # hand it over outside any transaction, as the pool does
            except Exception as exc:
                raise DisconnectionError() from exc

    @event.listens_for(engine, "connect")
    def _prepare(dbapi_conn, _record):  # pragma: no cover - trivial
        # A statement run twice on a connection is prepared server-side: planning a query over a dozen monthly
        # partitions costs more than running it (a report's intake: 18.5 → 15.4 ms, bench/RESULTS.md).
        dbapi_conn.prepare_threshold = 2

    return engine


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    return _engine_for(database_url(settings), settings.statement_timeout_ms, settings.pool_size)


def reset_engines() -> None:
    """Forget cached engines (tests switch databases; a forked server must not share sockets)."""
    _engine_for.cache_clear()
    _session_factory.cache_clear()
    _embedded_url.cache_clear()


@lru_cache(maxsize=8)
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


QUERY_CANCELED = "57014"  # SQLSTATE of a statement cancelled by statement_timeout


REQUEST_TIMEOUT = "the query took too long and was cancelled; narrow the request (bbox, filters)"
_ON_TIMEOUT = "ccgrid_on_timeout"  # Session.info key: what to say when a batch job's statement is cancelled


def database_error(exc: OperationalError, on_timeout: str | None = None) -> CcgridError:
    """What an operational error means to the caller. psycopg counts a statement cancelled by the timeout as one,
    as it does a lost server; only the latter means the database is unavailable."""
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        return QueryTooSlow(on_timeout or REQUEST_TIMEOUT)
    return DatabaseUnavailable("the database is unavailable; retry shortly")


def batch_job(session: Session, what: str) -> None:
    """Run the rest of this transaction as a batch job (a file import, the demo load), not as a request: under
    CCGRID_IMPORT_STATEMENT_TIMEOUT_MS (0 = none) instead of the request timeout, and a cancelled statement is
    reported as the job's, not as a request to narrow."""
    ms = get_settings().import_statement_timeout_ms
    session.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(ms)})
    session.info[_ON_TIMEOUT] = (
        f"{what} was cancelled after running past its statement timeout (CCGRID_IMPORT_STATEMENT_TIMEOUT_MS={ms}); "
        "nothing was written. Raise that setting, or set it to 0 for no limit")


@contextlib.contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, so nothing is half-written."""
    engine = engine or get_engine()
    session = _session_factory(engine)()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        raise database_error(exc, session.info.get(_ON_TIMEOUT)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextlib.contextmanager
def autocommit(engine: Engine | None = None) -> Iterator[Connection]:
    """A connection for a lookup that needs no transaction: no BEGIN and COMMIT round trips (a token check on every
    request)."""
    engine = engine or get_engine()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn
    except OperationalError as exc:
        raise database_error(exc) from exc


def no_statement_timeout(session: Session) -> None:
    """Lift the statement timeout for the rest of this transaction (an archive run by an operator)."""
    session.execute(text("SET LOCAL statement_timeout = 0"))


def postgis_version(session: Session) -> dict[str, str]:
    row = session.execute(text("SELECT version(), postgis_full_version()")).one()
    return {"postgres": row[0].split(",")[0], "postgis": row[1].split('"')[1] if '"' in row[1] else row[1]}
