"""API tokens in the database: only SHA-256 hashes are stored, so a token's secret is shown once, when issued.

Who may issue, list and revoke tokens: callers with `manage_tokens` (admins), inside their own region when they
have one (a city-wide token lies outside every region). Staff do not issue tokens, not even of a lower role in
their region: a token is nobody in particular, lasts up to a year and outlives its issuer's account (disabling an
account ends its sessions, not the tokens it handed out), so the people a member of staff gives access get
accounts instead, whose actions name a person. Every issue and revoke is in the audit log, which is where the list
reads who issued a token.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gis.errors import Conflict, Forbidden, InvalidInput, NotFound
from gis.settings import get_settings
from layers.access import roles
from layers.access.caller import Caller
from layers.common.audit import record

MAX_DAYS = 3650
_LIST = text("""
    SELECT t.id, t.role, t.region_code, t.label, t.created_at, t.expires_at, t.revoked_at,
           CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked'
                WHEN t.expires_at IS NOT NULL AND t.expires_at <= now() THEN 'expired' ELSE 'active' END AS status,
           issued.actor AS issued_by
    FROM api_tokens t
    LEFT JOIN LATERAL (SELECT a.actor FROM audit_log a WHERE a.entity = 'api_tokens' AND a.entity_id = t.id::text
                       AND a.action = 'create' ORDER BY a.id LIMIT 1) issued ON true
    WHERE (CAST(:scope AS text) IS NULL OR t.region_code LIKE :scope || '%')
      AND (CAST(:id AS integer) IS NULL OR t.id = :id)
      AND (NOT CAST(:active AS boolean) OR (t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())))
    ORDER BY t.id DESC""")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def region_exists(s: Session | Connection, code: str) -> bool:
    return bool(s.execute(text("SELECT 1 FROM regions WHERE code = :c"), {"c": code}).scalar())


def insert(s: Session | Connection, *, token: str, role: str, region_code: str | None, label: str, days: int) -> int:
    return s.execute(text("INSERT INTO api_tokens (token_hash, role, region_code, label, expires_at) "
                          "VALUES (:h, :role, :region, :label, now() + make_interval(days => :days)) RETURNING id"),
                     {"h": token_hash(token), "role": role, "region": region_code, "label": label,
                      "days": days}).scalar_one()


def list_all(s: Session | Connection) -> list[dict[str, Any]]:
    rows = s.execute(text("SELECT id, role, region_code, label, created_at, expires_at, revoked_at FROM api_tokens "
                          "ORDER BY id"))
    return [dict(r) for r in rows.mappings()]


def revoke(s: Session | Connection, token_id: int) -> bool:
    return bool(s.execute(text("UPDATE api_tokens SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL"),
                          {"id": token_id}).rowcount)


def lookup(s: Session | Connection, token: str) -> Any:
    """The token's row (id, role, region_code, label, expires_at, revoked_at), or None."""
    return s.execute(text("SELECT id, role, region_code, label, expires_at, revoked_at FROM api_tokens "
                          "WHERE token_hash = :h"), {"h": token_hash(token)}).one_or_none()


# --- issuing and revoking on someone's behalf (the API, the pages, the CLI) ------------------------------------
def _require_admin(caller: Caller) -> None:
    if not caller.can("manage_tokens"):
        raise Forbidden(f"role {caller.role or 'anonymous'} may not manage tokens")


def _label(label: str | None) -> str:
    label = (label or "").strip()
    if len(label) > 200 or any(unicodedata.category(c).startswith("C") for c in label):
        raise InvalidInput("a label is at most 200 printable characters", field="label")
    return label


def _checked(s: Session, caller: Caller, role: str, region_code: str | None, days: int | None) -> tuple:
    if role not in roles.PERMISSIONS:
        raise InvalidInput(f"unknown role {role!r}; roles are {', '.join(roles.PERMISSIONS)}", field="role")
    region_code = (region_code or "").strip() or None
    if role in roles.SCOPED_ROLES and not region_code:
        raise InvalidInput(f"role {role} needs a region", field="region_code")
    if caller.scope is not None:
        if not region_code:
            raise Forbidden(f"a token you issue needs a region inside yours ({caller.scope})", field="region_code")
        caller.require_covers(region_code, what=f"region {region_code}", field="region_code")
    if region_code and not region_exists(s, region_code):
        raise InvalidInput(f"region {region_code} not found", field="region_code")
    days = get_settings().token_ttl_days if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"a token lasts 1 to {MAX_DAYS} days", field="days")
    return region_code, days


def issue(s: Session, caller: Caller, *, role: str, region_code: str | None = None, label: str = "",
          days: int | None = None) -> tuple[dict[str, Any], str]:
    """A new token: its row (as `listed` shows it) and its secret, which is never stored nor shown again."""
    _require_admin(caller)
    label = _label(label)
    region_code, days = _checked(s, caller, role, region_code, days)
    secret = "ccg_" + secrets.token_urlsafe(32)
    token_id = insert(s, token=secret, role=role, region_code=region_code, label=label, days=days)
    record(s, caller.actor, "create", "api_tokens", token_id,
           {"role": role, "region_code": region_code, "label": label, "days": days})
    return one(s, caller, token_id), secret


def listed(s: Session | Connection, caller: Caller, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Tokens of the caller's region (an admin without one: all), newest first, with their status and issuer."""
    _require_admin(caller)
    rows = s.execute(_LIST, {"scope": caller.scope, "id": None, "active": active_only}).mappings()
    return [dict(r) for r in rows]


def one(s: Session | Connection, caller: Caller, token_id: int) -> dict[str, Any]:
    _require_admin(caller)
    row = s.execute(_LIST, {"scope": caller.scope, "id": token_id, "active": False}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"token {token_id} not found", field="token_id")
    return dict(row)


def revoke_for(s: Session, caller: Caller, token_id: int) -> dict[str, Any]:
    """Revoke a token of the caller's region: it stops working at once, and so do sessions opened with it."""
    row = one(s, caller, token_id)
    if row["revoked_at"] is not None:
        raise Conflict(f"token {token_id} is already revoked", field="token_id")
    revoke(s, token_id)
    record(s, caller.actor, "revoke", "api_tokens", token_id, {"role": row["role"], "label": row["label"]})
    return one(s, caller, token_id)
