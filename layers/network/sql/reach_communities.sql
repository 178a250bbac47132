-- Per community and facility type (k = 0: every type asked `together` at once, e.g. a living circle's): the area
-- of its units and the part inside reach, and its street kilometres reached.
WITH judged AS (
    SELECT d.layer, d.id, d.k, coalesce(d.dist <= t.limit_m, false) AS inside
    FROM reach_unit_dist d JOIN reach_types t ON t.k = d.k),
per_unit AS (
    SELECT layer, id, k, inside FROM judged
    UNION ALL
    SELECT j.layer, j.id, 0, bool_and(j.inside) FROM judged j JOIN reach_types t ON t.k = j.k WHERE t.together
    GROUP BY j.layer, j.id),
areas AS (
    SELECT u.community AS code, j.k, sum(u.area_m2) AS area_m2,
           coalesce(sum(u.area_m2) FILTER (WHERE j.inside), 0) AS reached_area_m2
    FROM per_unit j JOIN reach_units u ON u.layer = j.layer AND u.id = j.id GROUP BY u.community, j.k),
km AS (
    SELECT s.region_code AS code, p.k, sum((p.hi - p.lo) * e.length_m) / 1000 AS reached_km
    FROM reach_pieces p JOIN network_edges e ON e.id = p.edge_id JOIN streets s ON s.id = e.street_id
    WHERE coalesce(s.region_code, '') LIKE :scope || '%' GROUP BY s.region_code, p.k),
total AS (
    SELECT s.region_code AS code, sum(e.length_m) / 1000 AS km
    FROM network_edges e JOIN streets s ON s.id = e.street_id
    WHERE coalesce(s.region_code, '') LIKE :scope || '%' GROUP BY s.region_code)
SELECT a.code, r.name, a.k, a.area_m2, a.reached_area_m2, coalesce(total.km, 0) AS street_km,
       coalesce(km.reached_km, 0) AS reached_street_km
FROM areas a LEFT JOIN regions r ON r.code = a.code LEFT JOIN total ON total.code = a.code
LEFT JOIN km ON km.code = a.code AND km.k = a.k
ORDER BY a.code, a.k
