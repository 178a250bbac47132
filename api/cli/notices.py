"""`ccgrid notice`: publish a 通报 from cron (the weekly one on Monday morning) and list the register."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import console, friendly
from gis.db import transaction
from layers.access.caller import SYSTEM

notice_app = typer.Typer(help="Published 通报: publish one for a period, list them, write one as Word.",
                         no_args_is_help=True)


@notice_app.command("publish")
@friendly
def notice_publish(
    period: str | None = typer.Option(None, help="2026-W49, 2026-11, 2026-B6 … (default: the last complete week)"),
    scope: str | None = typer.Option(None, help="a region code (default: the whole city)"),
    title: str | None = typer.Option(None, help="default 关于…创建全国文明城市工作情况的通报"),
) -> None:
    """Take the period's snapshot now, number it and store it (the same period twice: refused)."""
    from gis import periods
    from layers.campaign import notice_service
    from layers.registry.assignments import today

    with transaction() as s:
        period = period or periods.last_complete("week", today(s)).code
        n = notice_service.publish(s, caller=SYSTEM, period=period, scope=scope, title=title)
    console.print(f"{n['number']} {n['title']} (id {n['id']}, {n['photos']} photos)")


@notice_app.command("list")
@friendly
def notice_list(period: str | None = typer.Option(None, help="only this period")) -> None:
    """The register of 通报, newest first."""
    from layers.campaign import notice_service

    with transaction() as s:
        rows = notice_service.listing(s, caller=SYSTEM, period=period)
    table = Table("id", "文号", "期", "范围", "状态", "发布")
    for r in rows:
        table.add_row(str(r["id"]), r["number"], r["period"], r["scope_name"], r["state_name"],
                      f"{r['published_at']:%Y-%m-%d %H:%M}")
    console.print(table)


@notice_app.command("docx")
@friendly
def notice_docx(notice_id: int = typer.Argument(..., help="the notice's id"),
                path: Path = typer.Argument(..., help="a .docx file to write")) -> None:
    """Write a published 通报 as Word (the same bytes every time)."""
    from layers.campaign import notice_service
    from maps import notice_docx as render

    with transaction() as s:
        found = notice_service.get(s, notice_id, caller=SYSTEM, with_snapshot=True)
        data = render.render(found["snapshot"], notice_service.photos(s, notice_id, caller=SYSTEM))
    path.write_bytes(data)
    console.print(f"wrote {found['number']} to {path} ({len(data):,} bytes)")
