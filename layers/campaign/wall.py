"""The 大屏's answer: the day's numbers, trends and areas (layers.analytics.overview) with the current 测评 round —
the campaign builds on the analytics, so the round joins here, not there."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from layers.analytics import overview as day
from layers.campaign.rounds import current_round_summary


def overview(session: Session, *, scope: str | None, days: int = day.DAYS[0]) -> dict[str, Any]:
    body = day.overview(session, scope=scope, days=days)
    body["round"] = current_round_summary(session, scope)
    return body
