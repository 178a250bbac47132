"""What a route is handed: the request's database session, on the engine the app's lifespan created."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.db import transaction


def engine_of(request: Request) -> Engine:
    """The app's engine (set in its lifespan: api.app.create_app)."""
    return request.app.state.engine


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, as gis.db.transaction: committed when the route returns, rolled back when it
    raises (a lost server or a cancelled statement becomes 503 there)."""
    unit = transaction(engine_of(request))
    # Entered on the event loop: a session takes its connection on first use, in the route's own thread. Only the
    # commit or rollback goes to a worker thread: one hop per request, not two (a sync generator's enter and exit).
    session = unit.__enter__()
    try:
        yield session
    except BaseException as exc:
        if not await run_in_threadpool(unit.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await run_in_threadpool(unit.__exit__, None, None, None)


# scope="function": committed before the response is sent, so a 2xx means the row is stored and a failed commit is
# still an error answer (the default, "request", would commit after the response went out).
DbSession = Annotated[Session, Depends(db_session, scope="function")]
