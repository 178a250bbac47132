"""Patrols with GPS tracks, and checklist inspections (暗访 / 模拟测评) of assessment points.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (point type, item code, text, weight, problem category created when it fails)
CHECKLIST = [
    ("农贸市场", "M1", "市场内外环境整洁，无暴露垃圾", 4, "0101"),
    ("农贸市场", "M2", "经营秩序规范，无占道经营", 3, "0401"),
    ("农贸市场", "M3", "公益广告规范张贴，无乱贴乱画", 2, "0603"),
    ("农贸市场", "M4", "公共厕所设施完好", 1, "0503"),
    ("公共厕所", "T1", "设施完好、正常使用", 3, "0503"),
    ("公共厕所", "T2", "保洁及时，无异味、无垃圾", 3, "0101"),
    ("主次干道", "R1", "无占道经营", 3, "0401"),
    ("主次干道", "R2", "车辆停放有序", 3, "0403"),
    ("主次干道", "R3", "无蜘蛛网线", 2, "0601"),
    ("主次干道", "R4", "路灯完好", 2, "0502"),
    ("背街小巷", "L1", "无暴露垃圾", 3, "0101"),
    ("背街小巷", "L2", "无乱贴乱画", 2, "0603"),
    ("背街小巷", "L3", "无乱堆物料", 2, "0402"),
    ("老旧小区", "E1", "无乱堆物料", 3, "0402"),
    ("老旧小区", "E2", "无乱搭乱建", 3, "0602"),
    ("老旧小区", "E3", "无乱拉乱挂", 2, "0605"),
    ("学校周边", "S1", "无占道经营", 3, "0401"),
    ("学校周边", "S2", "车辆停放有序", 3, "0403"),
]


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE patrols (
            id          bigserial PRIMARY KEY,
            person_id   integer REFERENCES people(id),
            walker      text NOT NULL,
            started_at  timestamptz NOT NULL,
            ended_at    timestamptz NOT NULL CHECK (ended_at > started_at),
            track       geometry(LineString, 4490) NOT NULL,
            track_m     geometry(LineString),
            region_code varchar(12),
            created_by  text NOT NULL
        );
        CREATE INDEX patrols_track_m ON patrols USING gist (track_m);

        -- What a patrol passed: streets and points within reach of its track, and when.
        CREATE TABLE patrol_hits (
            patrol_id  bigint NOT NULL REFERENCES patrols(id) ON DELETE CASCADE,
            layer      text NOT NULL,
            feature_id integer NOT NULL,
            at         timestamptz NOT NULL,
            PRIMARY KEY (patrol_id, layer, feature_id)
        );
        CREATE INDEX patrol_hits_feature ON patrol_hits (layer, feature_id, at);

        CREATE TABLE checklist_items (
            id            serial PRIMARY KEY,
            point_type    text NOT NULL REFERENCES point_types(name) ON UPDATE CASCADE,
            code          text NOT NULL,
            text          text NOT NULL,
            weight        numeric NOT NULL CHECK (weight > 0),
            category_code text NOT NULL REFERENCES problem_categories(code),
            active        boolean NOT NULL DEFAULT true,
            UNIQUE (point_type, code)
        );

        CREATE TABLE inspection_visits (
            id         bigserial PRIMARY KEY,
            point_id   integer NOT NULL REFERENCES assessment_points(id) ON DELETE CASCADE,
            kind       text NOT NULL CHECK (kind IN ('mystery', 'mock_assessment', 'patrol')),
            inspector  text NOT NULL,
            visited_at timestamptz NOT NULL,
            score      numeric(5, 1) NOT NULL,
            created_by text NOT NULL
        );
        CREATE INDEX inspection_visits_point ON inspection_visits (point_id, visited_at);

        CREATE TABLE inspection_results (
            visit_id   bigint NOT NULL REFERENCES inspection_visits(id) ON DELETE CASCADE,
            item_id    integer NOT NULL REFERENCES checklist_items(id),
            passed     boolean NOT NULL,
            note       text,
            problem_id bigint REFERENCES problems(id) ON DELETE SET NULL,
            PRIMARY KEY (visit_id, item_id)
        );
        """
    )
    values = ", ".join("('{}', '{}', '{}', {}, '{}')".format(*row) for row in CHECKLIST)
    op.execute(f"INSERT INTO checklist_items (point_type, code, text, weight, category_code) VALUES {values}")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS inspection_results, inspection_visits, checklist_items, patrol_hits, patrols")
