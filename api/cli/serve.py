"""`ccgrid serve`: the HTTP API and map pages under uvicorn."""

from __future__ import annotations

import os

import typer

from api.cli.common import console, friendly
from gis.db import database_url, get_engine
from gis.settings import get_settings


@friendly
def serve(
    host: str | None = typer.Option(None, help="default CCGRID_HOST (127.0.0.1)"),
    port: int | None = typer.Option(None, help="default CCGRID_PORT (8000)"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Serve the HTTP API and map pages."""
    import uvicorn

    from layers.schema.migrate import migrate

    settings = get_settings()
    if not settings.database_url:
        # The embedded cluster is started here, before the app: its workers get the URL from the environment and
        # never load the cluster tooling (gis.cluster) themselves.
        os.environ["CCGRID_DATABASE_URL"] = database_url(settings)
        get_settings.cache_clear()
    migrate(get_engine())
    h, p = host or settings.host, port or settings.port
    console.print(f"ccgrid on http://{h}:{p}  —  API docs http://{h}:{p}/docs")
    # The app logs every request itself (JSON lines, api.observe); uvicorn's access log would add query strings,
    # which may carry an Open311 api_key.
    uvicorn.run("api.app:create_app", factory=True, host=h, port=p, workers=workers, log_level="info",
                access_log=False, **proxy_options(settings.forwarded_allow_ips))


def proxy_options(allow_ips: str) -> dict[str, object]:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 by default, so anyone who reaches the app through a local hop
    could choose the address their failed logins count against. Only proxies named in the setting are believed."""
    allow = allow_ips.strip()
    return {"proxy_headers": bool(allow), "forwarded_allow_ips": allow or None}
