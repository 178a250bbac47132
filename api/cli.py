"""The `ccgrid` command line. Thin: parse, call one service function, print. Errors end in one readable line."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gis.cluster import Cluster
from gis.crs import CoordSys
from gis.db import get_engine, transaction
from gis.errors import CcgridError
from gis.settings import get_settings
from layers.access.caller import SYSTEM

app = typer.Typer(
    help="创城网格 ccgrid — grids, street chiefs, problems and maps for the civilized-city campaign.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database: embedded PostGIS cluster or CCGRID_DATABASE_URL.", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
grid_app = typer.Typer(help="Unit grid cells (单元网格).", no_args_is_help=True)
demo_app = typer.Typer(help="The demo city (民权县 outline, synthetic subdivision).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(grid_app, name="grid")
app.add_typer(demo_app, name="demo")
coverage_app = typer.Typer(help="Coverage: where nobody is responsible.", no_args_is_help=True)
owners_app = typer.Typer(help="The street-chief registry: rosters, assignments, the 责任清单.", no_args_is_help=True)
app.add_typer(coverage_app, name="coverage")
app.add_typer(owners_app, name="owners")
ledger_app = typer.Typer(help="The problem ledger: 三本账, indicators, escalation.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")

console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors become one line on stderr and exit code 1, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CcgridError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except DBAPIError as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            err.print(f"[red]database error:[/red] {first}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not sys.stderr.isatty(),
    )


def _reporter(progress: Progress) -> Callable[[str, int, int | None], None]:
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int | None) -> None:  # total None: not known (yet)
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return report


# --- db -------------------------------------------------------------------------------------------------
@db_app.command("up")
@friendly
def db_up() -> None:
    """Initialise (first time), start and migrate the database."""
    from layers.schema.migrate import migrate

    engine = get_engine()
    rev = migrate(engine)
    console.print(f"database ready, schema revision {rev}")


@db_app.command("down")
@friendly
def db_down() -> None:
    """Stop the embedded cluster."""
    settings = get_settings()
    if settings.database_url:
        raise CcgridError("CCGRID_DATABASE_URL is set: that server is not ours to stop")
    Cluster(settings.data_dir).stop()
    console.print("embedded PostGIS stopped")


@db_app.command("status")
@friendly
def db_status() -> None:
    """Where the database is and whether it runs."""
    settings = get_settings()
    if settings.database_url:
        console.print(f"external database (CCGRID_DATABASE_URL): {settings.database_url.split('@')[-1]}")
        return
    st = Cluster(settings.data_dir).status()
    console.print(
        f"embedded PostGIS: {'running' if st.running else 'stopped'}"
        f"{'' if st.initialised else ' (not initialised)'}; port {st.port}; data {st.pgdata}"
    )
    if not st.running:
        raise typer.Exit(3)


@db_app.command("partitions")
@friendly
def db_partitions(ahead: int = typer.Option(0, min=0, max=110, help="also create this many months from now")) -> None:
    """The reports table's monthly partitions (created on first use; --ahead makes them early, together with the
    recent months in which intake may still file reports, CCGRID_INTAKE_NEW_MONTHS_BACK)."""
    from datetime import date

    from layers.ledger import partitions

    with transaction() as s:
        if ahead:
            partitions.ensure(s, *partitions.window(date.today(), ahead))
        rows = partitions.partitions(s)
    table = Table("分区", "月份", "问题数", "大小 MB")
    for r in rows:
        table.add_row(r["name"], r["month"].strftime("%Y-%m"), f"{r['rows']:,}", f"{r['bytes'] / 2**20:,.1f}")
    console.print(table)


@db_app.command("archive")
@friendly
def db_archive(before: str = typer.Option(..., help="archive every month before this one, YYYY-MM")) -> None:
    """Move whole months of reports (and their history) out of the live ledger into schema `archive`."""
    from layers.ledger import partitions

    with transaction() as s:
        s.execute(text("SET LOCAL statement_timeout = 0"))
        moved = partitions.archive(s, partitions.month(before))
    if not moved:
        console.print(f"nothing before {before} to archive")
    for m in moved:
        console.print(f"archived {m['partition']}: {m['reports']:,} reports, {m['problem_events']:,} events, "
                      f"{m['problem_owners']:,} owner rows")


@db_app.command("url")
@friendly
def db_url(libpq: bool = typer.Option(False, help="print a libpq URL for psql/QGIS")) -> None:
    """Print the database URL (starts the embedded cluster if needed)."""
    from gis.db import database_url

    url = database_url()
    console.print(
        url.replace("postgresql+psycopg://", "postgresql://") if libpq else url, highlight=False, soft_wrap=True
    )


@db_app.command("migrate")
@friendly
def db_migrate() -> None:
    """Upgrade the schema to the latest revision."""
    db_up()


# --- tokens ----------------------------------------------------------------------------------------------
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


# --- import / export --------------------------------------------------------------------------------------
@app.command("import")
@friendly
def import_(
    layer: str = typer.Argument(..., help="regions, grid_cells, streets, assessment_points or problems"),
    path: Path = typer.Argument(..., help="GeoJSON, GeoPackage, zipped Shapefile, CSV, Excel or .osm.pbf"),
    crs: str | None = typer.Option(None, help="source CRS when the file has none (e.g. EPSG:4547)"),
    gcj02: bool = typer.Option(False, "--gcj02", help="coordinates are GCJ-02 (高德/腾讯)"),
    bd09: bool = typer.Option(False, "--bd09", help="coordinates are BD-09 (百度)"),
    skip_invalid: bool = typer.Option(False, help="import the good rows and report the rest"),
    report: Path | None = typer.Option(None, help="write rejected rows to this CSV"),
) -> None:
    """Import a file into a layer (or `problems`): one transaction, re-import updates instead of duplicating."""
    from layers.spatial.catalog import layer as get_layer
    if layer == "problems":
        return _import_problems(path, skip_invalid, report)
    from layers.spatial.io import import_file
    from layers.spatial.writer import RowsRejected

    spec = get_layer(layer)
    coord = CoordSys.gcj02 if gcj02 else CoordSys.bd09 if bd09 else CoordSys.standard
    try:
        with _progress() as progress, transaction() as s:
            result = import_file(
                s,
                spec,
                path,
                actor="cli",
                crs=crs,
                coord_sys=coord,
                skip_invalid=skip_invalid,
                progress=_reporter(progress),
            )
    except RowsRejected as exc:
        _print_rejections(exc.rejections, report)
        err.print(
            f"[red]error:[/red] {len(exc.rejections)} rows rejected, nothing imported "
            f"(first: {exc.rejections[0]}); fix them or use --skip-invalid",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    _print_rejections(result.rejected, report)
    console.print(
        f"{spec.name}: {result.inserted} new, {result.updated} updated, {result.unchanged} unchanged, "
        f"{len(result.rejected)} rejected"
    )


def _import_problems(path: Path, skip_invalid: bool, report: Path | None) -> None:
    from layers.ledger.bulk_import import import_problems
    from layers.spatial.writer import RowsRejected

    try:
        with _progress() as progress, transaction() as s:
            result = import_problems(s, path, actor="cli", skip_invalid=skip_invalid, progress=_reporter(progress))
    except RowsRejected as exc:
        _print_rejections(exc.rejections, report)
        err.print(f"[red]error:[/red] {len(exc.rejections)} rows rejected, nothing imported "
                  f"(first: {exc.rejections[0]}); fix them or use --skip-invalid", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    _print_rejections(result.rejected, report)
    console.print(f"problems: {result.inserted} new, {result.already} already imported, "
                  f"{result.duplicates_linked} linked as duplicates, {len(result.rejected)} rejected")


@contextlib.contextmanager
def _written(path: Path) -> Iterator[IO[bytes]]:
    """A file written whole or not at all: into a neighbour first, renamed when complete."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as out:
            yield out
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


