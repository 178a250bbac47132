"""The `ccgrid` command line. Thin: parse, call one service function, print. Errors end in one readable line.

One module per command group; this one assembles them (`ccgrid = "api.cli:app"`)."""

from __future__ import annotations

import typer

from api.cli.calendar import calendar_app
from api.cli.db import db_app
from api.cli.demo import demo_app
from api.cli.files import export, grid_app, import_
from api.cli.ledger import ledger_app
from api.cli.network import network_app
from api.cli.notices import notice_app
from api.cli.owners import coverage_app, owners_app
from api.cli.serve import serve
from api.cli.tokens import token_app
from api.cli.users import user_app

app = typer.Typer(
    help="创城网格 ccgrid — grids, street chiefs, problems and maps for the civilized-city campaign.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(grid_app, name="grid")
app.add_typer(demo_app, name="demo")
app.add_typer(coverage_app, name="coverage")
app.add_typer(owners_app, name="owners")
app.add_typer(ledger_app, name="ledger")
app.add_typer(calendar_app, name="calendar")
app.add_typer(notice_app, name="notice")
app.add_typer(network_app, name="network")
app.command("import")(import_)
app.command("export")(export)
app.command("serve")(serve)

if __name__ == "__main__":  # pragma: no cover
    app()
