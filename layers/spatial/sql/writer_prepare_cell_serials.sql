-- Staging preparation for grid cells (layers/spatial/writer.py), run before the checks.
-- No code given: the next serials of the community, west→east within rows running north→south.
WITH numbered AS (
    SELECT s.row_no, s.community_code,
           row_number() OVER (PARTITION BY s.community_code
                              ORDER BY -floor(ST_Y(ST_Centroid(s.geom_m)) / 100), ST_X(ST_Centroid(s.geom_m)))
           + coalesce((SELECT max(right(g.code, 3)::int) FROM grid_cells g
                       WHERE g.community_id = s.community_id), 0) AS serial
    FROM stage s WHERE s.code IS NULL AND s.community_id IS NOT NULL)
UPDATE stage s SET code = n.community_code || lpad(n.serial::text, 3, '0')
FROM numbered n WHERE n.row_no = s.row_no
