"""Idempotency keys: the first answer to a write, kept per caller and key, so that a retried request (the phone
lost the answer on a weak link) is answered again instead of written twice.

claim() runs inside the write's own transaction, before the write: it takes a transaction-scoped advisory lock
on (caller, key) so two copies of one request cannot both write (the second is told the first is in flight), and
answers the stored reply when the key was used before. save() stores the reply in the same transaction, so the
key exists exactly when the write does."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.errors import Conflict, InvalidInput
from gis.settings import get_settings

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Stored:
    status: int
    media_type: str
    body: str


@dataclass(frozen=True)
class Claim:
    caller: str
    key: str
    route: str
    fingerprint: str


def claim(session: Session, *, caller: str, key: str, route: str, fingerprint: str) -> Claim | Stored:
    """The key is ours to write with (a Claim), or was used before: its stored answer."""
    if not key or len(key) > 255 or not key.isprintable():
        raise InvalidInput("must be 1 to 255 printable characters", field=HEADER)
    got = session.execute(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:c || ' ' || :k, 0))"),
                          {"c": caller, "k": key}).scalar_one()
    if not got:
        raise Conflict("a request with this Idempotency-Key is still being processed; send it again shortly",
                       field=HEADER)
    days = get_settings().idempotency_days
    if random.random() < 0.01:  # forget expired keys now and then, not on every write
        session.execute(text("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(days => :d)"),
                        {"d": days})
    row = session.execute(text(
        "SELECT route, fingerprint, status, media_type, body FROM idempotency_keys WHERE caller = :c AND key = :k "
        "AND created_at >= now() - make_interval(days => :d)"), {"c": caller, "k": key, "d": days}).one_or_none()
    if row is None:
        return Claim(caller, key, route, fingerprint)
    if row.route != route or row.fingerprint != fingerprint:
        raise InvalidInput("was used for a different request; use a new key for each write", field=HEADER)
    return Stored(row.status, row.media_type, row.body)


def save(session: Session, c: Claim, answer: Stored) -> None:
    # An expired row of the same key may still be there: the new answer replaces it.
    session.execute(text(
        "INSERT INTO idempotency_keys (caller, key, route, fingerprint, status, media_type, body) "
        "VALUES (:c, :k, :r, :f, :s, :m, :b) ON CONFLICT (caller, key) DO UPDATE SET route = EXCLUDED.route, "
        "fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, media_type = EXCLUDED.media_type, "
        "body = EXCLUDED.body, created_at = now()"),
        {"c": c.caller, "k": c.key, "r": c.route, "f": c.fingerprint, "s": answer.status, "m": answer.media_type,
         "b": answer.body})
