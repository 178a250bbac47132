"""The workbench's escalation page, /maps/escalations (通报约谈): the records the ladder made, filtered by level,
state and party, each with what the office does next (通报 issued; 约谈 scheduled with date, place and attendees,
then held with minutes; 问责 decided; or waived with a reason). Reads come from layers.ledger.escalation; every write
is a data-api form of workbench.js posting the JSON API (/api/v1/escalations/{id}/actions), so its roles and
region scope apply as they are.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbSession
from api.page_kit import gate, page
from gis.errors import InvalidInput
from layers.ledger import escalation

router = APIRouter(include_in_schema=False)
PAGE = 100
LEVELS = {1: "通报", 2: "约谈", 3: "问责"}


@router.get("/maps/escalations", response_class=HTMLResponse)
def escalations_page(
    s: DbSession,
    request: Request,
    level: int | None = Query(None, ge=1, le=10),
    state: str = Query("", pattern="^(|" + "|".join(escalation.STATE_NAMES) + ")$"),
    party: str = Query("", pattern="^(|person|unit)$"),
    week: str = Query("", pattern=r"^(|\d{4}-W\d{2})$"),
    period: str = Query("", max_length=10, description="any period code: 2026-W49, 2026-11, 2026-B6 …"),
) -> Response:
    p, instead = gate(request)
    if p is None:
        return instead
    period = period or week  # the page's old links named an ISO week
    try:
        rows = escalation.listing(s, scope=p.region_code, level=level, state=state or None, party=party or None,
                                  period=period or None, limit=PAGE + 1)
        error = None
    except InvalidInput as exc:
        rows, error = [], exc.message
    return page(request, p, "escalations/list.html", active="/maps/escalations", title="通报约谈",
                rows=rows[:PAGE], more=len(rows) > PAGE, levels=LEVELS, states=escalation.STATE_NAMES,
                actions=escalation.ACTIONS,
                query={"level": level, "state": state, "party": party, "period": period}, error=error,
                settings=escalation.settings(s), city_wide=p.region_code is None, status=400 if error else 200)
