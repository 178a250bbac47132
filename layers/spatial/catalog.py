"""What each spatial layer is: its table, geometry family, writable fields and how raw values are read.

The generic feature writer, the importer, the exporter and the HTTP API all work from these specs, so a layer's
rules are stated once. Raw values come from GeoJSON properties, CSV cells or shapefile attributes, in English
or Chinese column names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gis.errors import InvalidInput, NotFound

ROAD_CLASSES = {
    "arterial": "主干道",
    "secondary": "次干道",
    "branch": "支路",
    "back_lane": "背街小巷",
}
_ROAD_CLASS_ALIASES = {
    **{zh: en for en, zh in ROAD_CLASSES.items()},
    "主次干道": "arterial",
    "快速路": "arterial",
    # OpenStreetMap highway=* values
    "motorway": "arterial",
    "trunk": "arterial",
    "primary": "arterial",
    "motorway_link": "arterial",
    "trunk_link": "arterial",
    "primary_link": "arterial",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "secondary",
    "tertiary_link": "secondary",
    "residential": "branch",
    "unclassified": "branch",
    "living_street": "branch",
    "road": "branch",
    "service": "back_lane",
    "pedestrian": "back_lane",
    "footway": "back_lane",
    "alley": "back_lane",
    "track": "back_lane",
}
REGION_LEVELS = {"district": "区/县", "subdistrict": "街道/乡镇", "community": "社区/村"}
_LEVEL_BY_LENGTH = {6: "district", 9: "subdistrict", 12: "community"}
_LEVEL_ALIASES = {
    "区": "district",
    "县": "district",
    "区县": "district",
    "街道": "subdistrict",
    "乡镇": "subdistrict",
    "镇": "subdistrict",
    "乡": "subdistrict",
    "社区": "community",
    "村": "community",
}

# Column names as people write them → our field names.
ALIASES = {
    "名称": "name",
    "name_zh": "name",
    "编码": "code",
    "代码": "code",
    "id_code": "code",
    "级别": "level",
    "层级": "level",
    "道路等级": "road_class",
    "等级": "road_class",
    "highway": "road_class",
    "类型": "point_type",
    "点位类型": "point_type",
    "type": "point_type",
    "地址": "address",
    "起点": "section_from",
    "止点": "section_to",
    "社区编码": "community_code",
}


def road_class_of(value: str) -> str | None:
    v = str(value).strip()
    return v if v in ROAD_CLASSES else _ROAD_CLASS_ALIASES.get(v)


# Longest text each field may hold (characters); anything else that is text gets DEFAULT_TEXT_LENGTH.
TEXT_LENGTHS = {"code": 64, "name": 200, "address": 500, "section_from": 200, "section_to": 200}
DEFAULT_TEXT_LENGTH = 100
_NOT_TEXT = (dict, list, tuple, set, bool, bytes)


def _text(raw: dict[str, Any], key: str) -> str | None:
    v = raw.get(key)
    if v is None:
        return None
    if isinstance(v, float) and v != v:  # NaN from pandas
        return None
    if isinstance(v, _NOT_TEXT):  # str() would store a JSON object as "{'a': 1}"
        raise InvalidInput(f"must be text, got {type(v).__name__}", field=key)
    s = str(v).strip()
    if isinstance(v, float) and s.endswith(".0"):  # codes read as numbers from CSV/Excel
        s = s[:-2]
    if "\x00" in s:  # PostgreSQL text cannot hold it
        raise InvalidInput("must not contain NUL bytes (\\x00)", field=key)
    limit = TEXT_LENGTHS.get(key, DEFAULT_TEXT_LENGTH)
    if len(s) > limit:
        raise InvalidInput(f"may be at most {limit} characters, got {len(s)}", field=key)
    return s or None


def _osm_id(raw: dict[str, Any]) -> int | None:
    v = _text(raw, "osm_id")
    if v is None or not v.lstrip("-").isdigit():
        return None
    n = int(v)
    if not -(2**63) <= n < 2**63:  # the column is a bigint
        raise InvalidInput(f"must fit in 64 bits, got {v[:30]}", field="osm_id")
    return n


def _required(raw: dict[str, Any], key: str) -> str:
    v = _text(raw, key)
    if v is None:
        raise InvalidInput("is required", field=key)
    return v


def _digits(value: str | None, key: str, lengths: tuple[int, ...]) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]+", value) or len(value) not in lengths:
        want = " or ".join(str(n) for n in lengths)
        raise InvalidInput(f"must be {want} digits, got {value!r}", field=key)
    return value


def normalise_region(raw: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    code = _digits(_required(raw, "code"), "code", (6, 9, 12))
    assert code is not None
    level = _text(raw, "level")
    inferred = _LEVEL_BY_LENGTH[len(code)]
    if level is not None:
        level = _LEVEL_ALIASES.get(level, level)
        if level not in REGION_LEVELS:
            raise InvalidInput(f"must be one of {', '.join(REGION_LEVELS)}, got {level!r}", field="level")
        if level != inferred:
            raise InvalidInput(f"a {len(code)}-digit code is a {inferred}, not a {level}", field="level")
    return {"code": code, "name": _required(raw, "name"), "level": inferred}


def normalise_grid_cell(raw: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    code = _digits(_text(raw, "code"), "code", (15,))
    community = _digits(_text(raw, "community_code"), "community_code", (12,))
    if code and community and not code.startswith(community):
        raise InvalidInput(f"cell code {code} does not start with community code {community}", field="code")
    return {"code": code, "community_code": community or (code[:12] if code else None)}


def normalise_street(raw: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    rc_raw = _required(raw, "road_class")
    road_class = road_class_of(rc_raw)
    if road_class is None:
        allowed = ", ".join(f"{k} ({v})" for k, v in ROAD_CLASSES.items())
        raise InvalidInput(f"unknown road class {rc_raw!r}; use one of {allowed}", field="road_class")
    return {
        "code": _text(raw, "code"),
        "name": _text(raw, "name") or "",
        "road_class": road_class,
        "section_from": _text(raw, "section_from"),
        "section_to": _text(raw, "section_to"),
        "osm_id": _osm_id(raw),
    }


def normalise_point(raw: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    point_type = _required(raw, "point_type")
    known: set[str] = ctx.get("point_types", set())
    if known and point_type not in known:
        raise InvalidInput(
            f"unknown assessment point type {point_type!r}; known types: {'、'.join(sorted(known))}",
            field="point_type",
        )
    return {
        "code": _text(raw, "code"),
        "name": _required(raw, "name"),
        "point_type": point_type,
        "address": _text(raw, "address"),
    }


@dataclass(frozen=True)
class LayerSpec:
    name: str
    title: str  # zh-CN, for pages and reports
    table: str
    family: str  # geometry family, see gis.validate.FAMILIES
    normalise: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
    # Attribute columns written from normalised values, with their SQL types for the staging table.
    columns: dict[str, str]
    # Columns shown in feature properties besides id/code (derived ones included).
    output: tuple[str, ...]
    # Columns a PATCH may change (code stays: it is the stable key).
    patchable: tuple[str, ...] = field(default=())


LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in [
        LayerSpec(
            "regions",
            "行政区划",
            "regions",
            "polygon",
            normalise_region,
            columns={"name": "text", "level": "text"},
            output=("name", "level", "parent_id", "district_code"),
            patchable=("name",),
        ),
        LayerSpec(
            "grid_cells",
            "单元网格",
            "grid_cells",
            "polygon",
            normalise_grid_cell,
            columns={"community_code": "text"},
            output=("community_id", "region_code", "area_m2"),
        ),
        LayerSpec(
            "streets",
            "道路路段",
            "streets",
            "line",
            normalise_street,
            columns={
                "name": "text",
                "road_class": "text",
                "section_from": "text",
                "section_to": "text",
                "osm_id": "bigint",
            },
            output=("name", "road_class", "section_from", "section_to", "length_m", "region_code", "osm_id"),
            patchable=("name", "road_class", "section_from", "section_to"),
        ),
        LayerSpec(
            "assessment_points",
            "测评点位",
            "assessment_points",
            "point_or_polygon",
            normalise_point,
            columns={"name": "text", "point_type": "text", "address": "text"},
            output=("name", "point_type", "address", "region_code"),
            patchable=("name", "point_type", "address"),
        ),
    ]
}


def layer(name: str) -> LayerSpec:
    try:
        return LAYERS[name]
    except KeyError:
        raise NotFound(f"unknown layer {name!r}; layers are {', '.join(LAYERS)}", field="layer") from None


def apply_aliases(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in raw.items():
        key = ALIASES.get(str(k).strip(), str(k).strip())
        key = key.lower() if key.isascii() else key
        if key not in out or out[key] is None:
            out[key] = v
    return out
