"""The page of one problem (/maps/problems/{id}): what its template shows, gathered from layers/ services. The
page's writes (立案, 派遣, 退回 …, photo uploads) go through the JSON API from maps/static/ccgrid/problem.js.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from layers.access.caller import Caller
from layers.ledger import intake, photos, problem_view

# Where an owner of the snapshot holds: the place the report was routed to (layers/ledger/sql/ccgrid_intake.sql).
PLACES = {"street": "道路", "grid_cell": "单元网格", "assessment_point": "测评点位", "subdistrict": "街道",
          "community": "社区", "department": "职能部门"}
ROAD_CLASSES = {"arterial": "主干道", "secondary": "次干道", "branch": "支路", "back_lane": "背街小巷"}
# The map's layers, drawn bottom to top: what the problem was routed to, then the reported point.
SHAPES = (("cell_geojson", "cell", "单元网格"), ("street_geojson", "street", "道路"),
          ("point_place_geojson", "point", "测评点位"), ("point_geojson", "problem", "问题位置"))


def _when(value: str | datetime | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def map_features(where: dict[str, Any]) -> dict[str, Any]:
    """The shapes for the page's small Leaflet map, as one GeoJSON FeatureCollection."""
    features = [{"type": "Feature", "geometry": where[key], "properties": {"kind": kind, "label": label}}
                for key, kind, label in SHAPES if where.get(key)]
    return {"type": "FeatureCollection", "features": features}


def _owner_choices(owners: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot owners a 派遣 may go to, once each (a person may hold several roles of one place)."""
    seen: dict[str, dict[str, Any]] = {}
    for o in owners:
        if o.get("person_id") is not None:
            key, field, value = f"p{o['person_id']}", "assignee_person_id", o["person_id"]
        elif o.get("unit_id") is not None:
            key, field, value = f"u{o['unit_id']}", "assignee_unit_id", o["unit_id"]
        else:
            continue
        if key in seen:
            seen[key]["roles"].append(o["role_name"])
        else:
            seen[key] = {"key": key, "field": field, "id": value, "name": o.get("holder") or key,
                         "roles": [o["role_name"]]}
    return list(seen.values())


def page_data(session: Session, pid: int, *, caller: Caller, with_contact: bool) -> dict[str, Any]:
    """Everything the template needs; NotFound (a 404 page) for a problem missing or outside the caller's region."""
    problem = intake.get(session, pid, scope=caller.scope, with_contact=with_contact)
    where = problem_view.place(session, pid, caller=caller)
    events = problem_view.timeline(session, pid, caller=caller)
    shots = problem_view.photo_list(session, pid, caller=caller)
    due_at, closed_at = _when(problem.get("due_at")), _when(problem.get("closed_at"))
    acts = [] if problem.get("duplicate_of") is not None else problem_view.actions(
        session, pid, problem["status"], caller=caller, due_at=due_at)
    return {
        "problem": problem,
        "where": where,
        "road_class": ROAD_CLASSES.get(where.get("road_class") or "", where.get("road_class")),
        "features": map_features(where),
        "events": events,
        "photos": shots,
        # 疑似虚假整改: why, in words (the photos' own flags are beside each photo).
        "evidence_names": photos.flag_names(problem.get("evidence_flags")),
        "assignee": problem_view.current_assignee(events),
        "deadline": problem_view.deadline(session, due_at, final=problem["final"], closed_at=closed_at),
        "actions": acts,
        "owner_choices": _owner_choices(problem.get("owners") or []),
        "places": PLACES,
        "photo_url": f"/api/v1/problems/{pid}/photos/",
    }