def _print_rejections(rejections: list[Any], report: Path | None) -> None:
    if not rejections:
        return
    if report:
        import csv

        with report.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["row", "field", "reason"])
            w.writerows([(r.row, r.field, r.reason) for r in rejections])
    for r in rejections[:20]:
        err.print(f"  {r}", highlight=False, soft_wrap=True)
    if len(rejections) > 20:
        err.print(f"  … and {len(rejections) - 20} more" + (f" (all in {report})" if report else ""))


@app.command("export")
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


# --- grid -------------------------------------------------------------------------------------------------
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


# --- owners and coverage ------------------------------------------------------------------------------------
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
        _print_rejections(exc.rejections, None)
        err.print(f"[red]error:[/red] {len(exc.rejections)} roster rows rejected, nothing imported",
                  highlight=False)
        raise typer.Exit(1) from None
    _print_rejections(result.rejected, None)
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
    with _written(path) as out, transaction() as s:
        n = duty_list.xlsx(s, out, caller=SYSTEM, region=region)
    console.print(f"wrote {n} rows to {path}")


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
    with _written(path) as out, transaction() as s:
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


# --- demo -------------------------------------------------------------------------------------------------
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
    with _progress() as progress, transaction() as s:
        counts = demo.load(s, scale=scale, seed=seed, force=force, progress=_reporter(progress))
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


# --- serve ------------------------------------------------------------------------------------------------
@app.command("serve")
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
    migrate(get_engine())
    h, p = host or settings.host, port or settings.port
    console.print(f"ccgrid on http://{h}:{p}  —  API docs http://{h}:{p}/docs")
    # The app logs every request itself (JSON lines, api.observe); uvicorn's access log would add query strings,
    # which may carry an Open311 api_key.
    uvicorn.run("api.app:create_app", factory=True, host=h, port=p, workers=workers, log_level="info",
                access_log=False)


if __name__ == "__main__":  # pragma: no cover
    app()
