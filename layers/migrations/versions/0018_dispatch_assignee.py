"""派遣 names whom it dispatches to: `problem_events` gains `assignee_person_id` and `assignee_unit_id`.

The office chooses the handler when it dispatches (one of the place's owners, or any person or unit of its region);
the event records the choice. Snapshots, like the actor columns of 0017: no key into `people` or `units` (the
demo deletes their rows; an event is history). The problem's current handler is the assignee of its latest 派遣.
Archived months of the events (schema `archive`, copied with SELECT *) get the same columns, in the same order.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = "ADD COLUMN {ine}assignee_person_id integer, ADD COLUMN {ine}assignee_unit_id integer"
ONE_HOLDER = "CHECK (num_nonnulls(assignee_person_id, assignee_unit_id) <= 1)"


def upgrade() -> None:
    op.execute(f"""
        ALTER TABLE problem_events {COLUMNS.format(ine="")},
            ADD CONSTRAINT problem_events_one_assignee {ONE_HOLDER};
        DO $$
        BEGIN
            IF to_regclass('archive.problem_events') IS NOT NULL THEN
                EXECUTE 'ALTER TABLE archive.problem_events {COLUMNS.format(ine="IF NOT EXISTS ")}';
            END IF;
        END $$;
    """)


def downgrade() -> None:
    drop = "DROP COLUMN IF EXISTS assignee_person_id, DROP COLUMN IF EXISTS assignee_unit_id"
    op.execute(f"""
        ALTER TABLE problem_events DROP CONSTRAINT IF EXISTS problem_events_one_assignee, {drop};
        DO $$
        BEGIN
            IF to_regclass('archive.problem_events') IS NOT NULL THEN
                EXECUTE 'ALTER TABLE archive.problem_events {drop}';
            END IF;
        END $$;
    """)
