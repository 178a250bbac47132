"""`ccgrid network`: the walking network built from the streets (kept current by every street write)."""

from __future__ import annotations

import json

import typer

from api.cli.common import console, friendly
from gis.db import batch_job, transaction

network_app = typer.Typer(help="The walking network (步行路网) built from the streets.", no_args_is_help=True)


@network_app.command("build")
@friendly
def build() -> None:
    """Build the whole network again from the streets (street writes keep it current; this is for repairs)."""
    from layers.network import build as network

    with transaction() as s:
        batch_job(s, "the network build")
        done = network.rebuild(s)
    console.print(f"network: {done['edges']:,} edges, {done['nodes']:,} nodes ({done['osm_nodes']:,} with an OSM "
                  f"node id), {done['km']:,} km, built in {done['seconds']} s")


@network_app.command("status")
@friendly
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Edges, nodes, kilometres, separate pieces and when it was last built whole."""
    from layers.network import build as network

    with transaction() as s:
        out = {**network.counts(s), "components": network.components(s)}
    if as_json:
        console.print_json(json.dumps(out, default=str))
        return
    console.print(f"network: {out['edges']:,} edges, {out['nodes']:,} nodes, {out['km']:,} km from "
                  f"{out['streets']:,} streets; {out['components']:,} separate pieces; built {out['built_at']}")
