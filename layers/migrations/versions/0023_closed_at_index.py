"""The reports closed lately, by an index: the home page counts 近30天销号 without reading every closed report.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On the partitioned parent: each month's partition gets its own (and so do months created later).
    op.execute("CREATE INDEX problems_closed_at ON problems (closed_at) WHERE status = 'closed' "
               "AND duplicate_of IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS problems_closed_at")
