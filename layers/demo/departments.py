"""The demo city's functional departments (职能部门) and who handles what, after the seeds' 分工: 路口 and parking to
交警, markets to 市场监管, construction and 背街小巷 facilities to 住建, 广告牌匾 and street order to 城管 (综合执法),
rubbish and toilets to 环卫, parks to 园林, 蜘蛛网线 to the power and telecom companies.

Each department has a head (一把手): a unit escalated to 约谈 sends its head.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

SUFFIX = "（示例）"

# (key, unit name, head's title)
DEPARTMENTS = [
    ("traffic", "县公安局交通管理大队", "大队长"),
    ("market", "县市场监督管理局", "局长"),
    ("housing", "县住房和城乡建设局", "局长"),
    ("urban", "县城市管理综合执法局", "局长"),
    ("sanitation", "县环境卫生管理处", "处长"),
    ("parks", "县园林绿化中心", "主任"),
    ("power", "国网供电公司县分公司", "经理"),
    ("telecom", "县通信发展管理办公室", "主任"),
]

# (department, category or its class, duty, point type, road class)
RULES: list[tuple[str, str | None, str, str | None, str | None]] = [
    ("traffic", "0403", "lead", None, None),          # 机动车乱停放
    ("traffic", None, "lead", "交通路口", None),        # anything at a 路口
    ("traffic", None, "assist", "公交站台", None),
    ("market", None, "lead", "农贸市场", None),
    ("market", None, "assist", "商场超市", None),
    ("market", "0104", "assist", None, None),         # 油烟污染
    ("housing", "03", "lead", None, None),            # 施工管理
    ("housing", None, "lead", "建筑工地", None),
    ("housing", "05", "lead", None, "back_lane"),     # facilities of 背街小巷
    ("housing", "0501", "lead", None, None),          # 井盖缺失
    ("housing", "0602", "assist", None, None),        # 乱搭乱建
    ("urban", "02", "lead", None, None),              # 宣传广告 (广告牌匾, 小广告)
    ("urban", "04", "lead", None, None),              # 街面秩序
    ("urban", "0602", "lead", None, None),
    ("urban", "0603", "lead", None, None),
    ("urban", "0604", "lead", None, None),
    ("urban", "0605", "lead", None, None),
    ("urban", "0502", "lead", None, None),            # 路灯不亮
    ("sanitation", "01", "lead", None, None),         # 市容环境
    ("sanitation", "0503", "lead", None, None),       # 公厕设施损坏
    ("sanitation", None, "lead", "公共厕所", None),
    ("parks", None, "lead", "公园广场", None),
    ("power", "0601", "lead", None, None),            # 蜘蛛网线
    ("telecom", "0601", "assist", None, None),
]


def load(session: Session, district: str, new_person: Any) -> dict[str, int]:
    """Create the departments with their heads and the rules; returns unit ids by key. `new_person(title, region,
    unit)` makes a synthetic person (the demo's roster)."""
    ids: dict[str, int] = {}
    for key, name, head_title in DEPARTMENTS:
        unit = session.execute(text(
            "INSERT INTO units (name, kind, region_code) VALUES (:n, 'department', :r) RETURNING id"),
            {"n": name + SUFFIX, "r": district}).scalar_one()
        head = new_person(head_title, district, unit)
        session.execute(text("UPDATE units SET head_person_id = :h WHERE id = :u"), {"h": head, "u": unit})
        ids[key] = unit
    session.execute(text(
        "INSERT INTO department_rules (unit_id, category_code, duty, point_type, road_class, note) "
        "VALUES (:u, :c, :d, :t, :r, 'demo')"),
        [{"u": ids[k], "c": c, "d": d, "t": t, "r": r} for k, c, d, t, r in RULES])
    return ids


def clear(session: Session) -> None:
    session.execute(text("DELETE FROM problem_departments pd USING units u "
                         "WHERE u.id = pd.unit_id AND u.name LIKE '%' || :s"), {"s": SUFFIX})
    session.execute(text("DELETE FROM department_rules d USING units u "
                         "WHERE u.id = d.unit_id AND u.name LIKE '%' || :s"), {"s": SUFFIX})
    session.execute(text("UPDATE units SET head_person_id = NULL WHERE name LIKE '%' || :s"), {"s": SUFFIX})
