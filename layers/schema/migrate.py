"""Bring a database to the latest schema (Alembic), serialised so concurrent starts do not race."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from layers.ledger import server_functions
from layers.network import build as network

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> str:
    """Upgrade to head; returns the revision now in force."""
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(4490)"))
        conn.execute(text("SET LOCAL statement_timeout = 0"))  # a migration may rewrite a table of millions of rows
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        # The ledger's server functions (layers/ledger/sql/*.sql) follow the code, not a revision.
        server_functions.install(conn)
        # A city migrated to the walking network has streets and no network yet: built once, here.
        with Session(bind=conn) as session:
            network.ensure_built(session)
            session.flush()
    return current_revision(engine) or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""
