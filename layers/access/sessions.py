"""Map-page sessions: a random id in the cookie, its SHA-256 here, opened with an API token.

A session ends when revoked (logout), after `idle_s` without a request, at `expires_at`, or when its token is
revoked or expires. The next issue opens sessions for user accounts in the same table (a `user_id` column).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(s: Session | Connection, *, token_id: int, hours: int) -> str:
    """A new session for this token; returns the random id for the cookie (only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    s.execute(text("INSERT INTO web_sessions (session_hash, token_id, expires_at) "
                   "VALUES (:h, :t, now() + make_interval(hours => :hours))"),
              {"h": _hash(session_id), "t": token_id, "hours": hours})
    return session_id


# One round trip: find the live session and its live token, and note the visit (at most once a minute, so a page
# that fetches fifty tiles does not write fifty times).
_RESOLVE = text("""
    WITH found AS (
        SELECT w.id, w.last_seen_at, t.id AS token_id, t.role, t.region_code, t.label
        FROM web_sessions w JOIN api_tokens t ON t.id = w.token_id
        WHERE w.session_hash = :h AND w.revoked_at IS NULL AND w.expires_at > now()
          AND w.last_seen_at > now() - make_interval(secs => :idle)
          AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
    ), touched AS (
        UPDATE web_sessions w SET last_seen_at = now() FROM found
        WHERE w.id = found.id AND found.last_seen_at < now() - interval '1 minute'
    )
    SELECT token_id, role, region_code, label FROM found
""")


def resolve(s: Session | Connection, session_id: str, *, idle_s: int) -> dict[str, Any] | None:
    """The token behind a live session, or None (unknown, revoked, idle too long, expired)."""
    row = s.execute(_RESOLVE, {"h": _hash(session_id), "idle": idle_s}).mappings().one_or_none()
    return dict(row) if row else None


def revoke(s: Session | Connection, session_id: str) -> bool:
    done = s.execute(text("UPDATE web_sessions SET revoked_at = now() WHERE session_hash = :h AND revoked_at IS NULL"),
                     {"h": _hash(session_id)}).rowcount
    return bool(done)
