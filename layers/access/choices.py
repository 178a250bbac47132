"""What the account and token forms offer to choose from, narrowed to what the caller may pick: regions inside
its scope, and people of a region who could be linked to an account (active, not linked yet). The services
(users.py, tokens.py) check every choice again; these only spare people a choice that would be refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from layers.access.caller import Caller

LEVEL_NAMES = {"district": "区/县", "subdistrict": "街道/乡镇", "community": "社区/村"}


def regions_within(s: Session | Connection, caller: Caller) -> list[dict[str, Any]]:
    """Regions of the caller's scope (all for a city-wide caller), by code: code, name, level."""
    rows = s.execute(text("SELECT code, name, level FROM regions "
                          "WHERE CAST(:scope AS text) IS NULL OR code LIKE :scope || '%' ORDER BY code"),
                     {"scope": caller.scope}).mappings()
    return [dict(r) for r in rows]


def link_candidates(s: Session | Connection, caller: Caller, *, region: str | None = None, q: str | None = None,
                    limit: int = 50) -> list[dict[str, Any]]:
    """Active people inside `region` and the caller's scope without an account, whose name contains q: id, name,
    title, region_code, unit_name. The same people users.create would accept as person_id."""
    caller.require_covers(region or caller.scope, what=f"region {region}", field="region")
    rows = s.execute(text("""
        SELECT p.id, p.name, p.title, p.region_code, u.name AS unit_name
        FROM people p LEFT JOIN units u ON u.id = p.unit_id
        WHERE p.active AND NOT EXISTS (SELECT 1 FROM users a WHERE a.person_id = p.id)
          AND (CAST(:scope AS text) IS NULL OR p.region_code LIKE :scope || '%')
          AND (CAST(:region AS text) IS NULL OR p.region_code LIKE :region || '%')
          AND (CAST(:q AS text) IS NULL OR strpos(p.name, :q) > 0)
        ORDER BY p.name, p.id LIMIT :limit"""),
        {"scope": caller.scope, "region": region or None, "q": (q or "").strip() or None, "limit": limit})
    return [dict(r) for r in rows.mappings()]
