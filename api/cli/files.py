"""`ccgrid import`, `ccgrid export` and `ccgrid grid`: layers in and out of files, the unit grid."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from api.cli.common import console, err, friendly, print_rejections, progress_bar, reporter
from gis.crs import CoordSys
from gis.db import transaction

grid_app = typer.Typer(help="Unit grid cells (单元网格).", no_args_is_help=True)

@friendly
def import_(
    layer: str = typer.Argument(..., help="regions, grid_cells, streets, assessment_points, problems or land_cover "
                                          "(road, green or built-up polygons: --kind)"),
    path: Path = typer.Argument(..., help="GeoJSON, GeoPackage, zipped Shapefile, CSV, Excel or .osm.pbf"),
    crs: str | None = typer.Option(None, help="source CRS when the file has none (e.g. EPSG:4547)"),
    gcj02: bool = typer.Option(False, "--gcj02", help="coordinates are GCJ-02 (高德/腾讯)"),
    bd09: bool = typer.Option(False, "--bd09", help="coordinates are BD-09 (百度)"),
    skip_invalid: bool = typer.Option(False, help="import the good rows and report the rest"),
    report: Path | None = typer.Option(None, help="write rejected rows to this CSV"),
    kind: str | None = typer.Option(None, help="land_cover: road, green or built_up (replaces that kind)"),
) -> None:
    """Import a file into a layer (or `problems`): one transaction, re-import updates instead of duplicating."""
    from layers.spatial.catalog import layer as get_layer
    if layer == "problems":
        return _import_problems(path, skip_invalid, report)
    if layer == "land_cover":
        return _import_land_cover(path, kind, crs, CoordSys.gcj02 if gcj02 else CoordSys.bd09 if bd09
                                  else CoordSys.standard, report)
    from layers.spatial.io import import_file
    from layers.spatial.writer import RowsRejected

    spec = get_layer(layer)
    coord = CoordSys.gcj02 if gcj02 else CoordSys.bd09 if bd09 else CoordSys.standard
    try:
        with progress_bar() as progress, transaction() as s:
            result = import_file(
                s,
                spec,
                path,
                actor="cli",
                crs=crs,
                coord_sys=coord,
                skip_invalid=skip_invalid,
                progress=reporter(progress),
            )
    except RowsRejected as exc:
        print_rejections(exc.rejections, report)
        err.print(
            f"[red]error:[/red] {len(exc.rejections)} rows rejected, nothing imported "
            f"(first: {exc.rejections[0]}); fix them or use --skip-invalid",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    print_rejections(result.rejected, report)
    console.print(
        f"{spec.name}: {result.inserted} new, {result.updated} updated, {result.unchanged} unchanged, "
        f"{len(result.rejected)} rejected"
    )


def _import_land_cover(path: Path, kind: str | None, crs: str | None, coord: CoordSys, report: Path | None) -> None:
    from layers.analytics import land_cover
    from layers.spatial.writer import RowsRejected

    if kind is None:
        err.print(f"[red]error:[/red] land_cover needs --kind ({', '.join(land_cover.KINDS)})", highlight=False)
        raise typer.Exit(1)
    try:
        with transaction() as s:
            done = land_cover.import_file(s, path, kind=kind, actor="cli", crs=crs, coord_sys=coord)
    except RowsRejected as exc:
        print_rejections(exc.rejections, report)
        err.print(f"[red]error:[/red] {len(exc.rejections)} rows rejected, nothing imported "
                  f"(first: {exc.rejections[0]})", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"land_cover {done['kind']}: {done['polygons']} polygons, {done['area_m2'] / 1e6:,.3f} km² "
                  "(the kind's earlier polygons replaced)")


def _import_problems(path: Path, skip_invalid: bool, report: Path | None) -> None:
    from layers.ledger.bulk_import import import_problems
    from layers.spatial.writer import RowsRejected

    try:
        with progress_bar() as progress, transaction() as s:
            result = import_problems(s, path, actor="cli", skip_invalid=skip_invalid, progress=reporter(progress))
    except RowsRejected as exc:
        print_rejections(exc.rejections, report)
        err.print(f"[red]error:[/red] {len(exc.rejections)} rows rejected, nothing imported "
                  f"(first: {exc.rejections[0]}); fix them or use --skip-invalid", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    print_rejections(result.rejected, report)
    console.print(f"problems: {result.inserted} new, {result.already} already imported, "
                  f"{result.duplicates_linked} linked as duplicates, {len(result.rejected)} rejected")


@friendly
def export(
    layer: str, path: Path, region: str | None = typer.Option(None, help="only inside this region code")
) -> None:
    """Write a layer to GeoJSON, GeoPackage or CSV (WKT) that QGIS opens."""
    from layers.spatial.catalog import layer as get_layer
    from layers.spatial.io import export_layer

    with transaction() as s:
        n = export_layer(s, get_layer(layer), path, scope=region)
    console.print(f"wrote {n} features to {path}")


@grid_app.command("generate")
@friendly
def grid_generate(
    community: str = typer.Argument(..., help="12-digit community code"),
    method: str = typer.Option("blocks", help="blocks (from streets), hex or square"),
    size: float = typer.Option(100.0, help="nominal cell side in metres (100 m ≈ 10,000 m²)"),
    replace: bool = typer.Option(False, help="replace the community's existing cells"),
) -> None:
    """Create the unit grid cells of a community."""
    from layers.spatial import grid

    with transaction() as s:
        n = grid.generate(s, community, method=method, size_m=size, replace=replace)  # type: ignore[arg-type]
    console.print(f"{n} grid cells created in community {community}")


@grid_app.command("check")
@friendly
def grid_check(
    region: str | None = typer.Option(None, help="only communities under this region code"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    min_area: float = typer.Option(1.0, help="ignore gaps and overlaps smaller than this (m²)"),
) -> None:
    """Report gaps and overlaps of grid cells in each community; exit 2 when any are found."""
    from layers.spatial import grid

    with transaction() as s:
        rows = grid.check(s, region, min_area_m2=min_area)
    bad = [r for r in rows if r["gaps"] or r["overlaps"] or r["outside_m2"] >= min_area]
    if as_json:
        console.print_json(json.dumps(rows, ensure_ascii=False))
    else:
        table = Table("社区编码", "名称", "网格数", "覆盖率%", "空隙 m²", "空隙数", "重叠对", "重叠 m²")
        for r in rows:
            table.add_row(
                r["code"],
                r["name"],
                str(r["cells"]),
                f"{r['covered_pct']:.2f}",
                f"{r['gap_m2']:.0f}",
                str(len(r["gaps"])),
                str(len(r["overlaps"])),
                f"{sum(o['area_m2'] for o in r['overlaps']):.0f}",
                style="red" if r in bad else None,
            )
        console.print(table)
        console.print(f"{len(rows)} communities, {len(bad)} with gaps or overlaps")
    if bad:
        raise typer.Exit(2)
