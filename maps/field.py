"""The field app's pages (/m/): what each needs from layers/ services. Phone-first, zh-CN; every write goes through
the JSON API from the phone's outbox (maps/static/m/outbox.js), so the API's roles and region scope apply."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import NotFound
from gis.settings import get_settings
from layers.access.caller import Caller
from layers.analytics import page_data
from layers.ledger import inspections, lookups
from maps.pages import basemaps
from maps.settings import MapSettings

# The source a field report is filed under, by access role (the form lets the user change it).
SOURCE_BY_ROLE = {"grid_worker": "grid_worker", "street_chief": "patrol", "inspector": "mystery"}


def map_config(session: Session, scope: str | None, settings: MapSettings) -> dict[str, Any]:
    """Where a field map opens (the middle of the caller's region) and the basemap, if one is configured."""
    (s, w), (n, e) = page_data.bounds(session, scope)
    return {"centre": [(s + n) / 2, (w + e) / 2],
            "basemaps": [{"url": url, "options": {"attribution": attr, **options}}
                         for url, attr, options in basemaps(settings)]}


def patrol_limits() -> dict[str, Any]:
    """The server's speed limits per patrol mode: the phone drops a fix faster than these as a GPS jump, so the
    track it sends is one the server accepts."""
    s = get_settings()
    return {"speed_kmh": {"walk": s.patrol_max_speed_kmh_walk, "bike": s.patrol_max_speed_kmh_bike,
                          "drive": s.patrol_max_speed_kmh_drive}, "gps_accuracy_m": s.patrol_gps_accuracy_m}


def visit_form(session: Session, point_id: int, *, caller: Caller) -> dict[str, Any]:
    """A point in the caller's region with its type's checklist (NotFound outside it)."""
    point = session.execute(text(
        "SELECT id, code, name, point_type, region_code "
        "FROM assessment_points WHERE id = :i"), {"i": point_id}).mappings().one_or_none()
    if point is None or not caller.covers(point["region_code"]):
        raise NotFound(f"assessment point {point_id} not found", field="point_id")
    return {"point": dict(point), "items": inspections.checklist(session, point["point_type"])}


def points(session: Session, *, caller: Caller, q: str = "", limit: int = 300) -> list[dict[str, Any]]:
    """Assessment points of the caller's region that have a checklist, with a spot on each (a point of an area),
    so the phone can sort them by distance; `q` keeps those whose name, code or type contains it."""
    rows = session.execute(text("""
        SELECT a.id, a.code, a.name, a.point_type, ST_X(ST_PointOnSurface(a.geom)) AS lon,
               ST_Y(ST_PointOnSurface(a.geom)) AS lat,
               (SELECT max(v.visited_at) FROM inspection_visits v WHERE v.point_id = a.id) AS last_visit
        FROM assessment_points a
        WHERE coalesce(a.region_code, '') LIKE coalesce(CAST(:s AS text), '') || '%'
          AND EXISTS (SELECT 1 FROM checklist_items c WHERE c.point_type = a.point_type)
          AND (:q = '' OR a.name LIKE '%' || :q || '%' OR a.code LIKE '%' || :q || '%' OR a.point_type = :q)
        ORDER BY a.point_type, a.name, a.id LIMIT :l"""), {"s": caller.scope, "q": q.strip(), "l": limit})
    return [dict(r) for r in rows.mappings()]


def report_form(session: Session, *, scope: str | None, role: str) -> dict[str, Any]:
    cats = [c for c in lookups.categories(session) if c["active"]]
    names = {c["code"]: c["name"] for c in cats if c["parent_code"]}
    common = [{"code": code, "name": names[code]} for code in lookups.common_categories(session, scope=scope)
              if code in names]
    sources = [(s["code"], s["name"]) for s in lookups.sources(session) if s["code"] not in ("public", "media")]
    return {"categories": cats, "common": common, "sources": sources,
            "source": SOURCE_BY_ROLE.get(role, "patrol")}
