-- Per community in scope: its cells, area, the area its cells cover, cell area outside it, and its gaps (each at
-- least `min` m², largest first).
WITH c AS (SELECT id, code, name, geom_m FROM regions
           WHERE level = 'community' AND code LIKE :scope || '%'),
u AS (SELECT c.id, count(g.id) AS n, ST_Union(g.geom_m, 0.001) AS cells
      FROM c LEFT JOIN grid_cells g ON g.community_id = c.id GROUP BY c.id)
SELECT c.id, c.code, c.name, u.n AS cells, ST_Area(c.geom_m) AS area_m2,
       coalesce(ST_Area(ST_Intersection(c.geom_m, u.cells, 0.001)), 0) AS covered_m2,
       (SELECT coalesce(sum(ST_Area(d.geom)), 0)
        FROM ST_Dump(ST_Difference(u.cells, c.geom_m, 0.001)) d WHERE ST_Area(d.geom) >= :min) AS outside_m2,
       ARRAY(SELECT round(ST_Area(d.geom)::numeric, 1)
             FROM ST_Dump(ST_Difference(c.geom_m, coalesce(u.cells, 'POLYGON EMPTY'::geometry), 0.001)) d
             WHERE ST_Area(d.geom) >= :min ORDER BY ST_Area(d.geom) DESC) AS gaps
FROM c JOIN u USING (id) ORDER BY c.code
