-- Streets and points whose last inspection (patrol track or visit) is older than their owners' shortest duty.
WITH duty AS (
    SELECT a.layer, a.feature_id, min(r.patrol_every_days) AS days
    FROM assignments_on(:on) a JOIN owner_roles r ON r.code = a.role
    WHERE a.layer IN ('streets', 'assessment_points') AND r.patrol_every_days IS NOT NULL
    GROUP BY 1, 2),
places AS (
    SELECT 'streets' AS layer, id, code, name, region_code, length_m, geom FROM streets
    UNION ALL
    SELECT 'assessment_points', id, code, name, region_code, NULL, geom FROM assessment_points),
walked AS (SELECT layer, feature_id, max(at) AS at FROM patrol_hits GROUP BY 1, 2),
visited AS (SELECT point_id, max(visited_at) AS at FROM inspection_visits GROUP BY 1),
last AS (
    SELECT pl.*, coalesce(CAST(:days AS int), d.days, :default_days) AS duty_days,
           greatest(w.at, v.at) AS last_inspected
    FROM places pl LEFT JOIN duty d ON d.layer = pl.layer AND d.feature_id = pl.id
    LEFT JOIN walked w ON w.layer = pl.layer AND w.feature_id = pl.id
    LEFT JOIN visited v ON pl.layer = 'assessment_points' AND v.point_id = pl.id
    WHERE coalesce(pl.region_code, '') LIKE :scope || '%' AND (CAST(:layer AS text) IS NULL OR pl.layer = :layer)
      AND (CAST(:x0 AS float8) IS NULL OR pl.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)))
SELECT layer, id, code, name, region_code, length_m, duty_days, last_inspected,
       floor(extract(epoch FROM now() - last_inspected) / 86400)::int AS days_since, ST_AsGeoJSON(geom, 6, 0) AS g
FROM last WHERE last_inspected IS NULL OR last_inspected < now() - make_interval(days => duty_days)
ORDER BY last_inspected NULLS FIRST, layer, code LIMIT :limit
