-- The grid cell holding the point, inside the caller's scope.
SELECT id, code, area_m2 FROM grid_cells
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)) AND region_code LIKE :scope || '%'
ORDER BY id LIMIT 1
