"""Alembic environment: the URL comes from ccgrid's settings (or the caller's config), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
# No ORM metadata: the schema is the migrations (raw SQL, triggers, partitions, server functions), which an ORM
# model could never describe whole. With no metadata `alembic revision --autogenerate` refuses to run, instead of
# proposing to drop every table the models did not declare. Write migrations by hand.
target_metadata = None


def _include_object(obj, name, type_, reflected, compare_to):
    # PostGIS owns these; autogenerate must not try to drop them.
    return not (type_ == "table" and name in {"spatial_ref_sys"})


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, include_object=_include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, include_object=_include_object)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
