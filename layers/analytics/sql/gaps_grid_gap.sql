-- Parts of each community that no grid cell covers: kept current (with grid_overlap_pieces) by triggers on the
-- grid and the communities (migration 0009), so a request reads rows instead of unioning the city's cells.
SELECT r.code AS region_code, r.name, round(p.area_m2::numeric, 1)::float AS area_m2,
       ST_AsGeoJSON(ST_Transform(p.geom_m, 4490), 6, 0) AS g
FROM grid_gap_pieces p JOIN regions r ON r.id = p.community_id
WHERE r.code LIKE :scope || '%' AND p.area_m2 >= :min_area
  AND (CAST(:x0 AS float8) IS NULL OR r.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
ORDER BY p.area_m2 DESC LIMIT :limit
