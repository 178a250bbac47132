-- Every grid cell with its area and the metres of street whose midpoint lies in it.
SELECT g.id::text AS key, g.code, g.code AS name, g.region_code, g.area_m2, g.geom,
       (SELECT coalesce(sum(s.length_m), 0) FROM streets s
        WHERE s.geom_m && g.geom_m AND ST_Within(ST_PointOnSurface(s.geom_m), g.geom_m)) AS street_m
FROM grid_cells g
