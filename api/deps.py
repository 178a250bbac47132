"""What a route is handed: the request's database session, on the engine the app's lifespan created."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.db import transaction


def engine_of(request: Request) -> Engine:
    """The app's engine (set in its lifespan: api.app.create_app)."""
    return request.app.state.engine


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request, as gis.db.transaction: committed when the route returns, rolled back when it
    raises (a lost server or a cancelled statement becomes 503 there). The session takes a connection only on its
    first statement, so a route that answers without the database costs none."""
    with transaction(engine_of(request)) as session:
        yield session


# scope="function": committed before the response is sent, so a 2xx means the row is stored and a failed commit is
# still an error answer (the default, "request", would commit after the response went out).
DbSession = Annotated[Session, Depends(db_session, scope="function")]
