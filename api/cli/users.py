"""`ccgrid user`: accounts (people who log in with a password), for the first admin and for scripts. The operator
acts city-wide (`SYSTEM`); a password set here need not be changed at next login."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from api.cli.common import console, friendly
from gis.db import transaction
from gis.errors import InvalidInput

user_app = typer.Typer(help="Accounts: log in at /login with a login name and password.", no_args_is_help=True)

PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="read the password from the first line of stdin")


def _password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or asked twice on a terminal (never an argument: it would sit in
    the shell history and the process list)."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise InvalidInput("no password on stdin (--password-stdin reads its first line)", field="password")
        return password.removesuffix("\r")
    if not sys.stdin.isatty():
        raise InvalidInput("pass --password-stdin to read the password from a pipe", field="password")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@user_app.command("create")
@friendly
def user_create(
    login: str = typer.Option(..., "--login", help="a phone number or a chosen name"),
    name: str = typer.Option(..., "--name", help="the display name (a person's name)"),
    role: str = typer.Option(..., "--role", help="admin, city_office, district_staff, subdistrict_staff, "
                             "street_chief, grid_worker, inspector, viewer"),
    region: str | None = typer.Option(None, "--region", help="region code the account is limited to"),
    person: int | None = typer.Option(None, "--person", help="id of the account's row in people"),
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Create an account (e.g. the first admin)."""
    from layers.access import users
    from layers.access.caller import SYSTEM

    password = _password(password_stdin)
    with transaction() as s:
        row = users.create(s, SYSTEM, login=login, display_name=name, role=role, password=password,
                           region_code=region, person_id=person, must_change_password=False)
    console.print(f"account {row['login']} created (id {row['id']}, {row['role']}"
                  f"{', ' + row['region_code'] if row['region_code'] else ''}); log in at /login", highlight=False)


@user_app.command("passwd")
@friendly
def user_passwd(login: str, password_stdin: bool = PASSWORD_STDIN) -> None:
    """Set an account's password; every session of the account ends."""
    from layers.access import users
    from layers.access.caller import SYSTEM

    password = _password(password_stdin)
    with transaction() as s:
        users.reset_password(s, SYSTEM, login, password, must_change=False)
    console.print(f"password of {users.normalise_login(login)} changed; its sessions ended", highlight=False)


@user_app.command("disable")
@friendly
def user_disable(login: str) -> None:
    """Disable an account: it cannot log in, and its sessions end now."""
    from layers.access import users
    from layers.access.caller import SYSTEM

    with transaction() as s:
        users.disable(s, SYSTEM, login)
    console.print(f"account {users.normalise_login(login)} disabled", highlight=False)


@user_app.command("enable")
@friendly
def user_enable(login: str) -> None:
    """Enable a disabled account again."""
    from layers.access import users
    from layers.access.caller import SYSTEM

    with transaction() as s:
        users.enable(s, SYSTEM, login)
    console.print(f"account {users.normalise_login(login)} enabled", highlight=False)


@user_app.command("list")
@friendly
def user_list() -> None:
    from layers.access import users
    from layers.access.caller import SYSTEM

    with transaction() as s:
        rows = users.list_users(s, SYSTEM)
    table = Table("id", "login", "name", "role", "region", "person", "active", "last login")
    for r in rows:
        table.add_row(str(r["id"]), r["login"], r["display_name"], r["role"], r["region_code"] or "",
                      str(r["person_id"] or ""), "yes" if r["active"] else "no", str(r["last_login_at"] or "")[:16])
    console.print(table)
