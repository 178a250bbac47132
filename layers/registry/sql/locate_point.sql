-- The nearest assessment point within pradius metres, inside the caller's scope.
SELECT id, code, name, point_type, round(ST_Distance(geom_m, p.g)::numeric, 1) AS distance_m
FROM assessment_points, (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), ccgrid_metric_srid()) AS g) p
WHERE ST_DWithin(geom_m, p.g, :pradius) AND region_code LIKE :scope || '%'
ORDER BY ST_Distance(geom_m, p.g), id LIMIT 1
