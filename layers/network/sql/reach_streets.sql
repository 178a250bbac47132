-- Street metres per region code (a street in the region of its midpoint) and, per facility type, the metres
-- reached: what the per-type and per-community street shares are made of.
CREATE TEMP TABLE reach_streets ON COMMIT DROP AS
WITH e AS (
    SELECT e.id, e.length_m, coalesce(s.region_code, '') AS code
    FROM network_edges e JOIN streets s ON s.id = e.street_id
    WHERE coalesce(s.region_code, '') LIKE :scope || '%'
      AND ((SELECT view_m FROM reach_area) IS NULL OR e.geom_m && (SELECT view_m FROM reach_area))),
reached AS (
    SELECT sp.k, sp.edge_id, CASE WHEN sp.a >= sp.b THEN 1 ELSE coalesce(sp.a, 0) + coalesce(1 - sp.b, 0) END AS fr
    FROM reach_spans sp
    WHERE NOT EXISTS (SELECT 1 FROM reach_facility_edges x WHERE x.k = sp.k AND x.edge_id = sp.edge_id)
    UNION ALL
    SELECT k, edge_id, sum(hi - lo) FROM reach_facility_edges GROUP BY k, edge_id)
SELECT 0 AS k, code, sum(length_m) AS m FROM e GROUP BY code
UNION ALL
SELECT r.k, e.code, sum(r.fr * e.length_m) FROM reached r JOIN e ON e.id = r.edge_id GROUP BY r.k, e.code
