"""The street network as a walking graph (pgRouting), the living circle, and the planning indicators' data.

- `network_nodes` / `network_edges`: the streets split at every junction (layers/network builds and keeps them),
  in the city's metric CRS; an edge belongs to its street (ON DELETE CASCADE, whoever deletes it). A node keeps the
  OpenStreetMap node id where an OSM import had a node there (`network_osm_nodes`, written by that import).
- Point types for the facilities GB 50180-2018 lists that the handbooks' types lack (社区服务中心, 运动场地, 幼儿园,
  养老服务, 志愿服务站, 社区卫生服务中心), each with a 点位责任人 and a 责任单位 rule and the general checklist, as
  0022 gave every type.
- `living_circles` / `living_circle_facilities`: named presets of facility types and walking minutes (the
  15-minute circle: 社区服务中心, 农贸市场 for 菜市场, 公共厕所, 中小学校 and 幼儿园, 运动场地, 公交站台).
- `indicator_targets`: the seeds' planning thresholds as data (路网密度 ≥ 8 km/km², 道路面积率 ≥ 15 %, 绿化覆盖率
  ≥ 36 % …); `land_cover`: road surface, green space and built-up polygons a city imports (never generated).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# (name, category, geometry hint): the standard's facilities missing from the handbooks' list.
POINT_TYPES = [
    ("社区服务中心", "公共服务", "point"),
    ("运动场地", "公共空间", "polygon"),
    ("幼儿园", "学校", "point"),
    ("养老服务", "公共服务", "point"),
    ("志愿服务站", "公共服务", "point"),
    ("社区卫生服务中心", "公共服务", "point"),
]
# As 0022's general checklist: (code, text, weight, category, 测评标准).
GENERAL_ITEMS = [
    ("G1", "环境整洁，无暴露垃圾、无卫生死角", 3, "0101", "地面无垃圾、无积水，垃圾桶不满溢"),
    ("G2", "无乱贴乱画、乱拉乱挂", 2, "0603", "墙面、设施无小广告，无私拉电线和晾晒"),
    ("G3", "公益广告规范设置", 2, "0603", "醒目位置有公益广告，内容规范、无破损"),
    ("G4", "秩序规范，无占道经营、乱堆乱放", 2, "0604", "出入口及周边无占道经营、无乱堆物料"),
]
# GB 50180-2018 居住区 level, as the issue names them: 菜市场 is the handbooks' 农贸市场, 小学 their 中小学校, 公交站
# their 公交站台.
LIVING_CIRCLE_15 = ["社区服务中心", "农贸市场", "公共厕所", "中小学校", "幼儿园", "运动场地", "公交站台"]
# (code, name, unit, comparison, target, point type, source, sort)
TARGETS = [
    ("road_density", "路网密度", "km/km²", ">=", 8, None,
     "吴忠创城目标；中共中央 国务院《关于进一步加强城市规划建设管理工作的若干意见》（2016）", 10),
    ("road_area_share", "道路面积率", "%", ">=", 15, None,
     "吴忠创城目标；中共中央 国务院《关于进一步加强城市规划建设管理工作的若干意见》（2016）", 20),
    ("green_cover", "建成区绿化覆盖率", "%", ">=", 36, None, "吴忠创城目标：绿化覆盖率 36%", 30),
    ("living_circle_share", "15分钟生活圈覆盖率", "%", ">=", None, None,
     "GB 50180-2018 城市居住区规划设计标准：15 分钟步行可满足基本生活需求（目标值由城市设定）", 40),
    ("volunteer_reach", "志愿服务站点覆盖率", "%", ">=", None, "志愿服务站",
     "吴忠创城：志愿服务站点覆盖（目标值由城市设定）", 50),
    ("no_chief_share", "无街长道路占比", "%", "<=", 0, None, "街长制：每条应设街长的道路都有街长（不留盲区）", 60),
]


def _lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, int | float):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _values(rows):
    return ", ".join("(" + ", ".join(_lit(v) for v in r) + ")" for r in rows)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    op.execute(
        """
        CREATE TABLE network_nodes (
            id          bigserial PRIMARY KEY,
            osm_node_id bigint,
            geom_m      geometry(Point) NOT NULL
        );
        CREATE INDEX network_nodes_geom_m ON network_nodes USING gist (geom_m);

        -- One piece of a street between two junctions; cost = length_m (walking both ways).
        CREATE TABLE network_edges (
            id        bigserial PRIMARY KEY,
            street_id integer NOT NULL REFERENCES streets(id) ON DELETE CASCADE,
            piece     integer NOT NULL,
            source    bigint NOT NULL,
            target    bigint NOT NULL,
            length_m  double precision NOT NULL,
            geom_m    geometry(LineString) NOT NULL
        );
        CREATE INDEX network_edges_geom_m ON network_edges USING gist (geom_m);
        CREATE INDEX network_edges_street ON network_edges (street_id);
        CREATE INDEX network_edges_source ON network_edges (source);
        CREATE INDEX network_edges_target ON network_edges (target);

        -- Where each facility (assessment point), grid cell and cell-less community joins the network: its nearest
        -- edge, the fraction along it and the straight way there, as of the feature's updated_at (`stamp`; an older
        -- row is recomputed when read). Rows of an edge go with it; the network's writer recomputes them.
        CREATE TABLE network_access (
            layer      text NOT NULL CHECK (layer IN ('assessment_points', 'grid_cells', 'regions')),
            feature_id integer NOT NULL,
            edge_id    bigint NOT NULL REFERENCES network_edges(id) ON DELETE CASCADE,
            f          double precision NOT NULL,
            access_m   double precision NOT NULL,
            stamp      timestamptz NOT NULL,
            shape      geometry NOT NULL,
            PRIMARY KEY (layer, feature_id)
        );
        CREATE INDEX network_access_edge ON network_access (edge_id);
        CREATE INDEX network_access_shape ON network_access USING gist (shape);

        -- Junction and end nodes of the ways an OpenStreetMap import brought (their ids, where they lie).
        CREATE TABLE network_osm_nodes (
            osm_id bigint PRIMARY KEY,
            geom_m geometry(Point) NOT NULL
        );
        CREATE INDEX network_osm_nodes_geom_m ON network_osm_nodes USING gist (geom_m);

        CREATE TABLE living_circles (
            code    text PRIMARY KEY,
            name    text NOT NULL UNIQUE,
            minutes integer NOT NULL CHECK (minutes BETWEEN 1 AND 120),
            source  text,
            sort    integer NOT NULL DEFAULT 0
        );
        -- The facility types of a circle; `minutes` overrides the circle's for one type (e.g. 幼儿园 at 5).
        CREATE TABLE living_circle_facilities (
            circle     text NOT NULL REFERENCES living_circles(code) ON UPDATE CASCADE ON DELETE CASCADE,
            point_type text NOT NULL REFERENCES point_types(name) ON UPDATE CASCADE,
            minutes    integer CHECK (minutes BETWEEN 1 AND 120),
            sort       integer NOT NULL DEFAULT 0,
            PRIMARY KEY (circle, point_type)
        );

        CREATE TABLE indicator_targets (
            code       text PRIMARY KEY,
            name       text NOT NULL,
            unit       text NOT NULL,
            comparison text NOT NULL CHECK (comparison IN ('>=', '<=')),
            target     double precision,
            point_type text REFERENCES point_types(name) ON UPDATE CASCADE,
            source     text,
            sort       integer NOT NULL DEFAULT 0
        );

        -- Polygons of road surface, green space (绿化覆盖) and built-up area, as a city imports them.
        CREATE TABLE land_cover (
            id          serial PRIMARY KEY,
            kind        text NOT NULL CHECK (kind IN ('road', 'green', 'built_up')),
            name        text,
            source      text,
            geom        geometry(MultiPolygon, 4490) NOT NULL,
            geom_m      geometry(MultiPolygon),
            area_m2     double precision,
            imported_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX land_cover_geom_m ON land_cover USING gist (geom_m);
        CREATE INDEX land_cover_kind ON land_cover (kind);
        CREATE FUNCTION ccgrid_land_cover_derive() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.geom_m := ccgrid_metric_polygon(NEW.geom);
            NEW.area_m2 := ST_Area(NEW.geom_m);
            RETURN NEW;
        END $$;
        CREATE TRIGGER land_cover_derive BEFORE INSERT OR UPDATE ON land_cover
            FOR EACH ROW EXECUTE FUNCTION ccgrid_land_cover_derive();
        """
    )
    op.execute("INSERT INTO point_types (name, category, geometry_hint, sort) SELECT v.name, v.category, v.hint, "
               "(SELECT coalesce(max(sort), 0) FROM point_types) + v.n "
               f"FROM (VALUES {_values([(*t, i + 1) for i, t in enumerate(POINT_TYPES)])}) v(name, category, hint, n) "
               "ON CONFLICT (name) DO NOTHING")
    names = ", ".join(_lit(n) for n, _, _ in POINT_TYPES)
    rules = (("point_keeper", "true", "每个点位有人管"), ("responsible_unit", "false", "单位包保"))
    for family, exclusive, note in rules:
        op.execute(f"""
            INSERT INTO coverage_rules (layer, filter_column, filter_value, role_family, exclusive, note)
            SELECT 'assessment_points', 'point_type', t.name, '{family}', {exclusive}, '{note}'
            FROM point_types t WHERE t.name IN ({names})
              AND NOT EXISTS (SELECT 1 FROM coverage_rules r WHERE r.layer = 'assessment_points'
                              AND r.filter_column = 'point_type' AND r.filter_value = t.name
                              AND r.role_family = '{family}')""")
    items = [(n, code, txt, w, cat, std, i) for n, _, _ in POINT_TYPES
             for i, (code, txt, w, cat, std) in enumerate(GENERAL_ITEMS)]
    op.execute("INSERT INTO checklist_items (point_type, code, text, weight, category_code, standard, sort) "
               f"SELECT * FROM (VALUES {_values(items)}) v(t, c, x, w, k, s, o) "
               "WHERE NOT EXISTS (SELECT 1 FROM checklist_items i WHERE i.point_type = v.t AND i.code = v.c)")
    op.execute("INSERT INTO living_circles (code, name, minutes, source, sort) VALUES "
               "('15min', '15分钟生活圈', 15, 'GB 50180-2018 城市居住区规划设计标准（居住区级）', 10)")
    op.execute("INSERT INTO living_circle_facilities (circle, point_type, sort) VALUES "
               + _values([("15min", t, (i + 1) * 10) for i, t in enumerate(LIVING_CIRCLE_15)]))
    op.execute("INSERT INTO indicator_targets (code, name, unit, comparison, target, point_type, source, sort) VALUES "
               + _values(TARGETS))


def downgrade() -> None:
    names = ", ".join(_lit(n) for n, _, _ in POINT_TYPES)
    op.execute(
        f"""
        DROP TABLE IF EXISTS land_cover, indicator_targets, living_circle_facilities, living_circles,
            network_osm_nodes, network_access, network_edges, network_nodes;
        DROP FUNCTION IF EXISTS ccgrid_land_cover_derive;
        DELETE FROM checklist_items WHERE point_type IN ({names});
        DELETE FROM coverage_rules WHERE layer = 'assessment_points' AND filter_column = 'point_type'
            AND filter_value IN ({names});
        DELETE FROM point_types WHERE name IN ({names});
        DROP EXTENSION IF EXISTS pgrouting;
        """
    )
