-- After the coverage status head (layers/registry/sql/coverage_status.sql): features missing a required role,
-- one row per feature with the roles it lacks. The CASE picks the feature's geometry from its layer's table.
SELECT s.layer, s.id, s.code, s.name, s.region_code, s.kind AS feature_kind,
       string_agg(DISTINCT s.role_family, ',') AS missing_roles,
       (SELECT string_agg(DISTINCT o.name, '/') FROM owner_roles o
        WHERE o.family = ANY(array_agg(s.role_family))) AS missing_role_names,
       max(s.length_m) AS length_m,
       (SELECT area_m2 FROM grid_cells WHERE s.layer = 'grid_cells' AND id = s.id) AS area_m2,
       ST_AsGeoJSON(max((CASE s.layer WHEN 'streets' THEN (SELECT geom FROM streets WHERE id = s.id)
                    WHEN 'assessment_points' THEN (SELECT geom FROM assessment_points WHERE id = s.id)
                    ELSE (SELECT geom FROM grid_cells WHERE id = s.id) END)), 6, 0) AS g
FROM status s WHERE NOT s.covered AND s.layer IN ('streets', 'assessment_points', 'grid_cells')
  AND (CAST(:x0 AS float8) IS NULL OR (CASE s.layer WHEN 'streets' THEN (SELECT geom FROM streets WHERE id = s.id)
                    WHEN 'assessment_points' THEN (SELECT geom FROM assessment_points WHERE id = s.id)
                    ELSE (SELECT geom FROM grid_cells WHERE id = s.id) END) && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
GROUP BY s.layer, s.id, s.code, s.name, s.region_code, s.kind
ORDER BY s.layer, s.code LIMIT :limit
