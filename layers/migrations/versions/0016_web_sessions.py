"""Map-page sessions and failed-credential counters.

`web_sessions`: the map pages' cookie holds a random session id, never the bearer token; only its SHA-256 is
stored. A session is opened with an API token (`token_id`) and dies with it, when revoked (logout), when idle too
long or at its absolute expiry. User accounts (next issue) add a `user_id` column here: `token_id` may then be NULL.

`auth_failures`: failed tokens, api_keys and logins per key (`ip:…`, `account:…`) in a fixed window, counted in the
database so that every worker process sees the same count.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE web_sessions (
            id           bigserial PRIMARY KEY,
            session_hash char(64) NOT NULL UNIQUE,
            token_id     integer REFERENCES api_tokens (id) ON DELETE CASCADE,
            created_at   timestamptz NOT NULL DEFAULT now(),
            last_seen_at timestamptz NOT NULL DEFAULT now(),
            expires_at   timestamptz NOT NULL,
            revoked_at   timestamptz
        );
        CREATE INDEX web_sessions_token ON web_sessions (token_id);

        CREATE TABLE auth_failures (
            key          text PRIMARY KEY,
            window_start timestamptz NOT NULL DEFAULT now(),
            failures     integer NOT NULL DEFAULT 0
        );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS web_sessions, auth_failures")
