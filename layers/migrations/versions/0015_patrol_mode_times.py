"""Patrols keep how they moved (walk, bike, drive: each has its speed limit) and, when the field app records them,
the time of every GPS fix; they are listed per person and per region, newest first.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE patrols
            ADD COLUMN mode text NOT NULL DEFAULT 'walk' CHECK (mode IN ('walk', 'bike', 'drive')),
            ADD COLUMN fix_times timestamptz[]
                CHECK (fix_times IS NULL OR cardinality(fix_times) = ST_NPoints(track));
        CREATE INDEX patrols_person ON patrols (person_id, started_at);
        CREATE INDEX patrols_region ON patrols (region_code text_pattern_ops, started_at);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX IF EXISTS patrols_region;
        DROP INDEX IF EXISTS patrols_person;
        ALTER TABLE patrols DROP COLUMN IF EXISTS fix_times, DROP COLUMN IF EXISTS mode;
        """
    )
