"""`ccgrid demo`: the demo city and its tokens."""

from __future__ import annotations

import json

import typer

from api.cli.common import console, friendly, progress_bar, reporter
from gis.db import get_engine, transaction
from gis.errors import CcgridError
from gis.settings import get_settings

demo_app = typer.Typer(help="The demo city (民权县 outline, synthetic subdivision).", no_args_is_help=True)

@demo_app.command("load")
@friendly
def demo_load(
    scale: str = typer.Option("small", help="small (seconds, for tests) or city (benchmark scale)"),
    seed: int = typer.Option(2021, help="random seed; the same seed gives the same city"),
    force: bool = typer.Option(False, help="reload even if this scale and seed are loaded"),
) -> None:
    """Load the demo city. Running it again with the same scale and seed does nothing."""
    from layers.demo import city as demo
    from layers.schema.migrate import migrate

    migrate(get_engine())
    with progress_bar() as progress, transaction() as s:
        counts = demo.load(s, scale=scale, seed=seed, force=force, progress=reporter(progress))
    console.print("demo city loaded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@demo_app.command("token")
@friendly
def demo_token() -> None:
    """Print the demo's admin and viewer tokens (created once, kept in the data dir with mode 0600)."""
    from api.auth import create_token, principal_for

    path = get_settings().data_dir / "demo-tokens.json"
    tokens: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    with transaction() as s:
        for role in ("admin", "viewer"):
            try:
                principal_for(s, tokens.get(role, "-"))
            except CcgridError:
                tokens[role] = create_token(s, role=role, label=f"demo {role}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens))
    path.chmod(0o600)
    for role, token in tokens.items():
        console.print(f"demo {role} token: {token}", highlight=False)
    console.print(
        f"try: curl -H 'Authorization: Bearer {tokens['viewer']}' "
        f"'http://{get_settings().host}:{get_settings().port}/api/v1/layers/streets/features"
        "?bbox=115.13,34.64,115.16,34.66&limit=5'",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "first admin account for the pages (choose your own password; it is read from stdin, never an argument):\n"
        "  printf '%s\\n' 'a-long-passphrase' | ccgrid user create --login admin --name 管理员 --role admin "
        "--password-stdin\n"
        f"then log in at http://{get_settings().host}:{get_settings().port}/login",
        highlight=False,
        soft_wrap=True,
    )
