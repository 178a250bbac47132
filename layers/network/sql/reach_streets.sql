-- Street metres per region code (a street in the region of its midpoint) and, per facility type, the metres
-- reached: what the per-type and per-community street shares are made of.
CREATE TEMP TABLE reach_streets ON COMMIT DROP AS
WITH e AS (
    SELECT e.id, e.length_m, coalesce(s.region_code, '') AS code
    FROM network_edges e JOIN streets s ON s.id = e.street_id
    WHERE coalesce(s.region_code, '') LIKE :scope || '%'
      AND ((SELECT view_m FROM reach_area) IS NULL OR e.geom_m && (SELECT view_m FROM reach_area)))
SELECT 0 AS k, code, sum(length_m) AS m FROM e GROUP BY code
UNION ALL
SELECT p.k, e.code, sum((p.hi - p.lo) * e.length_m) FROM reach_pieces p JOIN e ON e.id = p.edge_id
GROUP BY p.k, e.code
