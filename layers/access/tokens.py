"""API tokens in the database: only SHA-256 hashes are stored. Which roles exist and what they may do is the
API's business (api/auth.py); this module only reads and writes the rows."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def region_exists(s: Session | Connection, code: str) -> bool:
    return bool(s.execute(text("SELECT 1 FROM regions WHERE code = :c"), {"c": code}).scalar())


def insert(s: Session | Connection, *, token: str, role: str, region_code: str | None, label: str, days: int) -> None:
    s.execute(text("INSERT INTO api_tokens (token_hash, role, region_code, label, expires_at) "
                   "VALUES (:h, :role, :region, :label, now() + make_interval(days => :days))"),
              {"h": token_hash(token), "role": role, "region": region_code, "label": label, "days": days})


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
