"""The field app's "me": my places today (GET /api/v1/me/places) and my tasks (GET /api/v1/me/tasks), for the
person linked to the caller's account. A token or an account linked to nobody gets an empty answer with
`person_id: null`, which the app explains."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from api.auth import Principal, require
from api.deps import DbSession
from layers.ledger.schemas import MyTasks
from layers.ledger.tasks import my_tasks
from layers.registry.mine import my_places
from layers.registry.schemas import MyPlaces

router = APIRouter(prefix="/api/v1", tags=["me"])



@router.get("/me/places", summary="My current places (GeoJSON by layer), each marked patrolled today or not",
            response_model=MyPlaces)
def places(s: DbSession, principal: Principal = Depends(require("read"))) -> dict:
    return my_places(s, principal.person_id)


@router.get("/me/tasks", summary="My open problems (mine or my unit's), soonest deadline first, with my actions",
            response_model=MyTasks)
def tasks(s: DbSession, overdue: bool | None = None,
          status: list[str] | None = Query(None, description="keep these statuses (e.g. dispatched, in_progress)"),
          category: list[str] | None = Query(None, description="a category code or its big class (two digits)"),
          principal: Principal = Depends(require("read"))) -> dict:
    return my_tasks(s, principal.person_id, caller=principal.caller, overdue=overdue, status=status,
                    category=category)
