"""Departments, rule tables a city edits, and escalation by exposure of one responsible party.

- Units of kind `department` (职能部门) handle categories: `department_rules` says which department is 主办 (lead)
  or 协办 (assist) for a category (or a whole top-level class), optionally only at a point type or a road class.
  Each routed problem keeps the departments it went to in `problem_departments` (a snapshot, as its owners).
- A unit has a head (`head_person_id`, its 一把手): a unit escalated to 约谈 sends its head.
- Coverage rules for every point type (每个点位有人管), with the seeds' defaults.
- Sources, point types, checklist items can be retired (`active`), never deleted while in use; checklist items
  carry their 测评标准 text; sources say whether their reports are exposures in themselves (暗访, 媒体曝光).
- Escalation: `exposure_kinds` (data: which kinds count), a ladder per party (person, unit), the counting mode
  (a rolling window or consecutive periods), and escalation records with a state (待通报/已通报, 约谈 with date,
  place, attendees and minutes, 问责 with the decision). The old records were derived data (one per owner row and
  kind, which saturated at 问责); they are dropped and `ccgrid ledger escalate` records them again under the rules.
- Evidence: photos carry EXIF GPS and flags (taken before the report, far from the place); a category says whether
  its verifier must differ from whoever marked it rectified.
- The 2027 work calendar (layers/ledger/data/work_calendar_2027.csv).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import csv
from pathlib import Path

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

CALENDAR_2027 = Path(__file__).parents[2] / "ledger" / "data" / "work_calendar_2027.csv"

# The point types that had no coverage rule, and what the seeds ask of them (每个点位有人管): every point a 点位责任人,
# institutions and businesses a 责任单位 as well.
WITH_UNIT = {"街道办", "社区居委会", "城中村", "城乡结合部", "公园广场", "景区", "文化场馆", "爱国主义教育基地",
             "学校周边", "网吧", "车站", "医院", "宾馆饭店", "商场超市", "政务大厅", "营业厅银行", "环卫中转站",
             "救助站"}

SOURCES = [("12345", "12345热线", None, 15), ("supervision", "督查", "mystery", 16)]
SOURCE_EXPOSURES = {"mystery": "mystery", "mock_assessment": "mystery", "media": "media"}

EXPOSURE_KINDS = [
    ("overdue", "超期未整改", True, 10), ("rework", "核查不通过", True, 20), ("mystery", "暗访/模拟测评发现", True, 30),
    ("media", "媒体曝光", True, 40), ("leader", "领导交办未落实", True, 50),
]
LADDER = [
    ("person", 1, "notice", "通报", 1), ("person", 2, "talk", "约谈", 2), ("person", 3, "accountability", "问责", 3),
    ("unit", 1, "notice", "通报", 1), ("unit", 2, "talk", "约谈一把手", 2), ("unit", 3, "accountability", "问责", 3),
]

# (point type, code, text, weight, category, 测评标准) for the types without a checklist: the few things an
# inspector looks at everywhere, after the national handbook's 实地考察 items.
GENERAL_ITEMS = [
    ("G1", "环境整洁，无暴露垃圾、无卫生死角", 3, "0101", "地面无垃圾、无积水，垃圾桶不满溢"),
    ("G2", "无乱贴乱画、乱拉乱挂", 2, "0603", "墙面、设施无小广告，无私拉电线和晾晒"),
    ("G3", "公益广告规范设置", 2, "0603", "醒目位置有公益广告，内容规范、无破损"),
    ("G4", "秩序规范，无占道经营、乱堆乱放", 2, "0604", "出入口及周边无占道经营、无乱堆物料"),
]


def _lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _values(rows):
    return ", ".join("(" + ", ".join(_lit(v) for v in r) + ")" for r in rows)


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE units DROP CONSTRAINT units_kind_check;
        ALTER TABLE units ADD CONSTRAINT units_kind_check CHECK (kind IN
            ('government', 'department', 'responsible_unit', 'patron_unit', 'storefront', 'other'));
        ALTER TABLE units ADD COLUMN head_person_id integer REFERENCES people(id) ON DELETE SET NULL;

        CREATE TABLE department_rules (
            id            serial PRIMARY KEY,
            category_code text REFERENCES problem_categories(code) ON UPDATE CASCADE,
            unit_id       integer NOT NULL REFERENCES units(id) ON DELETE RESTRICT,
            duty          text NOT NULL DEFAULT 'lead' CHECK (duty IN ('lead', 'assist')),
            point_type    text REFERENCES point_types(name) ON UPDATE CASCADE,
            road_class    text CHECK (road_class IN ('arterial', 'secondary', 'branch', 'back_lane')),
            active        boolean NOT NULL DEFAULT true,
            note          text,
            CONSTRAINT department_rules_some_condition CHECK (
                category_code IS NOT NULL OR point_type IS NOT NULL OR road_class IS NOT NULL)
        );
        CREATE INDEX department_rules_category ON department_rules (category_code) WHERE active;

        -- The departments a problem was routed to, as the rules were at routing time.
        CREATE TABLE problem_departments (
            problem_id          bigint NOT NULL,
            problem_reported_at timestamptz,
            district_code       char(6),
            unit_id             integer NOT NULL REFERENCES units(id),
            duty                text NOT NULL CHECK (duty IN ('lead', 'assist')),
            rule_id             integer,
            PRIMARY KEY (problem_id, unit_id)
        );
        CREATE INDEX problem_departments_unit ON problem_departments (unit_id, problem_reported_at);
        CREATE TRIGGER problem_departments_problem_keys BEFORE INSERT ON problem_departments
            FOR EACH ROW WHEN (NEW.problem_reported_at IS NULL) EXECUTE FUNCTION ccgrid_problem_child_keys();

        ALTER TABLE coverage_rules ADD COLUMN note text;
        ALTER TABLE problem_sources ADD COLUMN active boolean NOT NULL DEFAULT true,
            ADD COLUMN sort integer NOT NULL DEFAULT 0, ADD COLUMN exposure_kind text;
        ALTER TABLE point_types ADD COLUMN active boolean NOT NULL DEFAULT true;
        ALTER TABLE checklist_items ADD COLUMN standard text, ADD COLUMN sort integer NOT NULL DEFAULT 0;
        ALTER TABLE problem_categories ADD COLUMN verifier_must_differ boolean NOT NULL DEFAULT true,
            ADD COLUMN sort integer NOT NULL DEFAULT 0;

        CREATE TABLE exposure_kinds (
            code   text PRIMARY KEY,
            name   text NOT NULL UNIQUE,
            counts boolean NOT NULL DEFAULT true,
            sort   integer NOT NULL DEFAULT 0
        );
        ALTER TABLE problem_sources ADD CONSTRAINT problem_sources_exposure_kind
            FOREIGN KEY (exposure_kind) REFERENCES exposure_kinds(code);

        DROP TABLE escalations;
        DROP TABLE IF EXISTS archive.escalations;
        DROP TABLE escalation_levels;
        -- The Nth counted exposure of a party reaches the level whose `exposures` is the largest not above N.
        CREATE TABLE escalation_levels (
            party     text NOT NULL CHECK (party IN ('person', 'unit')),
            level     integer NOT NULL CHECK (level > 0),
            code      text NOT NULL,
            name      text NOT NULL,
            exposures integer NOT NULL CHECK (exposures > 0),
            PRIMARY KEY (party, level),
            UNIQUE (party, code),
            UNIQUE (party, exposures)
        );
        DELETE FROM escalation_settings WHERE key LIKE 'count\\_%';
        -- count_mode (people) and unit_count_mode (units): 'window' counts exposures in the last window_days;
        -- 'periods' counts consecutive periods (period: week, month, quarter) with an exposure, one escalation
        -- a period — a unit named in three monthly 通报 in a row (连续被曝光3次) reaches 问责.
        INSERT INTO escalation_settings VALUES ('count_mode', 'window'), ('unit_count_mode', 'periods'),
            ('period', 'month')
            ON CONFLICT (key) DO NOTHING;

        -- One row per responsible party and problem: the first counted exposure of that problem for that party,
        -- the level it reached, and what the office did about it.
        CREATE TABLE escalations (
            id                   bigserial PRIMARY KEY,
            party                text NOT NULL CHECK (party IN ('person', 'unit')),
            party_key            text NOT NULL,
            person_id            integer REFERENCES people(id),
            unit_id              integer REFERENCES units(id),
            level                integer NOT NULL,
            exposure_no          integer NOT NULL,
            kind                 text NOT NULL REFERENCES exposure_kinds(code),
            problem_id           bigint NOT NULL,
            problem_reported_at  timestamptz,
            district_code        char(6),
            exposed_at           timestamptz NOT NULL,
            region_code          varchar(12),
            window_problem_ids   bigint[] NOT NULL,
            -- a unit's head, escalated because the unit was: the unit's record
            because_of           bigint REFERENCES escalations(id) ON DELETE CASCADE,
            state                text NOT NULL DEFAULT 'pending'
                                 CHECK (state IN ('pending', 'notified', 'scheduled', 'held', 'decided', 'waived')),
            scheduled_at         timestamptz,
            venue                text,
            attendees            text,
            minutes              text,
            decision             text,
            decided_at           timestamptz,
            updated_by           text,
            updated_at           timestamptz,
            created_at           timestamptz NOT NULL DEFAULT now(),
            FOREIGN KEY (party, level) REFERENCES escalation_levels(party, level),
            CONSTRAINT escalations_holder CHECK ((person_id IS NULL) <> (unit_id IS NULL)),
            UNIQUE (party_key, problem_id)
        );
        CREATE INDEX escalations_week ON escalations (exposed_at);
        CREATE INDEX escalations_party ON escalations (party_key, exposed_at);
        CREATE INDEX escalations_problem ON escalations (problem_id);
        CREATE TRIGGER escalations_problem_keys BEFORE INSERT ON escalations
            FOR EACH ROW WHEN (NEW.problem_reported_at IS NULL) EXECUTE FUNCTION ccgrid_problem_child_keys();

        ALTER TABLE problem_photos ADD COLUMN gps_lon double precision, ADD COLUMN gps_lat double precision,
            ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
        DO $$
        BEGIN
            IF to_regclass('archive.problem_photos') IS NOT NULL THEN
                ALTER TABLE archive.problem_photos ADD COLUMN IF NOT EXISTS gps_lon double precision,
                    ADD COLUMN IF NOT EXISTS gps_lat double precision,
                    ADD COLUMN IF NOT EXISTS flags text[] NOT NULL DEFAULT '{}';
            END IF;
        END $$;

        CREATE OR REPLACE FUNCTION ccgrid_problems_gone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM problems p JOIN gone g ON p.duplicate_of = g.id
                       WHERE NOT EXISTS (SELECT 1 FROM gone x WHERE x.id = p.id)) THEN
                RAISE EXCEPTION 'a deleted problem is the master of a remaining duplicate'
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            DELETE FROM problem_events e USING gone g WHERE e.problem_id = g.id;
            DELETE FROM problem_owners o USING gone g WHERE o.problem_id = g.id;
            DELETE FROM problem_departments o USING gone g WHERE o.problem_id = g.id;
            DELETE FROM escalations x USING gone g WHERE x.problem_id = g.id;
            UPDATE inspection_results r SET problem_id = NULL, problem_reported_at = NULL
            FROM gone g WHERE r.problem_id = g.id;
            DELETE FROM problem_photos f USING gone g WHERE f.problem_id = g.id;
            DELETE FROM problem_external_ids x USING gone g WHERE x.problem_id = g.id;
            RETURN NULL;
        END $$;
        """
    )
    op.execute(f"INSERT INTO exposure_kinds (code, name, counts, sort) VALUES {_values(EXPOSURE_KINDS)}")
    op.execute(f"INSERT INTO escalation_levels (party, level, code, name, exposures) VALUES {_values(LADDER)}")
    op.execute(f"INSERT INTO problem_sources (code, name, exposure_kind, sort) VALUES {_values(SOURCES)} "
               "ON CONFLICT DO NOTHING")
    for code, kind in SOURCE_EXPOSURES.items():
        op.execute(f"UPDATE problem_sources SET exposure_kind = {_lit(kind)} WHERE code = {_lit(code)}")
    op.execute("""UPDATE problem_sources s SET sort = o.n * 10
                  FROM (SELECT code, row_number() OVER (ORDER BY code) AS n FROM problem_sources
                        WHERE sort = 0) o WHERE o.code = s.code""")
    op.execute("UPDATE problem_categories SET sort = 0")

    # Coverage for every point type that had none: a 点位责任人 each, and a 责任单位 for institutions.
    op.execute("""
        INSERT INTO coverage_rules (layer, filter_column, filter_value, role_family, exclusive, note)
        SELECT 'assessment_points', 'point_type', t.name, 'point_keeper', true, '每个点位有人管'
        FROM point_types t
        WHERE NOT EXISTS (SELECT 1 FROM coverage_rules r WHERE r.layer = 'assessment_points'
                          AND r.filter_column = 'point_type' AND r.filter_value = t.name)""")
    with_unit = ", ".join(_lit(t) for t in sorted(WITH_UNIT))
    op.execute(f"""
        INSERT INTO coverage_rules (layer, filter_column, filter_value, role_family, exclusive, note)
        SELECT 'assessment_points', 'point_type', t.name, 'responsible_unit', false, '单位包保'
        FROM point_types t WHERE t.name IN ({with_unit})
          AND NOT EXISTS (SELECT 1 FROM coverage_rules r WHERE r.layer = 'assessment_points'
                          AND r.filter_column = 'point_type' AND r.filter_value = t.name
                          AND r.role_family = 'responsible_unit')""")

    # A checklist for every point type that had none.
    rows = []
    for name in _point_types_without_checklist():
        rows += [(name, code, text, weight, cat, std, i) for i, (code, text, weight, cat, std) in
                 enumerate(GENERAL_ITEMS)]
    if rows:
        op.execute("INSERT INTO checklist_items (point_type, code, text, weight, category_code, standard, sort) "
                   f"VALUES {_values(rows)}")

    with CALENDAR_2027.open(encoding="utf-8") as f:
        days = [(r["day"], r["kind"] == "上班", r["note"]) for r in csv.DictReader(f)]
    op.execute(f"INSERT INTO work_calendar (day, is_workday, note) VALUES {_values(days)} "
               "ON CONFLICT (day) DO UPDATE SET is_workday = EXCLUDED.is_workday, note = EXCLUDED.note")


def _point_types_without_checklist() -> list[str]:
    conn = op.get_bind()
    return [r[0] for r in conn.exec_driver_sql(
        "SELECT name FROM point_types t WHERE NOT EXISTS "
        "(SELECT 1 FROM checklist_items c WHERE c.point_type = t.name) ORDER BY sort")]


def downgrade() -> None:
    raise NotImplementedError("0022 replaces the escalation records; restore from a backup to go back")
