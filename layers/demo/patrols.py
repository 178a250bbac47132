"""Demo patrols: street chiefs and grid workers walked most urban streets recently, some a while ago, a few never,
so the patrol-gap map has something true to show."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
from shapely import wkt
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.sql import load as load_sql
from layers.access.caller import SYSTEM
from layers.ledger.inspections import record_patrol

DEMO = replace(SYSTEM, actor="demo")  # the demo's rows are found again by created_by = 'demo'
WALK_M_PER_MIN = 60  # a patrol on foot, stopping to look


def load(session: Session, rng: np.random.Generator, now: datetime, district: str) -> int:
    # Named urban streets as walked in one go (their segments merged into one line where they join up).
    streets = session.execute(text(load_sql(__file__, "patrol_streets")), {"d": district, "core": district + "0"}).all()
    walkers = session.execute(text(load_sql(__file__, "patrol_walkers"))).all()
    if not walkers:
        return 0
    made = 0
    for _name, line, metres in streets:
        roll = rng.random()
        if roll < 0.12:
            continue  # never walked
        # Most walked within the week, some two or three weeks ago (stale for a weekly duty).
        days_ago = rng.uniform(0.2, 6.5) if roll < 0.75 else rng.uniform(8, 25)
        started = now - timedelta(days=float(days_ago))
        person_id, walker = walkers[int(rng.integers(len(walkers)))]
        record_patrol(session, track=wkt.loads(line), started_at=started,
                      ended_at=started + timedelta(minutes=max(5.0, metres / WALK_M_PER_MIN)),
                      walker=walker, person_id=person_id, caller=DEMO)
        made += 1
    return made
