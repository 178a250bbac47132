-- The reached stretches of every edge, per facility type, as fractions along it (for drawing): from each reached
-- end as far as the walk has left (one stretch, the whole edge, where the two meet), and on an edge with a
-- facility on it the merged stretches around it. near_m: the walk to the stretch's nearest point.
CREATE TEMP TABLE reach_pieces ON COMMIT DROP AS
WITH plain AS (
    SELECT sp.* FROM reach_spans sp
    WHERE NOT EXISTS (SELECT 1 FROM reach_facility_edges x WHERE x.k = sp.k AND x.edge_id = sp.edge_id))
SELECT k, edge_id, 0::float8 AS lo, CASE WHEN a >= b THEN 1 ELSE a END AS hi,
       CASE WHEN a >= b THEN least(ds, dt) ELSE ds END AS near_m
FROM plain WHERE a IS NOT NULL
UNION ALL SELECT k, edge_id, b, 1, dt FROM plain WHERE b IS NOT NULL AND (a IS NULL OR a < b)
UNION ALL SELECT k, edge_id, lo, hi, near_m FROM reach_facility_edges
