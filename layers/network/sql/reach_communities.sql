-- Per community and facility type (k = 0: every type asked `together` at once, e.g. a living circle's): its
-- units, those outside reach, their area and the part inside reach, and its street kilometres reached. The
-- per-type totals are these summed (layers/network/reach.py).
WITH judged AS (
    SELECT d.layer, d.id, d.k, coalesce(d.dist <= t.limit_m, false) AS inside, t.together
    FROM reach_unit_dist d JOIN reach_types t ON t.k = d.k),
per_unit AS (
    SELECT layer, id, k, inside FROM judged
    UNION ALL
    SELECT layer, id, 0, bool_and(inside) FROM judged WHERE together GROUP BY layer, id),
areas AS (
    SELECT u.community AS code, j.k, count(*) AS units, count(*) FILTER (WHERE NOT j.inside) AS unreached,
           sum(u.area_m2) AS area_m2, coalesce(sum(u.area_m2) FILTER (WHERE j.inside), 0) AS reached_area_m2
    FROM per_unit j JOIN reach_units u ON u.layer = j.layer AND u.id = j.id GROUP BY u.community, j.k)
SELECT a.code, r.name, a.k, a.units, a.unreached, a.area_m2, a.reached_area_m2,
       coalesce(total.m, 0) / 1000 AS street_km, coalesce(km.m, 0) / 1000 AS reached_street_km
FROM areas a LEFT JOIN regions r ON r.code = a.code
LEFT JOIN reach_streets total ON total.k = 0 AND total.code = a.code
LEFT JOIN reach_streets km ON a.k > 0 AND km.k = a.k AND km.code = a.code
ORDER BY a.code, a.k
