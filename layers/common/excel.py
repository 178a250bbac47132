"""Spreadsheet output that is safe to open: text that looks like a formula is written as text, in Excel and CSV alike.

Workbooks are written in openpyxl's write-only mode, row by row to a file, so a large export never holds its sheet
in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from gis.times import CITY_TZ as LOCAL  # the city's clock; common imports no domain package

# A cell starting with one of these is evaluated by spreadsheet programs (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with ' so that it is shown as typed."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:  # Excel has no time zones: show local time
        return value.astimezone(LOCAL).replace(tzinfo=None)
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    if isinstance(value, str):
        # Control characters are not allowed in the sheet's XML (openpyxl raises): a name or a description typed
        # with one would make the whole export a 500. Shown as a space instead.
        value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
    return safe_text(value)


def csv_row(row: Iterable[Any]) -> list[Any]:
    """A CSV row escaped as the workbooks are (a CSV opened in Excel runs formulas just the same)."""
    return [safe_text(v) for v in row]


def write_workbook(out: IO[bytes], title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                   widths: Sequence[int] = ()) -> int:
    """One sheet, header in bold, streamed to `out`; returns the number of rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([_bold(ws, h) for h in header])
    n = 0
    try:
        for row in rows:
            ws.append([safe_cell(v) for v in row])
            n += 1
    except BaseException:
        ws.close()  # end the sheet's streaming XML writer now, not at garbage collection
        raise
    wb.save(out)
    return n


def workbook(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] = ()) -> bytes:
    """A small workbook as bytes (a 督导单); large exports use write_workbook into a file."""
    buf = BytesIO()
    write_workbook(buf, title, header, rows, widths)
    return buf.getvalue()


def _bold(ws: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=safe_cell(value))
    cell.font = Font(bold=True)
    cell.alignment = Alignment(horizontal="center")
    return cell
