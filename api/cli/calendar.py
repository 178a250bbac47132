"""`ccgrid calendar`: the working-day calendar (放假/调休): show a year, load a year's list from a CSV."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import console, err, friendly, print_rejections
from gis.db import transaction
from gis.errors import InvalidInput
from layers.access.caller import SYSTEM
from layers.spatial.writer import RowsRejected

calendar_app = typer.Typer(help="The working-day calendar: 放假 and 调休 days that deadlines count on.",
                           no_args_is_help=True)
ACTIONS = {"create": "新增", "change": "修改", "same": "不变", "remove": "恢复为平常"}


def _kind(is_workday: bool | None) -> str:
    return "—" if is_workday is None else ("上班" if is_workday else "放假")


@calendar_app.command("load")
@friendly
def calendar_load(
    path: Path = typer.Argument(..., help="CSV with columns day,kind,note (kind 放假 or 上班), as "
                                         "layers/ledger/data/work_calendar_2027.csv"),
    dry_run: bool = typer.Option(False, "--dry-run", help="show what would change, write nothing"),
    replace: bool = typer.Option(False, "--replace", help="days of the file's years it does not list follow the "
                                                         "week again"),
) -> None:
    """Load a year's 放假/调休 list: every line checked first, then all or nothing; loading it again changes nothing."""
    from layers.rules import calendar_file

    if not path.is_file():
        raise InvalidInput(f"no file {path}", field="file")
    try:
        with transaction() as s:
            done = calendar_file.load(s, path.read_bytes(), caller=SYSTEM, file_name=path.name, dry_run=dry_run,
                                      replace=replace)
    except RowsRejected as exc:
        err.print(f"[red]error:[/red] {len(exc.rejections)} bad lines, nothing loaded:", highlight=False)
        print_rejections(exc.rejections, None)
        raise typer.Exit(1) from None
    for r in done["rejected"]:
        err.print(f"  line {r['row']}, field '{r['field']}': {r['reason']}", highlight=False, soft_wrap=True)
    table = Table("行", "日期", "安排", "说明", "变化")
    for d in done["days"]:
        if d["action"] != "same":
            table.add_row(str(d["line"] or ""), str(d["day"]), _kind(d["is_workday"]), d["note"] or "",
                          ACTIONS[d["action"]])
    if table.row_count:
        console.print(table)
    verb = "would change" if dry_run else "changed"
    console.print(f"{done['lines']} lines ({', '.join(map(str, done['years']))}): {verb} {done['created']} new, "
                  f"{done['changed']} changed, {done['removed']} removed; {done['unchanged']} already so")
    if done["rejected"]:
        raise typer.Exit(1)


@calendar_app.command("show")
@friendly
def calendar_show(year: int = typer.Argument(..., help="e.g. 2027")) -> None:
    """A year's days off on weekdays and working weekend days, and its number of working days."""
    from layers.rules import work_calendar

    with transaction() as s:
        cal = work_calendar.year(s, year)
    table = Table("日期", "星期", "安排", "说明")
    for d in cal["days"]:
        table.add_row(str(d["day"]), d["weekday_name"], _kind(d["is_workday"]), d["note"] or "")
    console.print(table)
    console.print(f"{year}: {cal['workdays']} working days, {cal['days_off']} days off ({cal['holidays']} weekdays "
                  f"off, {cal['make_up_days']} weekend days worked); the calendar runs to {cal['last_day']}")
    if not cal["covered"]:
        err.print(f"[yellow]warning:[/yellow] {year} has no holidays stored: deadlines count its public holidays "
                  "as working days. Load its list: ccgrid calendar load FILE", highlight=False)
