-- Imported road, green and built-up polygons inside each region of the level (each kind's polygons merged first,
-- so overlapping ones count once).
SELECT r.code, lc.kind, ST_Area(ST_Intersection(ST_Union(lc.geom_m), r.geom_m)) / 1e6 AS km2
FROM regions r JOIN land_cover lc ON lc.geom_m && r.geom_m AND ST_Intersects(lc.geom_m, r.geom_m)
WHERE r.level = :level AND r.code LIKE :scope || '%'
GROUP BY r.code, r.geom_m, lc.kind
