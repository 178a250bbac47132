"""A report's count of duplicates is counted when asked for, not kept on the report.

Each report linked as a duplicate used to add one to its master's `duplicates`: one more UPDATE per linked report
at intake, taking the master's row lock, so reports of one busy spot queued behind each other; and for an import
an UPDATE of every master stored earlier (a non-HOT update rewrites the row and its nine index entries: 6 s for the
benchmark's million, 41 s for a file that repeats an earlier one). The links themselves (`duplicate_of`, with its
partial index) say the same, and can never disagree with a counter: the API counts them (layers/problems.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE problems DROP COLUMN duplicates")
    # Archived months (detached partitions) keep the shape of the live table.
    op.execute("""
        DO $$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT table_name FROM information_schema.columns
                     WHERE table_schema = 'archive' AND table_name LIKE 'problems\\_%' AND column_name = 'duplicates'
            LOOP
                EXECUTE format('ALTER TABLE archive.%I DROP COLUMN duplicates', t.table_name);
            END LOOP;
        END $$""")


def downgrade() -> None:
    op.execute("ALTER TABLE problems ADD COLUMN duplicates integer NOT NULL DEFAULT 0")
    op.execute("""
        UPDATE problems m SET duplicates = d.n
        FROM (SELECT duplicate_of, count(*) AS n FROM problems WHERE duplicate_of IS NOT NULL GROUP BY 1) d
        WHERE m.id = d.duplicate_of""")
