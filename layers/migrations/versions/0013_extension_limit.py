"""How far a 延期 may push a problem's deadline, per category.

Without a bound an extension to 9999-12-31 was accepted: the problem is never overdue again and drops out of every
超期 count. Each small class now says how many working days one extension may add at most (counted on the work
calendar from the current deadline, or from now when there is none); 20 working days (four weeks) by default.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE problem_categories
            ADD COLUMN max_extension_days integer NOT NULL DEFAULT 20
                CHECK (max_extension_days BETWEEN 1 AND 250)""")


def downgrade() -> None:
    op.execute("ALTER TABLE problem_categories DROP COLUMN max_extension_days")
