"""Demo 测评 rounds: last 双月's 双月测评 of the county, closed, with every sampled point visited; this 双月's, in
progress, about half visited (its sample always holds the points that failed last time and the 易失分 points flagged
here). So the rounds pages, the comparison with the previous round and the field app have something to show."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import periods
from layers.access.caller import SYSTEM
from layers.campaign import round_visits, rounds, sampling
from layers.campaign.rounds import Quota
from layers.ledger import inspections

DEMO = replace(SYSTEM, actor="demo", permissions=SYSTEM.permissions | {"run_rounds"})
QUOTAS = [Quota("小区", share=0.5), Quota("老旧小区", share=0.5), Quota("交通路口", share=0.4),
          Quota("公交站台", share=0.3), Quota("公共厕所", share=0.5), Quota("背街小巷", share=0.5),
          Quota("农贸市场", count=1), Quota("城中村", count=2), Quota("中小学校", count=2)]
WEAK_TYPES = ("农贸市场", "城中村", "老旧小区")  # the seeds' weak points (易失分点位)
FAIL = {"农贸市场": 0.35, "城中村": 0.35, "老旧小区": 0.3}  # how often an item fails, by type (else 0.12)


def clear(session: Session, district: str) -> None:
    """The demo's rounds (and the visits that counted for them: a visit points at its sample row)."""
    ids = list(session.execute(text("SELECT id FROM assessment_rounds WHERE starts_with(coalesce(scope_code, ''), :d) "
                                    "OR created_by = 'demo'"), {"d": district}).scalars())
    session.execute(text("DELETE FROM inspection_visits WHERE round_id = ANY(:r)"), {"r": ids})
    session.execute(text("DELETE FROM assessment_rounds WHERE id = ANY(:r)"), {"r": ids})


def _visit_all(session: Session, rng: np.random.Generator, round_id: int, start: datetime, end: datetime,
               share: float) -> None:
    """Visit `share` of the round's points at times spread over [start, end); items fail at their type's rate."""
    points = session.execute(text("SELECT point_id, point_type FROM assessment_round_points WHERE round_id = :r "
                                  "ORDER BY draw_key"), {"r": round_id}).all()
    if end <= start:  # the first minutes of a period: visits of the last hour
        start = end - timedelta(hours=1)
    span = (end - start).total_seconds()
    for point_id, point_type in points[: round(len(points) * share)]:
        items = inspections.checklist(session, point_type)
        fail = FAIL.get(point_type, 0.12)
        results = {i["code"]: bool(rng.random() >= fail) for i in items}
        at = start + timedelta(seconds=float(rng.uniform(0.05, 0.95)) * span)
        round_visits.visit(session, point_id=point_id, round_id=round_id, inspector="测评员（示例）",
                           results=results, notes={c: "现场检查发现（示例）" for c, ok in results.items() if not ok},
                           visited_at=at, caller=DEMO)


def load(session: Session, rng: np.random.Generator, now: datetime, district: str) -> dict[str, int]:
    session.execute(text("""
        INSERT INTO weak_points (point_id, kind, note, created_by)
        SELECT id, 'easy_loss', '历次测评易失分（示例）', 'demo' FROM assessment_points
        WHERE district_code = :d AND point_type = ANY(:t) ORDER BY id
        ON CONFLICT (point_id) DO NOTHING"""), {"d": district, "t": list(WEAK_TYPES)})
    current = periods.containing("bimonth", now.date())
    made = {}
    for period, state in ((current.previous(), "closed"), (current, "in_progress")):
        name = f"{period.year}年{2 * period.number - 1}—{2 * period.number}月双月测评（示例）"
        r = rounds.create(session, DEMO, name=name, kind="bimonthly", period=period.code, scope=district,
                          quotas=QUOTAS, seed=2021 + period.number)
        sampling.sample(session, DEMO, r["id"])
        rounds.start(session, DEMO, r["id"])
        start, end = period.bounds()
        _visit_all(session, rng, r["id"], start, min(end, now - timedelta(minutes=5)),
                   1.0 if state == "closed" else 0.5)
        if state == "closed":
            rounds.close(session, DEMO, r["id"])
        made[state] = r["id"]
    return made
