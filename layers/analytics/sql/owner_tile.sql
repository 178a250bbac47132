-- One vector tile of the owners map: every place of :layer in tile :z/:x/:y with its primary owner (a colour
-- key and the names), whether an active coverage rule asks for an owner at all (`required`) and the primary roles
-- those rules require that nobody holds (`missing`; uncovered when not empty) — the definition of
-- layers/registry/sql/coverage_status.sql, the coverage report's and the home page's. Main roads are kept first
-- when a tile is cut at :cap (it never is at the city's sizes: the cap guards a runaway import). Names ride along
-- from :names_from on (for the hover label); further out a tile is colours only and a click asks for the rest.
WITH bounds AS ({bounds}),
rules AS (SELECT filter_value, role_family FROM coverage_rules WHERE active AND layer = :layer),
place AS (
    SELECT id, name, road_class AS kind, geom,
           CASE road_class WHEN 'arterial' THEN 0 WHEN 'secondary' THEN 1 WHEN 'branch' THEN 2 ELSE 3 END AS rank
    FROM streets, bounds
    WHERE :layer = 'streets' AND geom && bounds.env AND region_code LIKE :scope || '%'
      AND (:z >= :all_from OR (road_class IN ('arterial', 'secondary') AND NOT :only_missing)
           OR EXISTS (SELECT 1 FROM rules rl WHERE rl.filter_value IS NULL OR rl.filter_value = road_class))
    UNION ALL
    SELECT id, name, point_type, geom, 0 FROM assessment_points, bounds
    WHERE :layer = 'assessment_points' AND geom && bounds.env AND coalesce(region_code, '') LIKE :scope || '%'
    UNION ALL
    SELECT id, code, NULL, geom, 0 FROM grid_cells, bounds
    WHERE :layer = 'grid_cells' AND geom && bounds.env AND coalesce(region_code, '') LIKE :scope || '%'
    ORDER BY rank LIMIT :cap),
held AS (
    SELECT p.*, o.families, o.colour_key
    FROM place p LEFT JOIN LATERAL (
        SELECT array_agg(r.family) AS families,
               (array_agg(coalesce('person:' || a.person_id, 'unit:' || a.unit_id) ORDER BY r.sort, a.id)
                   FILTER (WHERE r.is_primary))[1] AS colour_key
        FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
        WHERE a.layer = :layer AND a.feature_id = p.id) o ON true),
mvt AS (
    SELECT ST_AsMVTGeom(ST_Transform(h.geom, 3857), bounds.merc, {extent}, {buffer}, true) AS geom,
           h.id, CASE WHEN :z >= :names_from THEN h.name END AS name, h.kind, h.colour_key,
           -- The owners' names only where they are shown (the CASE keeps the probe from running further out).
           CASE WHEN :z >= :names_from AND h.colour_key IS NOT NULL THEN
               (SELECT string_agg(r.name || ' ' || coalesce(pe.name, u.name), '、' ORDER BY r.sort, a.id)
                FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role AND r.is_primary
                LEFT JOIN people pe ON pe.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
                WHERE a.layer = :layer AND a.feature_id = h.id) END AS owner,
           (h.colour_key IS NOT NULL)::int AS owned,
           EXISTS (SELECT 1 FROM rules rl WHERE rl.filter_value IS NULL OR rl.filter_value = h.kind)::int
               AS required,
           (SELECT string_agg(DISTINCT o.name, '、') FROM rules rl
            JOIN owner_roles o ON o.family = rl.role_family AND o.is_primary
            WHERE (rl.filter_value IS NULL OR rl.filter_value = h.kind)
              AND NOT rl.role_family = ANY (coalesce(h.families, '{{}}'))) AS missing
    FROM held h, bounds)
-- With :only_missing (the coverage map's 无人负责 layer) only the places lacking a required role.
SELECT ST_AsMVT(mvt, :name, {extent}, 'geom') FROM mvt
WHERE geom IS NOT NULL AND (NOT :only_missing OR missing IS NOT NULL)
