"""An assignment may be withdrawn on the day it starts: `valid_to = valid_from`, an empty term that was never in
force (assignments_on never returns it; an empty daterange overlaps nothing, so it blocks no exclusive owner).
The office assigns someone, sees it was the wrong person and hands the place over the same day; the row stays in
the place's history, as it happened.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE assignments DROP CONSTRAINT assignments_period,
            ADD CONSTRAINT assignments_period CHECK (valid_to IS NULL OR valid_to >= valid_from);
    """)


def downgrade() -> None:
    op.execute("""
        DELETE FROM assignments WHERE valid_to = valid_from;
        ALTER TABLE assignments DROP CONSTRAINT assignments_period,
            ADD CONSTRAINT assignments_period CHECK (valid_to IS NULL OR valid_to > valid_from);
    """)
