-- The reached stretch of every edge, per facility type, as fractions along it: from a reached end as far as the
-- walk has left, and around a facility on the edge itself; overlapping stretches merged. near_m: the walk to the
-- stretch's nearest point.
CREATE TEMP TABLE reach_pieces ON COMMIT DROP AS
WITH parts AS (
    SELECT r.k, e.id AS edge_id, 0::float8 AS lo, least(1, (r.limit_m - r.cost) / e.length_m) AS hi, r.cost AS near
    FROM reach_nodes r JOIN network_edges e ON e.source = r.node
    UNION ALL
    SELECT r.k, e.id, greatest(0, 1 - (r.limit_m - r.cost) / e.length_m), 1::float8, r.cost
    FROM reach_nodes r JOIN network_edges e ON e.target = r.node
    UNION ALL
    SELECT s.k, s.edge_id, greatest(0, s.f - (t.limit_m - s.access_m) / s.length_m),
           least(1, s.f + (t.limit_m - s.access_m) / s.length_m), s.access_m
    FROM reach_sources s JOIN reach_types t ON t.k = s.k WHERE s.access_m <= t.limit_m),
ordered AS (
    SELECT *, max(hi) OVER (PARTITION BY k, edge_id ORDER BY lo, hi
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_hi FROM parts),
grouped AS (
    SELECT *, sum(CASE WHEN prev_hi IS NULL OR lo > prev_hi THEN 1 ELSE 0 END)
                  OVER (PARTITION BY k, edge_id ORDER BY lo, hi) AS grp FROM ordered)
SELECT k, edge_id, min(lo) AS lo, max(hi) AS hi, min(near) AS near_m FROM grouped GROUP BY k, edge_id, grp
