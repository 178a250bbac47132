-- The reached stretch of every edge, per facility type, as fractions along it: from each reached end as far as
-- the walk has left (one stretch, the whole edge, where the two meet), and on an edge with a facility on it also
-- the stretch around the facility, merged with the others. near_m: the walk to the stretch's nearest point.
CREATE TEMP TABLE reach_pieces ON COMMIT DROP AS
WITH spans AS (
    SELECT t.k, e.id AS edge_id, a.cost AS ds, b.cost AS dt,
           least(1, (t.limit_m - a.cost) / e.length_m) AS a,
           greatest(0, 1 - (t.limit_m - b.cost) / e.length_m) AS b
    FROM network_edges e CROSS JOIN reach_types t
    LEFT JOIN reach_nodes a ON a.node = e.source AND a.k = t.k
    LEFT JOIN reach_nodes b ON b.node = e.target AND b.k = t.k
    WHERE (a.k IS NOT NULL OR b.k IS NOT NULL)
      AND ((SELECT env FROM reach_area) IS NULL OR e.geom_m && (SELECT env FROM reach_area))),
base AS (
    SELECT k, edge_id, 0::float8 AS lo, CASE WHEN a >= b THEN 1 ELSE a END AS hi,
           CASE WHEN a >= b THEN least(ds, dt) ELSE ds END AS near
    FROM spans WHERE a IS NOT NULL
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
