-- The reached stretch of every edge, per facility type, as fractions along it: from each reached end as far as
-- the walk has left (one stretch, the whole edge, where the two meet), and on an edge with a facility on it also
-- the stretch around the facility, merged with the others. near_m: the walk to the stretch's nearest point.
CREATE TEMP TABLE reach_pieces ON COMMIT DROP AS
WITH ends AS (
    SELECT r.k, e.id AS edge_id, r.cost AS ds, NULL::float8 AS dt FROM reach_nodes r JOIN network_edges e ON e.source = r.node
    UNION ALL
    SELECT r.k, e.id, NULL, r.cost FROM reach_nodes r JOIN network_edges e ON e.target = r.node),
per_edge AS (
    SELECT k, edge_id, min(ds) AS ds, min(dt) AS dt FROM ends GROUP BY k, edge_id),
spans AS (
    SELECT p.k, p.edge_id, p.ds, p.dt,
           CASE WHEN p.ds IS NOT NULL THEN least(1, (t.limit_m - p.ds) / e.length_m) END AS a,
           CASE WHEN p.dt IS NOT NULL THEN greatest(0, 1 - (t.limit_m - p.dt) / e.length_m) END AS b
    FROM per_edge p JOIN network_edges e ON e.id = p.edge_id JOIN reach_types t ON t.k = p.k),
base AS (
    SELECT k, edge_id, 0::float8 AS lo, 1::float8 AS hi, least(ds, dt) AS near FROM spans WHERE a >= b
    UNION ALL SELECT k, edge_id, 0, a, ds FROM spans WHERE a IS NOT NULL AND (b IS NULL OR a < b)
    UNION ALL SELECT k, edge_id, b, 1, dt FROM spans WHERE b IS NOT NULL AND (a IS NULL OR a < b)),
fac AS (
    SELECT s.k, s.edge_id, greatest(0, s.f - (t.limit_m - s.access_m) / s.length_m) AS lo,
           least(1, s.f + (t.limit_m - s.access_m) / s.length_m) AS hi, s.access_m AS near
    FROM reach_sources s JOIN reach_types t ON t.k = s.k WHERE s.access_m <= t.limit_m),
touched AS (SELECT DISTINCT k, edge_id FROM fac),
mixed AS (
    SELECT b.* FROM base b JOIN touched x ON x.k = b.k AND x.edge_id = b.edge_id
    UNION ALL SELECT * FROM fac),
ordered AS (
    SELECT *, max(hi) OVER (PARTITION BY k, edge_id ORDER BY lo, hi
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_hi FROM mixed),
grouped AS (
    SELECT *, sum(CASE WHEN prev_hi IS NULL OR lo > prev_hi THEN 1 ELSE 0 END)
                  OVER (PARTITION BY k, edge_id ORDER BY lo, hi) AS grp FROM ordered)
SELECT b.k, b.edge_id, b.lo, b.hi, b.near AS near_m FROM base b
WHERE NOT EXISTS (SELECT 1 FROM touched x WHERE x.k = b.k AND x.edge_id = b.edge_id)
UNION ALL
SELECT k, edge_id, min(lo), max(hi), min(near) FROM grouped GROUP BY k, edge_id, grp
