"""The ledger's lookup tables as the API lists them: problem categories (two levels) and sources."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def categories(session: Session) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(text("SELECT * FROM problem_categories ORDER BY code")).mappings()]


def sources(session: Session) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(text("SELECT * FROM problem_sources ORDER BY code")).mappings()]
