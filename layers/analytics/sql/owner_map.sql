-- Every place of one layer in view (streets: main roads first when cut to the limit) with its current owners by
-- role, whether a coverage rule asks for an owner at all (`required`), and the primary roles its coverage rules
-- require that nobody holds. Only the branch of :layer runs: the
-- others' constant-false WHERE stops them before they touch their table.
WITH cur AS (SELECT * FROM assignments_on(:on) WHERE layer = :layer),
place AS (
    SELECT * FROM (
        SELECT id, code, name, road_class AS kind, section_from, section_to, region_code, length_m, geom,
               CASE road_class WHEN 'arterial' THEN 0 WHEN 'secondary' THEN 1 WHEN 'branch' THEN 2 ELSE 3 END AS rank
        FROM streets
        WHERE :layer = 'streets' AND region_code LIKE :scope || '%'
          AND (CAST(:x0 AS float8) IS NULL OR geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
        UNION ALL
        SELECT id, code, name, point_type, NULL, NULL, region_code, NULL, geom, 0
        FROM assessment_points
        WHERE :layer = 'assessment_points' AND coalesce(region_code, '') LIKE :scope || '%'
          AND (CAST(:x0 AS float8) IS NULL OR geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
        UNION ALL
        SELECT id, code, code, NULL, NULL, NULL, region_code, NULL, geom, 0
        FROM grid_cells
        WHERE :layer = 'grid_cells' AND coalesce(region_code, '') LIKE :scope || '%'
          AND (CAST(:x0 AS float8) IS NULL OR geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
    ) f
    -- Cut to the limit, the main roads are the ones kept.
    ORDER BY rank, id
    LIMIT :limit)
SELECT s.id, s.code, s.name, s.kind, s.section_from, s.section_to, s.region_code,
       round(s.length_m::numeric, 1)::float AS length_m, s.length_m AS exact_m,
       EXISTS (SELECT 1 FROM coverage_rules rl WHERE rl.active AND rl.layer = :layer
               AND (rl.filter_value IS NULL OR rl.filter_value = s.kind)) AS required,
       coalesce((SELECT json_agg(json_build_object(
                    'role', r.code, 'role_name', r.name, 'primary', r.is_primary,
                    'holder', coalesce(p.name, u.name),
                    'holder_key', coalesce('person:' || a.person_id, 'unit:' || a.unit_id),
                    'phone', CASE WHEN :contacts THEN coalesce(p.phone, u.phone) END)
                    ORDER BY r.sort, a.id)
                 FROM cur a JOIN owner_roles r ON r.code = a.role
                 LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id
                 WHERE a.feature_id = s.id), '[]') AS owners,
       (SELECT coalesce(json_agg(DISTINCT o.name), '[]') FROM coverage_rules rl
        JOIN owner_roles o ON o.family = rl.role_family AND o.is_primary
        WHERE rl.active AND rl.layer = :layer AND (rl.filter_value IS NULL OR rl.filter_value = s.kind)
          AND NOT EXISTS (SELECT 1 FROM cur a JOIN owner_roles r2 ON r2.code = a.role
                          WHERE a.feature_id = s.id AND r2.family = rl.role_family)) AS missing,
       ST_AsGeoJSON(s.geom, 6, 0) AS g
FROM place s
