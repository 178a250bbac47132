-- The regions holding the point (lon, lat in CGCS2000), district first.
SELECT id, code, name, level FROM regions
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)) ORDER BY length(code)
