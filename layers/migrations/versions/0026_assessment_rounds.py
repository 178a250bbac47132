"""测评 rounds (模拟测评, 暗访, 双月测评): a period, a scope, a seeded stratified sample of assessment points,
assigned to inspectors; the round's visits are checklist visits that name it.

- `assessment_rounds`: name, kind (the source its failed items are filed under: mock_assessment 模拟测评, mystery
  暗访, bimonthly 双月测评), period (a code of gis/periods.py, with its bounds kept for ordering), scope (a region
  code prefix; NULL for the whole city; no foreign key, so a region's edits never meet a round), state draft →
  sampled → in_progress → closed, the seed that drew its sample, whether 易失分/易反弹 points and the points that
  failed in the previous round of its kind and scope are always in the sample.
- `assessment_round_quotas`: per point type a number of points or a share of them.
- `assessment_round_includes`: points named for this round (always in its sample).
- `assessment_round_points`: the sample, one row per point with its type, 社区 and 街道 as they were when drawn,
  why it is in (quota, weak, failed_previous, listed), and the inspector's account it is assigned to.
- `weak_points`: the city's 易失分 (easy_loss) and 易反弹 (relapse) points, with a note.
- `inspection_visits.round_id`: a visit counts for a round when it names it; the pair (round, point) must be a
  sample row; the view `assessment_round_visits` is each sampled point's latest visit in its round (what counts).
  `inspection_results.weight`: the item's weight when it was scored, so a round's score rates do not
  move when the checklist's weights are edited later.
- The source 双月测评 (bimonthly): its reports are exposures (暗访/模拟测评发现), as those of 模拟测评 and 暗访 are.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

KINDS = "('mystery', 'mock_assessment', 'patrol', 'bimonthly')"


def upgrade() -> None:
    op.execute(f"""
        CREATE TABLE weak_points (
            point_id   integer PRIMARY KEY REFERENCES assessment_points(id) ON DELETE CASCADE,
            kind       text NOT NULL DEFAULT 'easy_loss' CHECK (kind IN ('easy_loss', 'relapse')),
            note       text CHECK (length(note) <= 1000),
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE assessment_rounds (
            id                      serial PRIMARY KEY,
            name                    text NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 200),
            kind                    text NOT NULL CHECK (kind IN ('mock_assessment', 'mystery', 'bimonthly')),
            period                  text NOT NULL,
            period_start            date NOT NULL,
            period_end              date NOT NULL CHECK (period_end > period_start),  -- the first day after
            scope_code              varchar(12),
            state                   text NOT NULL DEFAULT 'draft'
                                    CHECK (state IN ('draft', 'sampled', 'in_progress', 'closed')),
            seed                    bigint CHECK (seed >= 0),
            include_weak            boolean NOT NULL DEFAULT true,
            include_failed_previous boolean NOT NULL DEFAULT true,
            note                    text CHECK (length(note) <= 2000),
            created_by              text NOT NULL,
            created_at              timestamptz NOT NULL DEFAULT now(),
            sampled_at              timestamptz,
            started_at              timestamptz,
            closed_at               timestamptz
        );
        CREATE INDEX assessment_rounds_kind_scope ON assessment_rounds (kind, scope_code, period_start);

        CREATE TABLE assessment_round_quotas (
            round_id   integer NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
            point_type text NOT NULL REFERENCES point_types(name) ON UPDATE CASCADE,
            count      integer CHECK (count >= 0),
            share      numeric CHECK (share > 0 AND share <= 1),
            CONSTRAINT assessment_round_quotas_one CHECK ((count IS NULL) <> (share IS NULL)),
            PRIMARY KEY (round_id, point_type)
        );

        CREATE TABLE assessment_round_includes (
            round_id integer NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
            point_id integer NOT NULL REFERENCES assessment_points(id) ON DELETE CASCADE,
            PRIMARY KEY (round_id, point_id)
        );

        CREATE TABLE assessment_round_points (
            round_id         integer NOT NULL REFERENCES assessment_rounds(id) ON DELETE CASCADE,
            point_id         integer NOT NULL REFERENCES assessment_points(id) ON DELETE CASCADE,
            point_type       text NOT NULL,
            region_code      varchar(12),
            subdistrict_code varchar(12),
            reason           text NOT NULL CHECK (reason IN ('quota', 'weak', 'failed_previous', 'listed')),
            draw_key         text NOT NULL,
            assignee_user_id integer REFERENCES users(id) ON DELETE SET NULL,
            assigned_by      text,
            assigned_at      timestamptz,
            PRIMARY KEY (round_id, point_id)
        );
        CREATE INDEX assessment_round_points_assignee ON assessment_round_points (assignee_user_id)
            WHERE assignee_user_id IS NOT NULL;
        CREATE INDEX assessment_round_points_point ON assessment_round_points (point_id);

        ALTER TABLE inspection_visits DROP CONSTRAINT inspection_visits_kind_check;
        ALTER TABLE inspection_visits ADD CONSTRAINT inspection_visits_kind_check CHECK (kind IN {KINDS});
        ALTER TABLE inspection_visits ADD COLUMN round_id integer,
            ADD CONSTRAINT inspection_visits_round_point FOREIGN KEY (round_id, point_id)
                REFERENCES assessment_round_points (round_id, point_id);
        CREATE INDEX inspection_visits_round ON inspection_visits (round_id, point_id, visited_at)
            WHERE round_id IS NOT NULL;
        ALTER TABLE inspection_results ADD COLUMN weight numeric CHECK (weight > 0);

        -- What counts for a round: each sampled point's latest visit in it (a second visit corrects the first).
        CREATE VIEW assessment_round_visits AS
        SELECT DISTINCT ON (v.round_id, v.point_id) v.round_id, v.point_id, v.id AS visit_id, v.visited_at,
               v.inspector, v.score, v.created_by
        FROM inspection_visits v WHERE v.round_id IS NOT NULL
        ORDER BY v.round_id, v.point_id, v.visited_at DESC, v.id DESC;

        INSERT INTO problem_sources (code, name, active, sort, exposure_kind)
        VALUES ('bimonthly', '双月测评', true, 55, 'mystery') ON CONFLICT (code) DO NOTHING;
    """)


def downgrade() -> None:
    op.execute("""
        DROP VIEW IF EXISTS assessment_round_visits;
        ALTER TABLE inspection_results DROP COLUMN IF EXISTS weight;
        DROP INDEX IF EXISTS inspection_visits_round;
        ALTER TABLE inspection_visits DROP COLUMN IF EXISTS round_id;
        UPDATE inspection_visits SET kind = 'mock_assessment' WHERE kind = 'bimonthly';
        ALTER TABLE inspection_visits DROP CONSTRAINT inspection_visits_kind_check;
        ALTER TABLE inspection_visits ADD CONSTRAINT inspection_visits_kind_check
            CHECK (kind IN ('mystery', 'mock_assessment', 'patrol'));
        DROP TABLE IF EXISTS assessment_round_points, assessment_round_includes, assessment_round_quotas,
            assessment_rounds, weak_points;
        UPDATE problems SET source = 'mock_assessment' WHERE source = 'bimonthly';
        DELETE FROM problem_sources WHERE code = 'bimonthly';
    """)
