"""The field app's "me": my places today (GET /api/v1/me/places) and my tasks (GET /api/v1/me/tasks), for the
person linked to the caller's account. A token or an account linked to nobody gets an empty answer with
`person_id: null`, which the app explains."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.auth import Principal, require
from api.deps import DbSession
from layers.access import users
from layers.ledger.schemas import MyTasks
from layers.ledger.tasks import my_tasks
from layers.registry.mine import my_places
from layers.registry.schemas import MyPlaces

router = APIRouter(prefix="/api/v1", tags=["me"])


def _person(s: DbSession, p: Principal) -> int | None:
    if p.account is None:
        return None
    person = users.profile(s, p.caller)["person"]
    return person["id"] if person else None


@router.get("/me/places", summary="My current places (GeoJSON by layer), each marked patrolled today or not",
            response_model=MyPlaces)
def places(s: DbSession, principal: Principal = Depends(require("read"))) -> dict:
    return my_places(s, _person(s, principal))


@router.get("/me/tasks", summary="My open problems (mine or my unit's), soonest deadline first, with my actions",
            response_model=MyTasks)
def tasks(s: DbSession, principal: Principal = Depends(require("read"))) -> dict:
    return my_tasks(s, _person(s, principal), caller=principal.caller)
