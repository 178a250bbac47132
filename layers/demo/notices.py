"""Demo 通报: last week's and last 双月's, published for the demo county, so the 通报 register, the printable page,
the Word document and the 负面清单 have something to show on a fresh demo. Published notices are frozen records and
survive a demo reload; a period already in force is left as it is."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from gis import periods
from gis.errors import Conflict
from layers.access.caller import SYSTEM
from layers.campaign import notice_service

DEMO = replace(SYSTEM, actor="demo")


def load(session: Session, today: date, district: str) -> None:
    for kind in ("week", "bimonth"):
        period = periods.last_complete(kind, today).code
        try:
            with session.begin_nested():
                notice_service.publish(session, caller=DEMO, period=period, scope=district,
                                       min_sample=3 if kind == "week" else 10, min_ranked=2)
        except Conflict:
            pass  # in force from an earlier load: a published notice never changes
