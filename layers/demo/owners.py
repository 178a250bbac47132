"""The demo city's street-chief registry: synthetic people and units, assignments with a realistic mix of gaps.

Real registries are never complete, and the coverage report has to show that: some streets have no 街长 or 路长,
one village has no 网格员, some markets and toilets have no 责任人, a few assignments run out soon, one 街长 carries
too many kilometres, one street has two 区级街长 (交叉), and a few new people have no assignment yet. One road also
changed hands on 2026-03-01, so the history has something to answer. Rural 路长 who walk a whole 乡道 also exceed
their kilometre limit, as they do in real rosters.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load as load_sql
from layers.demo import departments as demo_departments

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "建国伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华红玉梅鹏飞志强海燕晓东春雷文博宇浩然子涵"
START = date(2026, 1, 1)
HANDOVER = date(2026, 3, 1)
UNITS = [("县教育体育局", "government"), ("县交通运输局", "government"), ("县卫生健康委员会", "government")]
# The 责任单位 of a point by its type (the rest: its 街道's office); departments by their key in demo/departments.py.
POINT_UNITS = {"农贸市场": "market", "建筑工地": "housing", "公园广场": "parks", "环卫中转站": "sanitation",
               "中小学校": "县教育体育局", "学校周边": "县教育体育局", "车站": "县交通运输局",
               "医院": "县卫生健康委员会"}
KEEPER_ROLES = {"toilet_chief": "公共厕所所长", "estate_chief": "小区区长", "point_keeper": "点位责任人"}


class _Names:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.n = 0

    def person(self) -> tuple[str, str]:
        self.n += 1
        name = SURNAMES[self.rng.integers(len(SURNAMES))] + "".join(
            GIVEN[i] for i in self.rng.integers(len(GIVEN), size=int(self.rng.integers(1, 3))))
        return name + "（示例）", f"139{self.n:08d}"


def _people(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    ids = []
    for r in rows:  # a few thousand at city scale; each returns its id
        ids.append(session.execute(text(
            "INSERT INTO people (name, phone, unit_id, title, region_code, reports_to_id) "
            "VALUES (:name, :phone, :unit_id, :title, :region_code, :reports_to_id) RETURNING id"),
            {"unit_id": None, "reports_to_id": None, "title": None, **r}).scalar_one())
    return ids


class _Roster:
    """The assignments being built for one district, and the people they go to (in the order they are drawn, so
    the same seed gives the same city)."""

    def __init__(self, session: Session, rng: np.random.Generator, district: str):
        self.session, self.rng, self.district = session, rng, district
        self.names = _Names(rng)
        self.rows: list[dict[str, Any]] = []

    def give(self, role: str, layer: str, ids: list[int], person: int | None = None, unit: int | None = None,
             valid_from: date = START, valid_to: date | None = None, group: str | None = None) -> None:
        self.rows.extend({"role": role, "person_id": person, "unit_id": unit, "layer": layer, "feature_id": f,
                          "valid_from": valid_from, "valid_to": valid_to, "street_group": group} for f in ids)

    def new_person(self, title: str, region: str, unit: int | None = None, boss: int | None = None) -> int:
        name, phone = self.names.person()
        return _people(self.session, [{"name": name, "phone": phone, "title": title, "region_code": region,
                                       "unit_id": unit, "reports_to_id": boss}])[0]

    def unit(self, name: str, kind: str, region: str) -> int:
        return self.session.execute(text(
            "INSERT INTO units (name, kind, region_code) VALUES (:n, :k, :r) RETURNING id"),
            {"n": name, "k": kind, "r": region}).scalar_one()


def load(session: Session, rng: np.random.Generator, district: str) -> None:
    roster = _Roster(session, rng, district)
    unit_ids: dict[str, int] = {name: roster.unit(name + "（示例）", kind, district) for name, kind in UNITS}
    unit_ids.update(demo_departments.load(session, district, roster.new_person))
    subs = session.execute(text(
        "SELECT code, name FROM regions WHERE level = 'subdistrict' AND code LIKE :d || '%' ORDER BY code"),
        {"d": district}).all()
    for code, name in subs:
        unit_ids[code] = roster.unit(name.replace("（示例）", "") + "办事处（示例）", "government", code)
    # 包保领导: one county leader per sub-district.
    leaders = {}
    for code, _ in subs:
        leaders[code] = roster.new_person("县级包保领导", district, unit_ids["urban"])
        sub_id = session.execute(text("SELECT id FROM regions WHERE code = :c"), {"c": code}).scalar_one()
        roster.give("patron_leader", "regions", [sub_id], leaders[code])
    _streets(roster, unit_ids, leaders)
    _grid_workers(roster)
    _points(roster, unit_ids)
    # New people not yet given a patch.
    for code, _ in subs[:2]:
        roster.new_person("网格员（待分配）", code)
    _store(session, roster.rows)


def _streets(roster: _Roster, unit_ids: dict[str, int], leaders: dict[str, int]) -> None:
    """Streets, grouped by name within each sub-district (a 街道 runs its own stretch of a long road)."""
    give, new_person, rng, district = roster.give, roster.new_person, roster.rng, roster.district
    streets = roster.session.execute(text(
        "SELECT id, name, road_class, left(region_code, 9) AS sub, length_m FROM streets "
        "WHERE district_code = :d ORDER BY id"), {"d": district}).all()
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for s in streets:
        groups[(s.sub, s.name)].append(s)
    overloaded = new_person("区级街长", district)
    overloaded_km = 0.0
    lanes_seen: dict[str, int] = defaultdict(int)
    for n, ((sub, street_name), segs) in enumerate(sorted(groups.items())):
        ids = [s.id for s in segs]
        road_class = segs[0].road_class
        if road_class == "branch":
            continue  # no rule asks for owners of branch roads; real rosters leave most of them out too
        boss = leaders.get(sub)
        # Each 街道's first two 背街小巷 have no 街长 yet: a gap the coverage pages always show.
        lanes_seen[sub] += road_class == "back_lane"
        lane_gap = road_class == "back_lane" and lanes_seen[sub] <= 2
        if road_class == "arterial" and overloaded_km < 8:
            # One 区级街长 takes arterials until past 8 km: over the role's 6 km limit.
            give("district_street_chief", "streets", ids, overloaded, group=street_name)
            overloaded_km += sum(s.length_m for s in segs) / 1000
        elif lane_gap:
            pass
        elif rng.random() > 0.1:  # 10% of the other street groups lack a 街长
            level, title = (("district_street_chief", "区级街长") if road_class == "arterial"
                            else ("subdistrict_street_chief", "街道级街长"))
            give(level, "streets", ids, new_person(title, sub, unit_ids.get(sub), boss), group=street_name)
        if road_class in ("arterial", "secondary") and rng.random() > 0.1:
            first = new_person("路长", sub, unit_ids.get(sub))
            if n % 17 == 0:  # handed over on 2026-03-01
                give("road_chief", "streets", ids, first, valid_to=HANDOVER, group=street_name)
                give("road_chief", "streets", ids, new_person("路长", sub, unit_ids.get(sub)),
                     valid_from=HANDOVER, group=street_name)
            elif n % 13 == 0:  # a term that ends within the month
                give("road_chief", "streets", ids, first, valid_to=date(2026, 12, 10), group=street_name)
            else:
                give("road_chief", "streets", ids, first, group=street_name)
        if road_class == "arterial" and n % 11 == 0:  # 交叉: a second 区级街长 on the same stretch
            give("district_street_chief", "streets", ids, new_person("区级街长", district), group=street_name)
        if road_class == "arterial" and rng.random() < 0.5:  # 门前五包: a shop on the street
            shop = roster.unit(f"{street_name}{n}号商户（示例）", "storefront", sub)
            give("storefront", "streets", ids[:2], unit=shop, group=street_name)


def _grid_workers(roster: _Roster) -> None:
    """网格员: one per 40 cells; the last community has none yet."""
    communities = roster.session.execute(text(
        "SELECT c.code, c.id, array_agg(g.id ORDER BY g.code) FROM regions c "
        "JOIN grid_cells g ON g.community_id = c.id WHERE c.code LIKE :d || '%' GROUP BY c.code, c.id ORDER BY c.code"),
        {"d": roster.district}).all()
    for code, community_id, cell_ids in communities[:-1]:
        chief = roster.new_person("片长", code)
        roster.give("area_chief", "regions", [community_id], chief)
        for i in range(0, len(cell_ids), 40):
            roster.give("grid_worker", "grid_cells", cell_ids[i:i + 40], roster.new_person("网格员", code, None, chief))


def _points(roster: _Roster, unit_ids: dict[str, int]) -> None:
    """Assessment points get the roles their type's coverage rules ask for (每个点位有人管), with the gaps of a real
    roster: a market always has its 责任单位, one in five has no 点位责任人 yet; elsewhere about one place in seven
    lacks a keeper and one in ten a unit. A keeper (所长, 区长, 点位责任人) keeps up to three places in a community."""
    give, new_person, rng = roster.give, roster.new_person, roster.rng
    points = roster.session.execute(text(load_sql(__file__, "points_required")), {"d": roster.district}).all()
    keeper_load: dict[str, tuple[int, int]] = {}
    for p in points:
        t, region = p.point_type, p.region_code
        if "responsible_unit" in p.families and (t == "农贸市场" or rng.random() > 0.1):
            unit = unit_ids.get(POINT_UNITS.get(t, ""), unit_ids.get(region[:9]))
            give("responsible_unit", "assessment_points", [p.id], unit=unit)
        role = next((r for r in KEEPER_ROLES if r in p.roles), None)
        if role is None or rng.random() < (0.2 if t == "农贸市场" else 0.15):
            continue
        holder, count = keeper_load.get(f"{role}{region}", (0, 3))
        if count >= 3:
            holder, count = new_person(KEEPER_ROLES[role], region), 0
        keeper_load[f"{role}{region}"] = (holder, count + 1)
        give(role, "assessment_points", [p.id], holder)


def _store(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(text(load_sql(__file__, "assignments_insert")), rows)
    # Each assignment's region is its feature's, for scoping: one whole statement per layer.
    for layer in ("streets", "grid_cells", "assessment_points", "regions"):
        session.execute(text(load_sql(__file__, f"assignment_regions_{layer}")))


def clear(session: Session, district: str) -> None:
    demo_departments.clear(session)
    session.execute(text("DELETE FROM assignments WHERE region_code LIKE :d || '%' OR created_by = 'demo'"),
                    {"d": district})
    session.execute(text("DELETE FROM people WHERE name LIKE '%（示例）'"))
    session.execute(text("DELETE FROM units WHERE name LIKE '%（示例）'"))
