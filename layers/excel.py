"""Excel output that is safe to open: text that looks like a formula is written as text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from layers.calendar import TZ as LOCAL

# A cell starting with one of these is evaluated by spreadsheet programs (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, datetime) and value.tzinfo is not None:  # Excel has no time zones: show local time
        return value.astimezone(LOCAL).replace(tzinfo=None)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def workbook(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    ws.freeze_panes = "A2"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
