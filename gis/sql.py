"""SQL kept in .sql files beside the module that runs it, loaded by name (read once, cached)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def load(anchor: str, name: str) -> str:
    """The text of `<dir of anchor>/sql/<name>.sql`; `anchor` is the calling module's `__file__`."""
    return (Path(anchor).parent / "sql" / f"{name}.sql").read_text(encoding="utf-8")
