"""Reading the spreadsheets people actually send (CSV or Excel, Chinese headers) into frames of text columns.

An .xlsx is a zip: every member's uncompressed size is checked against CCGRID_MAX_UNZIPPED_BYTES before anything is
parsed (a 1.3 MB workbook held a 1.28 GB sheet of whitespace), and the sheet is read in openpyxl's streaming
read-only mode, each row cut to the header's width. Every xlsx reader (rosters, problem imports, layer imports)
goes through `xlsx_frames`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook

from gis.errors import InvalidInput
from gis.settings import get_settings

# More header columns than any sheet we are sent has; a wider header is refused, not padded row by row.
MAX_COLUMNS = 256
BATCH_ROWS = 50_000


def check_zip(path: Path) -> None:
    """Refuse a zip (xlsx, zipped shapefile) any member of which unpacks to more than CCGRID_MAX_UNZIPPED_BYTES.
    Python's zipfile never inflates a member past its declared size (it fails the CRC instead), so the declared
    sizes are the bound."""
    limit = get_settings().max_unzipped_bytes
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"cannot read {path.name}: not a valid zip file ({exc})", field="path") from None
    for m in members:
        if m.file_size > limit:
            raise InvalidInput(
                f"{path.name}: member {m.filename} unpacks to {m.file_size:,} bytes, more than the "
                f"{limit:,} allowed (CCGRID_MAX_UNZIPPED_BYTES)", field="path")


def _cell_text(value: Any) -> str | None:
    """A cell as text, as pandas' read_excel(dtype=str) gave it: whole floats without '.0', empty as missing."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return str(value)
    text = str(value)
    return text if text.strip() else None


def _header(raw: tuple[Any, ...]) -> list[str]:
    names = [_cell_text(v) for v in raw]
    while names and names[-1] is None:
        names.pop()
    if len(names) >= MAX_COLUMNS:
        raise InvalidInput(f"the sheet's header has {MAX_COLUMNS} or more columns; is the first row the header?",
                           field="path")
    out: list[str] = []
    for i, name in enumerate(names):
        name = name.strip() if name else f"Unnamed: {i}"
        out.append(name if name not in out else f"{name}.{out.count(name)}")
    return out


def xlsx_frames(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The first sheet as frames of up to `batch_rows` rows of text (missing = None); trailing empty rows dropped."""
    check_zip(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file; all mean the same to the user
        raise InvalidInput(f"cannot read {path.name}: {exc}", field="path") from None
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # the sheet's own <dimension> may claim a million columns
        first = next(ws.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        header = _header(first)
        if not header:
            raise InvalidInput(f"{path.name}: the first sheet has no header row", field="path")
        width = len(header)
        rows = ([_cell_text(v) for v in r] for r in ws.iter_rows(min_row=2, max_col=width, values_only=True))
        blank: list[list[str | None]] = []  # empty rows are held back until a filled one follows
        batch: list[list[str | None]] = []
        sent = False
        for row in rows:
            if all(v is None for v in row):
                blank.append(row)
                continue
            batch += blank
            blank = []
            batch.append(row)
            if len(batch) >= batch_rows:
                yield pd.DataFrame(batch, columns=header, dtype=object)
                batch, sent = [], True
        if batch or not sent:
            yield pd.DataFrame(batch, columns=header, dtype=object)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"cannot read {path.name}: {exc}", field="path") from None
    finally:
        wb.close()


def csv_frames(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    try:
        yield from pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], chunksize=batch_rows)
    except pd.errors.EmptyDataError:
        return
    except Exception as exc:  # pandas raises many kinds for a broken file; all mean the same to the user
        raise InvalidInput(f"cannot read {path.name}: {exc}", field="path") from None


def table_frames(path: Path, what: str, batch_rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """A CSV or .xlsx file as frames of text columns, `batch_rows` rows at a time."""
    if not path.exists():
        raise InvalidInput(f"file not found: {path}", field="path")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return csv_frames(path, batch_rows)
    if suffix == ".xlsx":
        return xlsx_frames(path, batch_rows)
    raise InvalidInput(f"{what} is a .csv or .xlsx file", field="path")


def read_table(path: Path, aliases: dict[str, str], what: str) -> pd.DataFrame:
    """All cells as text (empty = NaN), headers mapped through `aliases` (e.g. 姓名 → name), else lower-cased.
    A missing, unreadable or wrongly typed file is bad input naming `path`."""
    frames = list(table_frames(path, what))
    df = pd.concat(frames, ignore_index=True) if frames else _empty_csv(path)
    df.columns = [aliases.get(str(c).strip(), str(c).strip().lower()) for c in df.columns]
    return df


def _empty_csv(path: Path) -> pd.DataFrame:
    """A CSV with a header and no rows still has its columns."""
    try:
        return pd.read_csv(path, dtype=str, nrows=0)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
