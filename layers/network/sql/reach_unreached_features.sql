-- The units outside reach, largest first, for the map (cells hatched).
SELECT u.layer, u.id, u.code, u.name, u.community AS region_code, t.point_type AS facility, t.limit_m AS walk_m,
       round(d.dist::numeric, 1)::float AS distance_m, round(u.area_m2::numeric, 1)::float AS area_m2,
       ST_AsGeoJSON(ST_Transform(coalesce(c.geom_m, r.geom_m), 4490), 6, 0) AS g
FROM reach_unit_dist d JOIN reach_units u ON u.layer = d.layer AND u.id = d.id JOIN reach_types t ON t.k = d.k
LEFT JOIN grid_cells c ON u.layer = 'grid_cells' AND c.id = u.id
LEFT JOIN regions r ON u.layer = 'regions' AND r.id = u.id
WHERE NOT coalesce(d.dist <= t.limit_m, false)
ORDER BY u.area_m2 DESC, u.code, t.k LIMIT :limit
