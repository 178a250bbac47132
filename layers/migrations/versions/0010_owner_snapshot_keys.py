"""The owner snapshot's link to assignments, checked per statement instead of per row.

A report's owner rows (~4 per report) are always selected from `assignments` in the statement that writes them, so
the per-row foreign-key check on insert only repeats what the join established: 16.6 s of a million-report import
(bench/RESULTS.md). What the key still guarded is deletion: an assignment that a snapshot names must not disappear
(ended assignments get `valid_to`, they are not deleted). A statement-level trigger on `assignments` refuses such
a delete, set-based, with the same error class.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE problem_owners DROP CONSTRAINT problem_owners_assignment_id_fkey;
        CREATE FUNCTION ccgrid_assignments_gone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM problem_owners o JOIN gone g ON g.id = o.assignment_id) THEN
                RAISE EXCEPTION 'an assignment named by a problem''s owners cannot be deleted; end it instead'
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER assignments_gone AFTER DELETE ON assignments REFERENCING OLD TABLE AS gone
            FOR EACH STATEMENT EXECUTE FUNCTION ccgrid_assignments_gone();
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER assignments_gone ON assignments;
        DROP FUNCTION ccgrid_assignments_gone;
        ALTER TABLE problem_owners ADD CONSTRAINT problem_owners_assignment_id_fkey
            FOREIGN KEY (assignment_id) REFERENCES assignments(id);
        """
    )
