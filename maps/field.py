"""The field app's pages (/m/): what each needs from layers/ services. Phone-first, zh-CN; every write goes through
the JSON API from the phone's outbox (maps/static/m/outbox.js), so the API's roles and region scope apply."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gis.settings import get_settings
from layers.access.caller import Caller
from layers.analytics import page_data
from layers.campaign import round_visits
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


def visit_form(session: Session, point_id: int, *, caller: Caller, round_id: int | None = None) -> dict[str, Any]:
    """A point in the caller's region with its type's checklist (NotFound outside it), and the 测评 rounds in
    progress that sampled it: the one asked for (?round=) or the one it is assigned to me in is chosen."""
    point = inspections.point_in_scope(session, point_id, caller)
    offered = round_visits.rounds_of_point(session, caller, point_id)
    chosen = next((r["id"] for r in offered if r["id"] == round_id), None)
    if chosen is None and round_id is None:
        chosen = next((r["id"] for r in offered if r["mine"]), None)
    return {"point": point, "items": inspections.checklist(session, point["point_type"]), "rounds": offered,
            "round_id": chosen}


def report_form(session: Session, *, scope: str | None, role: str) -> dict[str, Any]:
    cats = [c for c in lookups.categories(session) if c["active"]]
    names = {c["code"]: c["name"] for c in cats if c["parent_code"]}
    common = [{"code": code, "name": names[code]} for code in lookups.common_categories(session, scope=scope)
              if code in names]
    sources = [(s["code"], s["name"]) for s in lookups.sources(session) if s["code"] not in ("public", "media")]
    return {"categories": cats, "common": common, "sources": sources,
            "source": SOURCE_BY_ROLE.get(role, "patrol")}
