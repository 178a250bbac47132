"""Reading the spreadsheets people actually send (CSV or Excel, Chinese headers) into a frame of text columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gis.errors import InvalidInput


def read_table(path: Path, aliases: dict[str, str], what: str) -> pd.DataFrame:
    """All cells as text (empty = NaN), headers mapped through `aliases` (e.g. 姓名 → name), else lower-cased.
    A missing, unreadable or wrongly typed file is bad input naming `path`."""
    if not path.exists():
        raise InvalidInput(f"file not found: {path}", field="path")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xls"):
        raise InvalidInput(f"{what} is a .csv or .xlsx file", field="path")
    try:
        if suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            df = pd.read_excel(path, dtype=str)
    except Exception as exc:  # pandas raises many kinds for a broken file; all mean the same to the user
        raise InvalidInput(f"cannot read {path.name}: {exc}", field="path") from None
    df.columns = [aliases.get(str(c).strip(), str(c).strip().lower()) for c in df.columns]
    return df
