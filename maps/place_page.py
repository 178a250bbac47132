"""What the place page and the owners map's panel show about one place (a street segment, an assessment point, a
grid cell): the feature, its owners today per role, the gaps against the coverage rules, the history and the open
problems. Read from layers/ services; nothing here writes (the panel's forms post to the JSON API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from gis.errors import NotFound
from layers.access.caller import Caller
from layers.registry import assignments, place
from layers.spatial.catalog import layer as get_layer
from layers.spatial.features import get_feature

LAYER_NAMES = {"streets": "道路", "assessment_points": "测评点位", "grid_cells": "单元网格"}
ROAD_CLASSES = {"arterial": "主干道", "secondary": "次干道", "branch": "支路", "back_lane": "背街小巷"}
STATES = {"ok": ("已落实", "green"), "missing": ("缺责任人", "red"), "several": ("多名主责任人", "red")}


def _title(layer: str, props: dict[str, Any]) -> str:
    if layer == "streets":
        section = "—".join(x for x in (props.get("section_from"), props.get("section_to")) if x)
        return (props.get("name") or props.get("code") or "") + (f"（{section}）" if section else "")
    if layer == "assessment_points":
        return f"{props.get('name') or props.get('code')}（{props.get('point_type') or ''}）"
    return f"网格 {props.get('code')}"


def _kind(layer: str, props: dict[str, Any]) -> str:
    if layer == "streets":
        return ROAD_CLASSES.get(props.get("road_class") or "", props.get("road_class") or "")
    return props.get("point_type") or "" if layer == "assessment_points" else ""


def _rules(session: Session, layer: str, fid: int, day: date) -> list[dict[str, Any]]:
    rows = place.rule_status(session, layer, fid, on=day)
    for r in rows:
        r["state_name"], r["state_colour"] = STATES[r["state"]]
        if r["state"] == "several" and not r["exclusive"]:
            r["state_name"], r["state_colour"] = "交叉（允许）", ""
    return rows


def place_data(session: Session, layer: str, fid: int, *, caller: Caller, with_contact: bool,
               on: date | None = None) -> dict[str, Any]:
    """Everything about one place, its owners and rules as they stood on `on` (default today); NotFound for an
    unknown layer or a place outside the caller's region."""
    if layer not in place.PLACE_LAYERS:
        raise NotFound(f"no place page for layer {layer!r}", field="layer")
    feature = get_feature(session, get_layer(layer), fid, scope=caller.scope)
    props = feature["properties"]
    today = assignments.today(session)
    day = on or today
    return {
        "layer": layer, "layer_name": LAYER_NAMES[layer], "fid": fid, "feature": feature, "props": props,
        "title": _title(layer, props), "kind": _kind(layer, props), "today": today, "day": day,
        "owners": assignments.owners_of(session, layer, fid, on=day, with_contact=with_contact),
        "rules": _rules(session, layer, fid, day),
        "history": assignments.history(session, layer, fid, with_contact=with_contact),
        "problems": place.open_problems(session, layer, [fid]),
        "roles": place.roles_for(session, layer),
        "street_name": props.get("name") if layer == "streets" else None,
        "street_segments": place.street_segments(session, props.get("name"), scope=caller.scope)
        if layer == "streets" else 0,
    }
