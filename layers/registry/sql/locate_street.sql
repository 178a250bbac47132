-- The nearest street segment within the radius (metres, in the city's metric CRS), inside the caller's scope.
SELECT id, code, name, road_class, length_m, round(ST_Distance(geom_m, p.g)::numeric, 1) AS distance_m
FROM streets, (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4490), ccgrid_metric_srid()) AS g) p
WHERE ST_DWithin(geom_m, p.g, :radius) AND region_code LIKE :scope || '%'
ORDER BY geom_m <-> p.g LIMIT 1
