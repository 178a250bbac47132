"""Idempotency keys: a phone that lost the answer to a write sends it again with the same `Idempotency-Key` and
gets the first answer back instead of a second problem, photo, action or patrol. One row per caller and key,
written in the same transaction as the write it answers (so a write and its key commit or vanish together), kept
`CCGRID_IDEMPOTENCY_DAYS` (7) days.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE idempotency_keys (
            caller      text NOT NULL,         -- user:<id> or token:<id>: one caller's key is not another's
            key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
            route       text NOT NULL,         -- method and path of the first request
            fingerprint text NOT NULL,         -- sha256 of its body: the same key with another body is refused
            status      smallint NOT NULL,
            media_type  text NOT NULL,
            body        text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (caller, key)
        );
        CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")
