"""What every command group shares: the consoles, one-line errors, progress bars, files written whole."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError

from gis.errors import CcgridError

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


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not sys.stderr.isatty(),
    )


def reporter(progress: Progress) -> Callable[[str, int, int | None], None]:
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int | None) -> None:  # total None: not known (yet)
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return report


@contextlib.contextmanager
def written(path: Path) -> Iterator[IO[bytes]]:
    """A file written whole or not at all: into a neighbour first, renamed when complete."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as out:
            yield out
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


def print_rejections(rejections: list[Any], report: Path | None) -> None:
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
