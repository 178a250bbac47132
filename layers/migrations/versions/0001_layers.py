"""Spatial layers: regions, grid cells, streets, assessment points; tokens and audit.

Geometries are stored in CGCS2000 (EPSG:4490). Each layer keeps a projected copy `geom_m` in the city's
3-degree Gauss-Krüger zone, maintained by triggers, because metric work (lengths, areas, distances, bins)
would otherwise transform every row in every query.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The assessment point types of the national handbooks plus the seeds' weak points; data, extendable.
POINT_TYPES = [
    # (name, category, geometry hint)
    ("主次干道", "道路", "polygon"),
    ("商业大街", "道路", "polygon"),
    ("交通路口", "道路", "point"),
    ("背街小巷", "道路", "polygon"),
    ("街道办", "机关", "point"),
    ("社区居委会", "机关", "point"),
    ("小区", "居住", "polygon"),
    ("老旧小区", "居住", "polygon"),
    ("城中村", "居住", "polygon"),
    ("城乡结合部", "居住", "polygon"),
    ("农贸市场", "市场", "polygon"),
    ("公园广场", "公共空间", "polygon"),
    ("景区", "公共空间", "polygon"),
    ("文化场馆", "公共文化", "point"),
    ("爱国主义教育基地", "公共文化", "point"),
    ("中小学校", "学校", "point"),
    ("学校周边", "学校", "polygon"),
    ("网吧", "经营场所", "point"),
    ("车站", "交通", "point"),
    ("公交站台", "交通", "point"),
    ("医院", "公共服务", "point"),
    ("宾馆饭店", "经营场所", "point"),
    ("商场超市", "经营场所", "point"),
    ("政务大厅", "公共服务", "point"),
    ("营业厅银行", "公共服务", "point"),
    ("公共厕所", "环卫", "point"),
    ("建筑工地", "施工", "polygon"),
    ("环卫中转站", "环卫", "point"),
    ("救助站", "公共服务", "point"),
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(
        """
        CREATE TABLE city_settings (
            key   text PRIMARY KEY,
            value text NOT NULL
        );

        -- EPSG code of the CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest `lon`.
        CREATE FUNCTION ccgrid_gk3_srid(lon double precision) RETURNS integer
        LANGUAGE sql IMMUTABLE AS $$ SELECT 4534 + ((round(lon / 3.0) * 3)::int - 75) / 3 $$;

        -- The city's metric CRS, fixed when the first district is stored.
        CREATE FUNCTION ccgrid_metric_srid() RETURNS integer
        LANGUAGE sql STABLE AS $$ SELECT value::int FROM city_settings WHERE key = 'metric_srid' $$;

        CREATE TABLE regions (
            id            serial PRIMARY KEY,
            code          varchar(12) NOT NULL UNIQUE,
            name          text NOT NULL,
            level         text NOT NULL CHECK (level IN ('district', 'subdistrict', 'community')),
            parent_id     integer REFERENCES regions(id) ON DELETE RESTRICT,
            district_code char(6) NOT NULL,
            properties    jsonb NOT NULL DEFAULT '{}',
            geom          geometry(MultiPolygon, 4490) NOT NULL,
            geom_m        geometry(MultiPolygon),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT regions_code_digits CHECK (code ~ '^[0-9]+$'),
            CONSTRAINT regions_code_length CHECK (
                (level = 'district' AND length(code) = 6) OR
                (level = 'subdistrict' AND length(code) = 9) OR
                (level = 'community' AND length(code) = 12)),
            CONSTRAINT regions_parent_needed CHECK ((level = 'district') = (parent_id IS NULL))
        );

        CREATE TABLE grid_cells (
            id            serial PRIMARY KEY,
            code          varchar(15) NOT NULL UNIQUE CHECK (code ~ '^[0-9]{15}$'),
            community_id  integer NOT NULL REFERENCES regions(id) ON DELETE RESTRICT,
            region_code   varchar(12) NOT NULL,
            district_code char(6) NOT NULL,
            area_m2       double precision,
            properties    jsonb NOT NULL DEFAULT '{}',
            geom          geometry(MultiPolygon, 4490) NOT NULL,
            geom_m        geometry(MultiPolygon),
            updated_at    timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE streets (
            id            serial PRIMARY KEY,
            code          text NOT NULL UNIQUE,
            name          text NOT NULL DEFAULT '',
            road_class    text NOT NULL CHECK (road_class IN ('arterial', 'secondary', 'branch', 'back_lane')),
            section_from  text,
            section_to    text,
            region_code   varchar(12),
            district_code char(6),
            length_m      double precision,
            osm_id        bigint,
            properties    jsonb NOT NULL DEFAULT '{}',
            geom          geometry(LineString, 4490) NOT NULL,
            geom_m        geometry(LineString),
            updated_at    timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE point_types (
            name          text PRIMARY KEY,
            category      text NOT NULL,
            geometry_hint text NOT NULL CHECK (geometry_hint IN ('point', 'polygon')),
            sort          integer NOT NULL DEFAULT 0
        );

        CREATE TABLE assessment_points (
            id            serial PRIMARY KEY,
            code          text NOT NULL UNIQUE,
            name          text NOT NULL,
            point_type    text NOT NULL REFERENCES point_types(name) ON UPDATE CASCADE,
            address       text,
            region_code   varchar(12),
            district_code char(6),
            properties    jsonb NOT NULL DEFAULT '{}',
            geom          geometry(Geometry, 4490) NOT NULL
                          CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')),
            geom_m        geometry(Geometry),
            updated_at    timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE api_tokens (
            id           serial PRIMARY KEY,
            token_hash   char(64) NOT NULL UNIQUE,
            role         text NOT NULL,
            region_code  varchar(12),
            label        text NOT NULL DEFAULT '',
            created_at   timestamptz NOT NULL DEFAULT now(),
            expires_at   timestamptz,
            revoked_at   timestamptz,
            last_used_at timestamptz
        );

        CREATE TABLE audit_log (
            id        bigserial PRIMARY KEY,
            at        timestamptz NOT NULL DEFAULT now(),
            actor     text NOT NULL,
            action    text NOT NULL,
            entity    text NOT NULL,
            entity_id text,
            detail    jsonb NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
        """
    )

    # Triggers keep the derived columns right whoever writes (ORM, bulk SQL, psql).
    op.execute(
        """
        -- A valid polygon can turn invalid by a hair when transformed; repair so unions and overlays never fail.
        CREATE FUNCTION ccgrid_metric_polygon(g geometry) RETURNS geometry LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN ST_IsValid(t) THEN t ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(t), 3)) END
            FROM (SELECT ST_Transform(g, ccgrid_metric_srid()) AS t) x
        $$;

        CREATE FUNCTION ccgrid_regions_derive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF ccgrid_metric_srid() IS NULL THEN
                INSERT INTO city_settings VALUES
                    ('metric_srid', ccgrid_gk3_srid(ST_X(ST_Centroid(NEW.geom)))::text)
                ON CONFLICT DO NOTHING;
            END IF;
            NEW.district_code := left(NEW.code, 6);
            NEW.geom_m := ccgrid_metric_polygon(NEW.geom);
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER regions_derive BEFORE INSERT OR UPDATE ON regions
            FOR EACH ROW EXECUTE FUNCTION ccgrid_regions_derive();

        CREATE FUNCTION ccgrid_grid_cells_derive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.region_code := (SELECT code FROM regions WHERE id = NEW.community_id);
            NEW.district_code := left(NEW.region_code, 6);
            NEW.geom_m := ccgrid_metric_polygon(NEW.geom);
            NEW.area_m2 := ST_Area(NEW.geom_m);
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER grid_cells_derive BEFORE INSERT OR UPDATE ON grid_cells
            FOR EACH ROW EXECUTE FUNCTION ccgrid_grid_cells_derive();

        -- `line` lengthened by `metres` at both ends along its first/last segment: street ends that stop
        -- exactly on (or a hair short of) an outline then cross it, so noding splits the outline there.
        CREATE FUNCTION ccgrid_push(p geometry, away_from geometry, metres double precision) RETURNS geometry
        LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN d = 0 THEN p ELSE ST_Translate(p, metres * (ST_X(p) - ST_X(away_from)) / d,
                                                              metres * (ST_Y(p) - ST_Y(away_from)) / d) END
            FROM (SELECT ST_Distance(p, away_from) AS d) x
        $$;
        CREATE FUNCTION ccgrid_extend_line(line geometry, metres double precision) RETURNS geometry
        LANGUAGE sql IMMUTABLE AS $$
            SELECT ST_SetPoint(
                ST_SetPoint(line, 0, ccgrid_push(ST_StartPoint(line), ST_PointN(line, 2), metres)),
                ST_NPoints(line) - 1, ccgrid_push(ST_EndPoint(line), ST_PointN(line, -2), metres))
        $$;

        -- The smallest region that contains `g`: a community if there is one, else a sub-district or district.
        CREATE FUNCTION ccgrid_region_at(g geometry) RETURNS varchar LANGUAGE sql STABLE AS $$
            SELECT code FROM regions WHERE ST_Intersects(geom, g)
            ORDER BY length(code) DESC LIMIT 1
        $$;

        CREATE FUNCTION ccgrid_streets_derive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.geom_m := ST_Transform(NEW.geom, ccgrid_metric_srid());
            NEW.length_m := ST_Length(NEW.geom_m);
            IF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.geom, OLD.geom) OR NEW.region_code IS NULL THEN
                NEW.region_code := ccgrid_region_at(ST_LineInterpolatePoint(NEW.geom, 0.5));
            END IF;
            NEW.district_code := left(NEW.region_code, 6);
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER streets_derive BEFORE INSERT OR UPDATE ON streets
            FOR EACH ROW EXECUTE FUNCTION ccgrid_streets_derive();

        CREATE FUNCTION ccgrid_points_derive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.geom_m := ST_Transform(NEW.geom, ccgrid_metric_srid());
            IF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.geom, OLD.geom) OR NEW.region_code IS NULL THEN
                NEW.region_code := ccgrid_region_at(ST_PointOnSurface(NEW.geom));
            END IF;
            NEW.district_code := left(NEW.region_code, 6);
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER assessment_points_derive BEFORE INSERT OR UPDATE ON assessment_points
            FOR EACH ROW EXECUTE FUNCTION ccgrid_points_derive();
        """
    )

    for table in ("regions", "grid_cells", "streets", "assessment_points"):
        op.execute(f"CREATE INDEX {table}_geom ON {table} USING gist (geom)")
        op.execute(f"CREATE INDEX {table}_geom_m ON {table} USING gist (geom_m)")
    for table in ("grid_cells", "streets", "assessment_points"):
        # Region scope is a code prefix: '411421001' covers every community and cell below it.
        op.execute(f"CREATE INDEX {table}_region ON {table} (region_code text_pattern_ops)")
    op.execute("CREATE INDEX regions_parent ON regions (parent_id)")
    op.execute("CREATE INDEX grid_cells_community ON grid_cells (community_id)")
    op.execute("CREATE INDEX streets_name ON streets (district_code, name)")
    op.execute("CREATE INDEX assessment_points_type ON assessment_points (point_type)")

    values = ", ".join(f"('{n}', '{c}', '{g}', {i})" for i, (n, c, g) in enumerate(POINT_TYPES))
    op.execute(f"INSERT INTO point_types (name, category, geometry_hint, sort) VALUES {values}")


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS audit_log, api_tokens, assessment_points, point_types, streets, grid_cells,
            regions, city_settings CASCADE;
        DROP FUNCTION IF EXISTS ccgrid_metric_polygon, ccgrid_extend_line, ccgrid_push, ccgrid_points_derive,
            ccgrid_streets_derive, ccgrid_region_at,
            ccgrid_grid_cells_derive, ccgrid_regions_derive, ccgrid_metric_srid, ccgrid_gk3_srid;
        """
    )
