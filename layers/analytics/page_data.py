"""What the map pages need besides their data: the filter choices and the extent of the caller's region."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def lookups(s: Session, scope: str | None) -> dict[str, list[tuple[str, str]]]:
    def pairs(sql: str, **params) -> list[tuple[str, str]]:
        return [(str(a), str(b)) for a, b in s.execute(text(sql), params).all()]

    return {
        "regions": pairs("SELECT code, repeat('　', (length(code) - 6) / 3) || name FROM regions "
                         "WHERE level <> 'district' AND code LIKE :s || '%' ORDER BY code", s=scope or ""),
        "categories": pairs("SELECT c.code, coalesce(pc.name || ' / ', '') || c.name FROM problem_categories c "
                            "LEFT JOIN problem_categories pc ON pc.code = c.parent_code WHERE c.active "
                            "ORDER BY c.code"),
        "sources": pairs("SELECT code, name FROM problem_sources ORDER BY code"),
        "facilities": pairs("SELECT name, name FROM point_types ORDER BY sort, name"),
        # 职能部门 handle categories city-wide: every reader may cut the ledger by them.
        "departments": pairs("SELECT id, name FROM units WHERE kind = 'department' AND active ORDER BY name"),
    }


def bounds(s: Session, scope: str | None) -> list[list[float]]:
    """[[south, west], [north, east]] of the regions in scope (all of China before a city is loaded)."""
    box = s.execute(text("""SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e)
                            FROM (SELECT ST_Extent(geom) AS e FROM regions WHERE code LIKE :s || '%') q"""),
                    {"s": scope or ""}).one()
    if box[0] is None:
        return [[18.0, 73.0], [54.0, 135.0]]
    return [[box[0], box[1]], [box[2], box[3]]]


def region_name(s: Session, code: str | None) -> str:
    """A region's name for a page (全市 for the whole city; the code itself when unknown)."""
    if not code:
        return "全市"
    return s.execute(text("SELECT name FROM regions WHERE code = :c"), {"c": code}).scalar() or code
