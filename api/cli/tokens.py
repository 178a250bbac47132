"""`ccgrid token`: API bearer tokens."""

from __future__ import annotations

import typer
from rich.table import Table

from api.cli.common import console, friendly
from gis.db import transaction

token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)

@token_app.command("create")
@friendly
def token_create(
    role: str = typer.Option(
        ...,
        help="admin, city_office, district_staff, subdistrict_staff, street_chief, "
        "grid_worker, inspector, viewer, public",
    ),
    region: str | None = typer.Option(None, help="region code the token is limited to"),
    label: str = typer.Option("", help="who or what the token is for"),
    days: int | None = typer.Option(None, help="lifetime in days (default CCGRID_TOKEN_TTL_DAYS)"),
) -> None:
    """Create a bearer token and print it once (only its hash is stored)."""
    from api.auth import create_token

    with transaction() as s:
        token = create_token(s, role=role, region_code=region, label=label, days=days)
    console.print(token, highlight=False)


@token_app.command("list")
@friendly
def token_list() -> None:
    from api.auth import list_tokens

    with transaction() as s:
        rows = list_tokens(s)
    table = Table("id", "role", "region", "label", "created", "expires", "revoked")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["role"],
            r["region_code"] or "",
            r["label"],
            str(r["created_at"])[:16],
            str(r["expires_at"] or "")[:16],
            str(r["revoked_at"] or "")[:16],
        )
    console.print(table)


@token_app.command("revoke")
@friendly
def token_revoke(token_id: int) -> None:
    from api.auth import revoke_token

    with transaction() as s:
        revoke_token(s, token_id)
    console.print(f"token {token_id} revoked")
