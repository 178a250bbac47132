"""`ccgrid ledger`: the 三本账, indicators, escalation."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import console, err, friendly, written
from gis.db import transaction
from gis.errors import CcgridError
from layers.access.caller import SYSTEM

ledger_app = typer.Typer(help="The problem ledger: 三本账, indicators, escalation.", no_args_is_help=True)

@ledger_app.command("escalate")
@friendly
def ledger_escalate() -> None:
    """Record new exposures on the 通报 → 约谈 → 问责 ladder (run daily from cron; idempotent)."""
    from layers.ledger import escalation

    with transaction() as s:
        new = escalation.run(s, actor="cli")
    console.print(f"{new} new escalation records")


@ledger_app.command("export")
@friendly
def ledger_export(
    kind: str = typer.Argument(..., help="points (点位台账), problems (问题台账) or rectification (整改台账)"),
    path: Path = typer.Argument(..., help="an .xlsx file"),
    region: str | None = typer.Option(None, help="only inside this region code"),
) -> None:
    """Write one of the 三本账 as Excel (the last 12 months)."""
    from layers.ledger import ledgers

    if path.suffix.lower() != ".xlsx":
        raise CcgridError("ledgers are written as .xlsx")
    with written(path) as out, transaction() as s:
        done = ledgers.export(s, kind, out, caller=SYSTEM, region=region)
    console.print(f"wrote {done.rows} rows to {path}")
    if done.truncated:
        err.print(f"[yellow]warning:[/yellow] only the first {done.rows:,} rows (CCGRID_EXPORT_MAX_ROWS); "
                  "export a smaller region", highlight=False)


@ledger_app.command("indicators")
@friendly
def ledger_indicators(
    level: str = typer.Option("subdistrict", help="subdistrict, community or owner"),
    region: str | None = typer.Option(None, help="only inside this region code"),
) -> None:
    """结案率, 按期结案率, 返工率, 超期率 over the last 12 months."""
    from layers.ledger import ledgers

    with transaction() as s:
        rows = ledgers.indicators(s, level=level, scope=region)
    table = Table("编码", "名称", "派遣", "应结", "结案率", "按期结案率", "返工率", "超期率")

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{100 * v:.1f}%"

    for r in rows:
        table.add_row(r["key"], r["name"], str(r["dispatched"]), str(r["due"]), pct(r["closure_rate"]),
                      pct(r["on_time_rate"]), pct(r["rework_rate"]), pct(r["overdue_rate"]))
    console.print(table)
