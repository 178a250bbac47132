"""The newest reports first, by an index: the ledger's default order (上报时间，最新在前) reads the last page of each
month's index instead of sorting every report (a city's unfiltered list: ~1.9 s → a few ms).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX problems_reported ON problems (reported_at, id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS problems_reported")
