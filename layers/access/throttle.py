"""Failed credentials counted per key (`ip:<address>`, `account:<name>`) in a fixed window, in the database.

Counting in PostgreSQL means every worker process sees the same count. Each failure is one upsert on its own
connection (autocommit), so the failure is kept even when the request's own transaction rolls back.
"""

from __future__ import annotations

import random

from sqlalchemy import text

from gis.db import autocommit

_FAIL = text("""
    INSERT INTO auth_failures AS f (key, window_start, failures)
    SELECT k, now(), 1 FROM unnest(CAST(:keys AS text[])) AS k
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN f.window_start > now() - make_interval(secs => :w) THEN f.failures + 1 ELSE 1 END,
        window_start = CASE WHEN f.window_start > now() - make_interval(secs => :w) THEN f.window_start
                            ELSE now() END
    RETURNING key, failures,
              ceil(extract(epoch FROM window_start + make_interval(secs => :w) - now()))::int AS wait
""")

_STATE = text("""
    SELECT key, failures, ceil(extract(epoch FROM window_start + make_interval(secs => :w) - now()))::int AS wait
    FROM auth_failures WHERE key = ANY(CAST(:keys AS text[])) AND window_start > now() - make_interval(secs => :w)
""")


def _over(rows, limits: dict[str, int], *, strict: bool) -> int | None:
    waits = [r.wait for r in rows if (r.failures > limits[r.key] if strict else r.failures >= limits[r.key])]
    return max(max(waits), 1) if waits else None


def record_failure(limits: dict[str, int], window_s: int) -> int | None:
    """Count one failure against each key; seconds to wait when a key has now gone past its limit, else None."""
    if not limits:
        return None
    with autocommit() as conn:
        rows = conn.execute(_FAIL, {"keys": list(limits), "w": window_s}).all()
        if random.random() < 0.01:  # forget old windows now and then: a table of every address ever seen is no use
            conn.execute(text("DELETE FROM auth_failures WHERE window_start < now() - make_interval(secs => :w)"),
                         {"w": 2 * window_s})
    return _over(rows, limits, strict=True)


def retry_after(limits: dict[str, int], window_s: int) -> int | None:
    """Seconds to wait when a key already used up its failures in this window (check before verifying)."""
    if not limits:
        return None
    with autocommit() as conn:
        rows = conn.execute(_STATE, {"keys": list(limits), "w": window_s}).all()
    return _over(rows, limits, strict=False)


def clear(keys: list[str]) -> None:
    """A success forgives an account's earlier failures (never an address's: an attacker has a token too)."""
    with autocommit() as conn:
        conn.execute(text("DELETE FROM auth_failures WHERE key = ANY(CAST(:keys AS text[]))"), {"keys": keys})
