-- Where two grid cells overlap (交叉: shown so it can be fixed or accepted).
SELECT a.code AS code, b.code AS other_code, a.region_code, round(o.area_m2::numeric, 1)::float AS area_m2,
       ST_AsGeoJSON(ST_Transform(o.geom_m, 4490), 6, 0) AS g
FROM grid_overlap_pieces o JOIN grid_cells a ON a.id = o.cell_a JOIN grid_cells b ON b.id = o.cell_b
WHERE (a.region_code LIKE :scope || '%' OR b.region_code LIKE :scope || '%') AND o.area_m2 >= :min_area
  AND (CAST(:x0 AS float8) IS NULL OR a.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
ORDER BY o.area_m2 DESC LIMIT :limit
