"""Problem ledger: categories, sources, work calendar, problems with routing, events (audit), photos.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Two-level taxonomy in the manner of the city-management event standard, plus the campaign's own negatives.
# (code, parent, name, deadline amount, unit, duplicate radius m, window hours, route street tolerance m)
CATEGORIES = [
    ("01", None, "市容环境", None, None, None, None, None),
    ("0101", "01", "暴露垃圾", 4, "hours", 30, 72, 50),
    ("0102", "01", "积存垃圾渣土", 4, "days", 50, 168, 50),
    ("0103", "01", "废弃车辆", 5, "days", 20, 336, 50),
    ("0104", "01", "油烟污染", 5, "days", 30, 336, 50),
    ("02", None, "宣传广告", None, None, None, None, None),
    ("0201", "02", "非法小广告", 1, "days", 50, 72, 50),
    ("0202", "02", "街头散发小广告", 1, "days", 100, 24, 50),
    ("03", None, "施工管理", None, None, None, None, None),
    ("0301", "03", "施工扰民", 3, "days", 100, 168, 80),
    ("0302", "03", "工地扬尘", 2, "days", 100, 168, 80),
    ("0303", "03", "道路遗撒", 1, "days", 50, 48, 30),
    ("04", None, "街面秩序", None, None, None, None, None),
    ("0401", "04", "占道经营", 1, "days", 30, 48, 30),
    ("0402", "04", "乱堆物料", 3, "days", 30, 168, 30),
    ("0403", "04", "机动车乱停放", 4, "hours", 30, 24, 30),
    ("0404", "04", "露天烧烤", 1, "days", 50, 48, 30),
    ("0405", "04", "占压盲道", 3, "days", 20, 168, 30),
    ("05", None, "设施", None, None, None, None, None),
    ("0501", "05", "井盖缺失", 1, "days", 10, 168, 30),
    ("0502", "05", "路灯不亮", 3, "days", 30, 168, 30),
    ("0503", "05", "公厕设施损坏", 3, "days", 30, 168, 50),
    ("06", None, "创城专项", None, None, None, None, None),
    ("0601", "06", "蜘蛛网线", 7, "days", 50, 336, 30),
    ("0602", "06", "乱搭乱建", 15, "days", 30, 720, 50),
    ("0603", "06", "乱贴乱画", 5, "days", 30, 168, 50),
    ("0604", "06", "乱摆乱放", 5, "days", 30, 168, 30),
    ("0605", "06", "乱拉乱挂", 5, "days", 30, 168, 30),
]

SOURCES = [
    ("patrol", "巡查"), ("grid_worker", "网格员上报"), ("hotline", "热线"), ("mystery", "暗访"),
    ("mock_assessment", "模拟测评"), ("leader_referral", "领导交办"), ("public", "群众"), ("media", "媒体曝光"),
]

STATUSES = [
    ("reported", "上报", 1, False), ("registered", "立案", 2, False), ("dispatched", "派遣", 3, False),
    ("in_progress", "整改中", 4, False), ("rectified", "已整改", 5, False), ("verified", "核查通过", 6, False),
    ("closed", "销号", 7, True), ("rejected", "不予立案", 8, True),
]

# (from, to, action name, which access roles may do it, needs a photo, needs a note)
_HANDLERS = "{admin,city_office,district_staff,subdistrict_staff,street_chief,grid_worker}"
TRANSITIONS = [
    ("reported", "registered", "立案", "{admin,city_office,district_staff,subdistrict_staff}", False, False),
    ("reported", "rejected", "不予立案", "{admin,city_office,district_staff,subdistrict_staff}", False, True),
    ("registered", "dispatched", "派遣", "{admin,city_office,district_staff,subdistrict_staff}", False, False),
    ("dispatched", "in_progress", "签收整改", _HANDLERS, False, False),
    ("in_progress", "in_progress", "延期", "{admin,city_office,district_staff}", False, True),
    ("in_progress", "rectified", "整改完成", _HANDLERS, True, False),
    ("rectified", "verified", "核查通过", "{admin,city_office,district_staff,inspector}", True, False),
    ("rectified", "in_progress", "退回", "{admin,city_office,district_staff,inspector}", False, True),
    ("verified", "closed", "销号", "{admin,city_office,district_staff}", False, False),
]

# Chinese public holidays (放假) and make-up workdays (调休上班) for 2025–2026, per the State Council notices.
HOLIDAYS_2025 = ["2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02",
                 "2025-02-03", "2025-02-04", "2025-04-04", "2025-04-05", "2025-04-06", "2025-05-01", "2025-05-02",
                 "2025-05-03", "2025-05-04", "2025-05-05", "2025-05-31", "2025-06-01", "2025-06-02", "2025-10-01",
                 "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08"]
WORKDAYS_2025 = ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]
HOLIDAYS_2026 = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18",
                 "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", "2026-04-04", "2026-04-05",
                 "2026-04-06", "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", "2026-06-19",
                 "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26", "2026-09-27", "2026-10-01", "2026-10-02",
                 "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"]
WORKDAYS_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


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
        CREATE TABLE problem_categories (
            code              text PRIMARY KEY,
            parent_code       text REFERENCES problem_categories(code),
            name              text NOT NULL,
            deadline_amount   integer CHECK (deadline_amount > 0),
            deadline_unit     text CHECK (deadline_unit IN ('hours', 'days')),
            duplicate_radius_m double precision,
            duplicate_window_h integer,
            street_tolerance_m double precision,
            active            boolean NOT NULL DEFAULT true
        );

        CREATE TABLE problem_sources (code text PRIMARY KEY, name text NOT NULL UNIQUE);

        CREATE TABLE problem_statuses (
            code text PRIMARY KEY, name text NOT NULL, sort integer NOT NULL, final boolean NOT NULL);

        CREATE TABLE problem_transitions (
            from_status   text NOT NULL REFERENCES problem_statuses(code),
            to_status     text NOT NULL REFERENCES problem_statuses(code),
            action        text NOT NULL,
            allowed_roles text[] NOT NULL,
            needs_photo   boolean NOT NULL DEFAULT false,
            needs_note    boolean NOT NULL DEFAULT false,
            PRIMARY KEY (from_status, action)
        );

        -- The working-day calendar: only exceptions are stored (holidays on weekdays, make-up weekend workdays).
        CREATE TABLE work_calendar (
            day        date PRIMARY KEY,
            is_workday boolean NOT NULL,
            note       text
        );

        CREATE TABLE problems (
            id                bigserial PRIMARY KEY,
            external_id       text UNIQUE,
            category_code     text NOT NULL REFERENCES problem_categories(code),
            source            text NOT NULL REFERENCES problem_sources(code),
            status            text NOT NULL DEFAULT 'reported' REFERENCES problem_statuses(code),
            description       text NOT NULL DEFAULT '',
            address           text,
            reporter          text,
            reporter_contact  text,
            geom              geometry(Point, 4490) NOT NULL,
            geom_m            geometry(Point),
            reported_at       timestamptz NOT NULL DEFAULT now(),
            district_code     char(6),
            region_code       varchar(12),
            grid_cell_id      integer,
            grid_cell_code    varchar(15),
            street_id         integer,
            street_distance_m double precision,
            point_id          integer,
            duplicate_of      bigint REFERENCES problems(id),
            duplicates        integer NOT NULL DEFAULT 0,
            dispatched_at     timestamptz,
            due_at            timestamptz,
            closed_at         timestamptz,
            rework_count      integer NOT NULL DEFAULT 0,
            extension_count   integer NOT NULL DEFAULT 0,
            created_by        text NOT NULL,
            updated_at        timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX problems_geom ON problems USING gist (geom);
        CREATE INDEX problems_geom_m ON problems USING gist (geom_m);
        CREATE INDEX problems_region ON problems (region_code text_pattern_ops);
        CREATE INDEX problems_status_due ON problems (status, due_at);
        CREATE INDEX problems_category_time ON problems (category_code, reported_at);
        CREATE INDEX problems_street ON problems (street_id);
        CREATE INDEX problems_cell ON problems (grid_cell_id);
        CREATE INDEX problems_duplicate_of ON problems (duplicate_of) WHERE duplicate_of IS NOT NULL;

        -- The owners a problem was routed to, as they were at routing time.
        CREATE TABLE problem_owners (
            problem_id    bigint NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
            assignment_id integer NOT NULL REFERENCES assignments(id),
            place         text NOT NULL,
            PRIMARY KEY (problem_id, assignment_id)
        );
        CREATE INDEX problem_owners_assignment ON problem_owners (assignment_id);

        CREATE TABLE problem_photos (
            id         bigserial PRIMARY KEY,
            problem_id bigint NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
            path       text NOT NULL,
            mime       text NOT NULL,
            bytes      integer NOT NULL,
            sha256     char(64) NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            created_by text NOT NULL
        );

        -- Append-only: every state change, who made it, when, why, with which photo.
        CREATE TABLE problem_events (
            id          bigserial PRIMARY KEY,
            problem_id  bigint NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
            at          timestamptz NOT NULL DEFAULT now(),
            actor       text NOT NULL,
            action      text NOT NULL,
            from_status text,
            to_status   text NOT NULL,
            note        text,
            photo_id    bigint REFERENCES problem_photos(id),
            due_at      timestamptz
        );
        CREATE INDEX problem_events_problem ON problem_events (problem_id, id);
        CREATE FUNCTION ccgrid_no_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'problem_events is append-only'; END $$;
        CREATE TRIGGER problem_events_append_only BEFORE UPDATE OR DELETE ON problem_events
            FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION ccgrid_no_change();

        CREATE FUNCTION ccgrid_problems_derive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.geom_m := ST_Transform(NEW.geom, ccgrid_metric_srid());
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER problems_derive BEFORE INSERT OR UPDATE OF geom ON problems
            FOR EACH ROW EXECUTE FUNCTION ccgrid_problems_derive();
        """
    )
    op.execute(
        "INSERT INTO problem_categories (code, parent_code, name, deadline_amount, deadline_unit, "
        f"duplicate_radius_m, duplicate_window_h, street_tolerance_m) VALUES {_values(CATEGORIES)}"
    )
    op.execute(f"INSERT INTO problem_sources (code, name) VALUES {_values(SOURCES)}")
    op.execute(f"INSERT INTO problem_statuses (code, name, sort, final) VALUES {_values(STATUSES)}")
    op.execute(
        "INSERT INTO problem_transitions (from_status, to_status, action, allowed_roles, needs_photo, needs_note) "
        f"VALUES {_values(TRANSITIONS)}"
    )
    days = [(d, False, "法定节假日") for d in HOLIDAYS_2025 + HOLIDAYS_2026] + [
        (d, True, "调休上班") for d in WORKDAYS_2025 + WORKDAYS_2026]
    op.execute(f"INSERT INTO work_calendar (day, is_workday, note) VALUES {_values(days)}")


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS problem_events, problem_photos, problem_owners, problems, work_calendar, "
        "problem_transitions, problem_statuses, problem_sources, problem_categories CASCADE; "
        "DROP FUNCTION IF EXISTS ccgrid_no_change, ccgrid_problems_derive"
    )
