-- The owners map legend's totals over a whole view or region, never over what was drawn: places of :layer, owned
-- (a primary owner), covered (every role its coverage rules require is held) and uncovered (one is held by
-- nobody), with street lengths — the definition of layers/registry/sql/coverage_status.sql, in one pass with a
-- hash join on today's assignments instead of a probe per place.
WITH rules AS (SELECT filter_value, role_family FROM coverage_rules WHERE active AND layer = :layer),
cur AS (
    SELECT a.feature_id, array_agg(DISTINCT r.family) AS families, bool_or(r.is_primary) AS owned
    FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
    WHERE a.layer = :layer GROUP BY a.feature_id),
place AS (
    SELECT id, road_class AS kind, length_m FROM streets
    WHERE :layer = 'streets' AND region_code LIKE :scope || '%'
      AND (CAST(:x0 AS float8) IS NULL OR geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
    UNION ALL
    SELECT id, point_type, NULL FROM assessment_points
    WHERE :layer = 'assessment_points' AND coalesce(region_code, '') LIKE :scope || '%'
      AND (CAST(:x0 AS float8) IS NULL OR geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
    UNION ALL
    SELECT id, NULL, NULL FROM grid_cells
    WHERE :layer = 'grid_cells' AND coalesce(region_code, '') LIKE :scope || '%'
      AND (CAST(:x0 AS float8) IS NULL OR geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))),
st AS (
    SELECT p.length_m AS m, coalesce(c.owned, false) AS owned,
           EXISTS (SELECT 1 FROM rules rl WHERE rl.filter_value IS NULL OR rl.filter_value = p.kind) AS required,
           EXISTS (SELECT 1 FROM rules rl WHERE (rl.filter_value IS NULL OR rl.filter_value = p.kind)
                   AND NOT rl.role_family = ANY (coalesce(c.families, '{}'))) AS uncovered
    FROM place p LEFT JOIN cur c ON c.feature_id = p.id)
SELECT count(*) AS places, count(*) FILTER (WHERE owned) AS owned_count,
       count(*) FILTER (WHERE required AND NOT uncovered) AS covered_count,
       count(*) FILTER (WHERE uncovered) AS uncovered_count,
       coalesce(sum(m), 0) AS all_m, coalesce(sum(m) FILTER (WHERE owned), 0) AS owned_m,
       coalesce(sum(m) FILTER (WHERE required AND NOT uncovered), 0) AS covered_m,
       coalesce(sum(m) FILTER (WHERE uncovered), 0) AS uncovered_m
FROM st
