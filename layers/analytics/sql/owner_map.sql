-- Every street segment in view (main roads first when cut to the limit) with its current owners by role and the
-- primary roles its coverage rules require that nobody holds.
WITH cur AS (SELECT * FROM assignments_on(:on) WHERE layer = 'streets'),
seg AS (
    SELECT s.* FROM streets s
    WHERE s.region_code LIKE :scope || '%'
      AND (CAST(:x0 AS float8) IS NULL OR s.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
    -- Cut to the limit, the main roads are the ones kept.
    ORDER BY CASE s.road_class WHEN 'arterial' THEN 0 WHEN 'secondary' THEN 1 WHEN 'branch' THEN 2 ELSE 3 END, s.id
    LIMIT :limit)
SELECT s.id, s.code, s.name, s.road_class, s.section_from, s.section_to, s.region_code,
       round(s.length_m::numeric, 1)::float AS length_m,
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
        WHERE rl.active AND rl.layer = 'streets' AND (rl.filter_value IS NULL OR rl.filter_value = s.road_class)
          AND NOT EXISTS (SELECT 1 FROM cur a JOIN owner_roles r2 ON r2.code = a.role
                          WHERE a.feature_id = s.id AND r2.family = rl.role_family)) AS missing,
       ST_AsGeoJSON(s.geom, 6, 0) AS g
FROM seg s
