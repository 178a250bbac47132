"""Escalation ladder (通报 → 约谈 → 问责) as data, and the escalation records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        -- The Nth exposure of an owner inside the rolling window reaches the level with exposures = N
        -- (or the highest level below it). A city sets its own counts, names and window here.
        CREATE TABLE escalation_levels (
            level     integer PRIMARY KEY,
            code      text NOT NULL UNIQUE,
            name      text NOT NULL,
            exposures integer NOT NULL UNIQUE CHECK (exposures > 0)
        );
        INSERT INTO escalation_levels VALUES
            (1, 'notice', '通报', 1), (2, 'talk', '约谈', 2), (3, 'accountability', '问责', 3);

        CREATE TABLE escalation_settings (
            key   text PRIMARY KEY,
            value text NOT NULL
        );
        -- window_days: the rolling window; exposure kinds that count (overdue, failed re-inspection, 暗访 notice).
        INSERT INTO escalation_settings VALUES ('window_days', '90'),
            ('count_overdue', 'true'), ('count_rework', 'true'), ('count_mystery', 'true');

        CREATE TABLE escalations (
            id           bigserial PRIMARY KEY,
            person_id    integer REFERENCES people(id),
            unit_id      integer REFERENCES units(id),
            holder_key   text NOT NULL,
            level        integer NOT NULL REFERENCES escalation_levels(level),
            exposure_no  integer NOT NULL,
            kind         text NOT NULL CHECK (kind IN ('overdue', 'rework', 'mystery')),
            problem_id   bigint NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
            exposed_at   timestamptz NOT NULL,
            region_code  varchar(12),
            window_problem_ids bigint[] NOT NULL,
            created_at   timestamptz NOT NULL DEFAULT now(),
            UNIQUE (holder_key, kind, problem_id)
        );
        CREATE INDEX escalations_week ON escalations (exposed_at);
        CREATE INDEX escalations_holder ON escalations (holder_key, exposed_at);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS escalations, escalation_settings, escalation_levels")
