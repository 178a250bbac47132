-- Pairs of cells in scope whose interiors overlap by at least `min` m², largest first.
SELECT a.region_code AS community, a.code AS a, b.code AS b,
       round(ST_Area(ST_Intersection(a.geom_m, b.geom_m))::numeric, 1) AS area_m2
FROM grid_cells a JOIN grid_cells b
  ON a.id < b.id AND ST_Intersects(a.geom_m, b.geom_m) AND ST_Relate(a.geom_m, b.geom_m, '2********')
WHERE a.region_code LIKE :scope || '%'
  AND ST_Area(ST_Intersection(a.geom_m, b.geom_m)) >= :min
ORDER BY 4 DESC
