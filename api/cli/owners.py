"""`ccgrid coverage` and `ccgrid owners`: who is responsible where, rosters, the 责任清单."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import console, err, friendly, print_rejections, written
from gis.db import transaction
from gis.errors import CcgridError
from layers.access.caller import SYSTEM

coverage_app = typer.Typer(help="Coverage: where nobody is responsible.", no_args_is_help=True)
owners_app = typer.Typer(help="The street-chief registry: rosters, assignments, the 责任清单.", no_args_is_help=True)

@coverage_app.command("ownership")
@friendly
def coverage_ownership(
    region: str | None = typer.Option(None, help="only inside this region code"),
    layer: str | None = typer.Option(None, help="streets, grid_cells, assessment_points or regions"),
    role: str | None = typer.Option(None, help="a role code, name (路长) or family (street_chief)"),
    expiring_days: int = typer.Option(30, help="list assignments ending within this many days"),
    as_json: bool = typer.Option(False, "--json", help="print the whole report as JSON"),
) -> None:
    """Ownership coverage per rule and per 街道/社区, with the gaps listed."""
    from layers.registry import coverage

    with transaction() as s:
        rep = coverage.ownership(s, region=region, layer=layer, role=role, expiring_days=expiring_days)
    if as_json:
        console.print_json(json.dumps(rep, ensure_ascii=False, default=str))
        return
    t = rep["totals"]
    console.print(f"{rep['on']}: {t['covered']}/{t['required']} required owners in place ({t['pct']}%), "
                  f"{t['missing']} missing; streets covered {rep['streets_km']['covered']} km, "
                  f"uncovered {rep['streets_km']['uncovered']} km")
    table = Table("图层", "类型", "需要角色", "应有", "已有", "覆盖率%")
    for r in rep["by_rule"]:
        table.add_row(r["layer"], r["kind"] or "全部", r["role_names"], str(r["required"]), str(r["covered"]),
                      f"{r['pct']:.1f}", style="red" if r["pct"] < 100 else None)
    console.print(table)
    table = Table("编码", "街道", "应有", "已有", "覆盖率%")
    for r in rep["by_subdistrict"]:
        table.add_row(r["code"], r["name"], str(r["required"]), str(r["covered"]), f"{r['pct']:.1f}")
    console.print(table)
    console.print(f"交叉 (several primary owners of one role): {t['doubly_owned']}; expiring within "
                  f"{expiring_days} days: {t['expiring']}; over workload: {t['overloaded']}; "
                  f"people without a patch: {t['idle_people']}")


@owners_app.command("import")
@friendly
def owners_import(
    path: Path = typer.Argument(..., help="CSV or Excel roster: 姓名, 电话, 单位, 角色, 编码 or 道路名称, 起始日期 …"),
    skip_invalid: bool = typer.Option(False, help="import the good rows and report the rest"),
) -> None:
    """Import a roster of owners; with any bad row nothing is imported."""
    from dataclasses import replace

    from layers.access.caller import SYSTEM
    from layers.registry.roster import import_roster
    from layers.spatial.writer import RowsRejected

    try:
        with transaction() as s:
            result = import_roster(s, path, caller=replace(SYSTEM, actor="cli"), skip_invalid=skip_invalid)
    except RowsRejected as exc:
        print_rejections(exc.rejections, None)
        err.print(f"[red]error:[/red] {len(exc.rejections)} roster rows rejected, nothing imported",
                  highlight=False)
        raise typer.Exit(1) from None
    print_rejections(result.rejected, None)
    console.print(f"{result.rows} rows: {result.created} assignments created, {result.unchanged} already there, "
                  f"{len(result.rejected)} rejected")


@owners_app.command("export")
@friendly
def owners_export(
    path: Path = typer.Argument(..., help="an .xlsx file"),
    region: str | None = typer.Option(None, help="only inside this region code"),
) -> None:
    """Write the 责任清单 (one row per owner × place) as Excel."""
    from layers.registry import duty_list

    if path.suffix.lower() != ".xlsx":
        raise CcgridError("the 责任清单 is written as .xlsx")
    with written(path) as out, transaction() as s:
        n = duty_list.xlsx(s, out, caller=SYSTEM, region=region)
    console.print(f"wrote {n} rows to {path}")
