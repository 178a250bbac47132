"""Map-page sessions: a random id in the cookie, its SHA-256 here, opened with an API token or by an account's
login (layers/access/users.py), never both.

A session ends when revoked (logout), after `idle_s` without a request, at `expires_at`, when its token is revoked
or expires, or when its account is disabled or changes its password (which revoke every session of the account).

CSRF: each session's CSRF token is derived from its id (HMAC-SHA256 keyed with the id), so nothing is stored for
it: the server recomputes it from the cookie on every request, and only the holder of the session id can know it.
The token may sit in a cookie that scripts read (`ccgrid_csrf`): it does not reveal the session id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gis.errors import Forbidden


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(s: Session | Connection, *, token_id: int | None = None, user_id: int | None = None,
                 hours: int) -> str:
    """A new session for this token or this account; returns the random id for the cookie (only its hash is
    stored)."""
    if (token_id is None) == (user_id is None):
        raise ValueError("a session belongs to a token or to an account")
    session_id = secrets.token_urlsafe(32)
    s.execute(text("INSERT INTO web_sessions (session_hash, token_id, user_id, expires_at) "
                   "VALUES (:h, :t, :u, now() + make_interval(hours => :hours))"),
              {"h": _hash(session_id), "t": token_id, "u": user_id, "hours": hours})
    return session_id


# One round trip: find the live session and its live token or active account, and note the visit (at most once a
# minute, so a page that fetches fifty tiles does not write fifty times).
_RESOLVE = text("""
    WITH found AS (
        SELECT w.id, w.last_seen_at, w.token_id, w.user_id,
               coalesce(t.role, u.role) AS role,
               CASE WHEN w.user_id IS NULL THEN t.region_code ELSE u.region_code END AS region_code,
               coalesce(t.label, u.display_name) AS label,
               u.login, u.display_name, u.person_id, u.must_change_password
        FROM web_sessions w
        LEFT JOIN api_tokens t ON t.id = w.token_id
        LEFT JOIN users u ON u.id = w.user_id
        WHERE w.session_hash = :h AND w.revoked_at IS NULL AND w.expires_at > now()
          AND w.last_seen_at > now() - make_interval(secs => :idle)
          AND ((t.id IS NOT NULL AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()))
               OR (u.id IS NOT NULL AND u.active))
    ), touched AS (
        UPDATE web_sessions w SET last_seen_at = now() FROM found
        WHERE w.id = found.id AND found.last_seen_at < now() - interval '1 minute'
    )
    SELECT token_id, user_id, role, region_code, label, login, display_name, person_id, must_change_password
    FROM found
""")


def resolve(s: Session | Connection, session_id: str, *, idle_s: int) -> dict[str, Any] | None:
    """Who is behind a live session, or None (unknown, revoked, idle too long, expired, token revoked, account
    disabled). Keys: token_id, user_id (one of them set), role, region_code, label (the token's label or the
    account's display name) and, for an account, login, display_name, person_id, must_change_password."""
    row = s.execute(_RESOLVE, {"h": _hash(session_id), "idle": idle_s}).mappings().one_or_none()
    return dict(row) if row else None


def revoke(s: Session | Connection, session_id: str) -> bool:
    done = s.execute(text("UPDATE web_sessions SET revoked_at = now() WHERE session_hash = :h AND revoked_at IS NULL"),
                     {"h": _hash(session_id)}).rowcount
    return bool(done)


def revoke_user(s: Session | Connection, user_id: int) -> int:
    """End every live session of an account (password changed or reset, account disabled); how many ended."""
    return s.execute(text("UPDATE web_sessions SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"),
                     {"u": user_id}).rowcount


_CSRF_CONTEXT = b"ccgrid csrf v1"


def csrf_token(session_id: str) -> str:
    """The session's CSRF token (64 hex digits): the same for the whole life of the session."""
    return hmac.new(session_id.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def check_csrf(session_id: str | None, presented: str | None) -> bool:
    """True when `presented` is this session's CSRF token; compared in constant time."""
    if not session_id or not presented:
        return False
    return hmac.compare_digest(csrf_token(session_id).encode(), presented.encode("utf-8", "replace"))


def require_csrf(session_id: str | None, presented: str | None) -> None:
    """For a cookie-authenticated write: 403 unless the header (or form field) carries the session's token."""
    if not check_csrf(session_id, presented):
        raise Forbidden("missing or wrong CSRF token: send the ccgrid_csrf cookie's value as X-CSRF-Token",
                        field="X-CSRF-Token")
