"""Street-chief system: people, units, owner roles, assignments with history, coverage rules.

Roles and coverage rules are data seeded here; a city edits them in the tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (code, name, family, layers, holder, primary, patrol every N days, max street km, max points, reports to, sort)
ROLES = [
    ("patron_leader", "包保领导", "patron_leader", "{regions,streets}", "person", False, 30, None, None, None, 10),
    ("city_street_chief", "市级街长", "street_chief", "{streets}", "person", True, 14, 10, None, "patron_leader", 20),
    ("district_street_chief", "区级街长", "street_chief", "{streets}", "person", True, 7, 6, None,
     "city_street_chief", 30),
    ("subdistrict_street_chief", "街道级街长", "street_chief", "{streets}", "person", True, 7, 4, None,
     "district_street_chief", 40),
    ("road_chief", "路长", "road_chief", "{streets}", "person", True, 15, 5, None, "subdistrict_street_chief", 50),
    ("area_chief", "片长", "area_chief", "{regions,grid_cells}", "person", True, 7, None, None, None, 60),
    ("estate_chief", "小区区长", "estate_chief", "{assessment_points}", "person", True, 7, None, 3, None, 70),
    ("toilet_chief", "公共厕所所长", "toilet_chief", "{assessment_points}", "person", True, 1, None, 3, None, 80),
    ("point_keeper", "点位责任人", "point_keeper", "{assessment_points}", "person", True, 7, None, 10, None, 85),
    ("grid_worker", "网格员", "grid_worker", "{grid_cells}", "person", True, 1, None, 60, "area_chief", 90),
    ("responsible_unit", "责任单位", "responsible_unit", "{streets,assessment_points,grid_cells,regions}", "unit", True,
     7, None, None, None, 100),
    ("storefront", "门前五包商户", "storefront", "{streets}", "unit", False, 1, None, None, None, 110),
]

# (layer, filter column, filter value, role family, exclusive primary) — what "nothing uncovered" means.
RULES = [
    ("streets", "road_class", "arterial", "street_chief", False),
    ("streets", "road_class", "arterial", "road_chief", True),
    ("streets", "road_class", "secondary", "street_chief", False),
    ("streets", "road_class", "secondary", "road_chief", True),
    ("streets", "road_class", "back_lane", "street_chief", False),
    ("grid_cells", None, None, "grid_worker", True),
    ("assessment_points", "point_type", "农贸市场", "responsible_unit", False),
    ("assessment_points", "point_type", "农贸市场", "point_keeper", True),
    ("assessment_points", "point_type", "公共厕所", "toilet_chief", True),
    ("assessment_points", "point_type", "老旧小区", "estate_chief", True),
    ("assessment_points", "point_type", "小区", "estate_chief", True),
    ("assessment_points", "point_type", "中小学校", "responsible_unit", False),
    ("assessment_points", "point_type", "建筑工地", "responsible_unit", False),
]


def _lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE units (
            id          serial PRIMARY KEY,
            name        text NOT NULL,
            kind        text NOT NULL DEFAULT 'responsible_unit'
                        CHECK (kind IN ('government', 'responsible_unit', 'patron_unit', 'storefront', 'other')),
            credit_code varchar(18) CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
            phone       text,
            region_code varchar(12),
            active      boolean NOT NULL DEFAULT true,
            created_at  timestamptz NOT NULL DEFAULT now(),
            UNIQUE (name, region_code)
        );

        CREATE TABLE people (
            id             serial PRIMARY KEY,
            name           text NOT NULL CHECK (length(trim(name)) > 0),
            phone          text CHECK (phone ~ '^[0-9+ -]{5,20}$'),
            unit_id        integer REFERENCES units(id) ON DELETE SET NULL,
            title          text,
            region_code    varchar(12),
            reports_to_id  integer REFERENCES people(id) ON DELETE SET NULL,
            active         boolean NOT NULL DEFAULT true,
            created_at     timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX people_phone ON people (phone) WHERE phone IS NOT NULL;
        CREATE INDEX people_region ON people (region_code text_pattern_ops);

        CREATE TABLE owner_roles (
            code              text PRIMARY KEY,
            name              text NOT NULL UNIQUE,
            family            text NOT NULL,
            layers            text[] NOT NULL,
            holder            text NOT NULL CHECK (holder IN ('person', 'unit')),
            is_primary        boolean NOT NULL DEFAULT true,
            patrol_every_days integer,
            max_street_km     double precision,
            max_points        integer,
            reports_to        text REFERENCES owner_roles(code),
            sort              integer NOT NULL DEFAULT 0
        );

        CREATE TABLE coverage_rules (
            id            serial PRIMARY KEY,
            layer         text NOT NULL,
            filter_column text,
            filter_value  text,
            role_family   text NOT NULL,
            exclusive     boolean NOT NULL DEFAULT false,
            active        boolean NOT NULL DEFAULT true
        );

        -- One row per owner × feature × period. Reassigning closes a row (valid_to) instead of changing it,
        -- so "who owned this place on a given day" is always answerable. valid_to is exclusive; NULL is open.
        CREATE TABLE assignments (
            id           serial PRIMARY KEY,
            role         text NOT NULL REFERENCES owner_roles(code),
            person_id    integer REFERENCES people(id) ON DELETE RESTRICT,
            unit_id      integer REFERENCES units(id) ON DELETE RESTRICT,
            layer        text NOT NULL CHECK (layer IN ('regions', 'grid_cells', 'streets', 'assessment_points')),
            feature_id   integer NOT NULL,
            region_code  varchar(12),
            street_group text,
            valid_from   date NOT NULL,
            valid_to     date,
            note         text,
            created_at   timestamptz NOT NULL DEFAULT now(),
            created_by   text NOT NULL,
            ended_by     text,
            CONSTRAINT assignments_one_holder CHECK ((person_id IS NULL) <> (unit_id IS NULL)),
            CONSTRAINT assignments_period CHECK (valid_to IS NULL OR valid_to > valid_from)
        );
        CREATE INDEX assignments_feature ON assignments (layer, feature_id, role);
        CREATE INDEX assignments_person ON assignments (person_id);
        CREATE INDEX assignments_unit ON assignments (unit_id);
        CREATE INDEX assignments_region ON assignments (region_code text_pattern_ops);

        -- Every ownable feature in one shape: `kind` is what coverage rules filter on.
        CREATE VIEW ownable_features AS
            SELECT 'streets'::text AS layer, id, code, name, region_code, road_class AS kind, length_m,
                   section_from, section_to FROM streets
            UNION ALL
            SELECT 'assessment_points', id, code, name, region_code, point_type, NULL, NULL, NULL
            FROM assessment_points
            UNION ALL
            SELECT 'grid_cells', id, code, code, region_code, NULL, NULL, NULL, NULL FROM grid_cells
            UNION ALL
            SELECT 'regions', id, code, name, code, level, NULL, NULL, NULL FROM regions;

        -- Assignments in force on a day.
        CREATE FUNCTION assignments_on(d date) RETURNS SETOF assignments LANGUAGE sql STABLE AS $$
            SELECT * FROM assignments WHERE valid_from <= d AND (valid_to IS NULL OR valid_to > d)
        $$;
        """
    )
    values = ", ".join("(" + ", ".join(_lit(v) for v in r) + ")" for r in ROLES)
    # Insert in order so reports_to finds its parent: the list is ordered parents first.
    op.execute(
        "INSERT INTO owner_roles (code, name, family, layers, holder, is_primary, patrol_every_days, "
        f"max_street_km, max_points, reports_to, sort) VALUES {values}"
    )
    values = ", ".join("(" + ", ".join(_lit(v) for v in r) + ")" for r in RULES)
    op.execute(
        f"INSERT INTO coverage_rules (layer, filter_column, filter_value, role_family, exclusive) VALUES {values}"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS assignments_on; DROP VIEW IF EXISTS ownable_features")
    op.execute("DROP TABLE IF EXISTS assignments, coverage_rules, owner_roles, people, units CASCADE")
