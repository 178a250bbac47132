"""The HTTP side of idempotency keys (layers.common.idempotency): a write route passes its work to `once`, which
runs it at most once per caller and `Idempotency-Key`. A retry is answered with the first answer, byte for byte,
and the header `Idempotency-Replayed: true`; without the header the write simply runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.orm import Session

from api.auth import Principal
from layers.common import idempotency as store

IdempotencyKey = Annotated[str | None, Header(
    alias=store.HEADER, max_length=255,
    description="a client-generated id (e.g. a UUID) for this write: sent again, the first answer comes back "
                "instead of a second write (kept 7 days; another body under the same key is 422)")]


def _caller(p: Principal) -> str:
    c = p.caller
    return f"user:{c.user_id}" if c.user_id is not None else f"token:{c.token_id}" if c.token_id else c.actor


def _stored(request: Request, result: Any) -> store.Stored:
    """The answer as the client would have received it: the route's status and its response model's JSON."""
    if isinstance(result, Response):
        return store.Stored(result.status_code, result.media_type or "application/json", bytes(result.body).decode())
    route = request.scope["route"]
    model = getattr(route, "response_model", None)
    if model is not None:
        adapter = TypeAdapter(model)
        body = adapter.dump_json(adapter.validate_python(result),
                                 exclude_unset=route.response_model_exclude_unset).decode()
    else:
        body = json.dumps(jsonable_encoder(result), ensure_ascii=False)
    return store.Stored(route.status_code or 200, "application/json", body)


def body_of(model: BaseModel) -> bytes:
    """A request body as the fingerprint sees it: ASCII JSON, so text the write will refuse (a lone surrogate)
    still hashes and the write gives its own 422."""
    return json.dumps(model.model_dump(mode="python"), default=str, ensure_ascii=True, sort_keys=True).encode()


def once(s: Session, request: Request, principal: Principal, key: str | None,
         fingerprint: Callable[[], bytes], write: Callable[[], Any]) -> Any:
    """Run `write` at most once per caller and key; `fingerprint` (called only with a key) names the request."""
    if key is None:
        return write()
    raw = fingerprint()
    got = store.claim(s, caller=_caller(principal), key=key, route=f"{request.method} {request.url.path}",
                      fingerprint=hashlib.sha256(raw).hexdigest())
    if isinstance(got, store.Stored):
        return Response(got.body, status_code=got.status, media_type=got.media_type,
                        headers={"Idempotency-Replayed": "true"})
    answer = _stored(request, write())
    store.save(s, got, answer)
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type)
