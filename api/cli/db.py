"""`ccgrid db`: the embedded cluster or CCGRID_DATABASE_URL, migrations, partitions, the archive."""

from __future__ import annotations

import typer
from rich.table import Table

from api.cli.common import console, friendly
from gis.cluster import Cluster
from gis.db import get_engine, no_statement_timeout, transaction
from gis.errors import CcgridError
from gis.settings import get_settings

db_app = typer.Typer(help="The database: embedded PostGIS cluster or CCGRID_DATABASE_URL.", no_args_is_help=True)

@db_app.command("up")
@friendly
def db_up() -> None:
    """Initialise (first time), start and migrate the database."""
    from layers.schema.migrate import migrate

    engine = get_engine()
    rev = migrate(engine)
    console.print(f"database ready, schema revision {rev}")


@db_app.command("down")
@friendly
def db_down() -> None:
    """Stop the embedded cluster."""
    settings = get_settings()
    if settings.database_url:
        raise CcgridError("CCGRID_DATABASE_URL is set: that server is not ours to stop")
    Cluster(settings.data_dir).stop()
    console.print("embedded PostGIS stopped")


@db_app.command("status")
@friendly
def db_status() -> None:
    """Where the database is and whether it runs."""
    settings = get_settings()
    if settings.database_url:
        console.print(f"external database (CCGRID_DATABASE_URL): {settings.database_url.split('@')[-1]}")
        return
    st = Cluster(settings.data_dir).status()
    console.print(
        f"embedded PostGIS: {'running' if st.running else 'stopped'}"
        f"{'' if st.initialised else ' (not initialised)'}; port {st.port}; data {st.pgdata}"
    )
    if not st.running:
        raise typer.Exit(3)


@db_app.command("partitions")
@friendly
def db_partitions(ahead: int = typer.Option(0, min=0, max=110, help="also create this many months from now")) -> None:
    """The reports table's monthly partitions (created on first use; --ahead makes them early, together with the
    recent months in which intake may still file reports, CCGRID_INTAKE_NEW_MONTHS_BACK)."""
    from datetime import date

    from layers.ledger import partitions

    with transaction() as s:
        if ahead:
            partitions.ensure(s, *partitions.window(date.today(), ahead))
        rows = partitions.partitions(s)
    table = Table("分区", "月份", "问题数", "大小 MB")
    for r in rows:
        table.add_row(r["name"], r["month"].strftime("%Y-%m"), f"{r['rows']:,}", f"{r['bytes'] / 2**20:,.1f}")
    console.print(table)


@db_app.command("archive")
@friendly
def db_archive(before: str = typer.Option(..., help="archive every month before this one, YYYY-MM")) -> None:
    """Move whole months of reports (and their history) out of the live ledger into schema `archive`."""
    from layers.ledger import partitions

    with transaction() as s:
        no_statement_timeout(s)
        moved = partitions.archive(s, partitions.month(before))
    if not moved:
        console.print(f"nothing before {before} to archive")
    for m in moved:
        console.print(f"archived {m['partition']}: {m['reports']:,} reports, {m['problem_events']:,} events, "
                      f"{m['problem_owners']:,} owner rows")


@db_app.command("url")
@friendly
def db_url(libpq: bool = typer.Option(False, help="print a libpq URL for psql/QGIS")) -> None:
    """Print the database URL (starts the embedded cluster if needed)."""
    from gis.db import database_url

    url = database_url()
    console.print(
        url.replace("postgresql+psycopg://", "postgresql://") if libpq else url, highlight=False, soft_wrap=True
    )


@db_app.command("migrate")
@friendly
def db_migrate() -> None:
    """Upgrade the schema to the latest revision."""
    db_up()
