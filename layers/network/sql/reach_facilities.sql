-- Per facility type: its facilities on the network, the units outside reach and their area, the street reached.
WITH units AS (
    SELECT d.k, count(*) AS units, sum(u.area_m2) AS area_m2,
           count(*) FILTER (WHERE NOT coalesce(d.dist <= t.limit_m, false)) AS unreached,
           coalesce(sum(u.area_m2) FILTER (WHERE NOT coalesce(d.dist <= t.limit_m, false)), 0) AS unreached_m2
    FROM reach_unit_dist d JOIN reach_units u ON u.layer = d.layer AND u.id = d.id JOIN reach_types t ON t.k = d.k
    GROUP BY d.k),
reached AS (
    SELECT p.k, sum((p.hi - p.lo) * e.length_m) AS reached_m
    FROM reach_pieces p JOIN network_edges e ON e.id = p.edge_id JOIN streets s ON s.id = e.street_id
    WHERE coalesce(s.region_code, '') LIKE :scope || '%'
      AND ((SELECT view_m FROM reach_area) IS NULL OR e.geom_m && (SELECT view_m FROM reach_area))
    GROUP BY p.k),
total AS (
    SELECT coalesce(sum(e.length_m), 0) AS m FROM network_edges e JOIN streets s ON s.id = e.street_id
    WHERE coalesce(s.region_code, '') LIKE :scope || '%'
      AND ((SELECT view_m FROM reach_area) IS NULL OR e.geom_m && (SELECT view_m FROM reach_area)))
SELECT t.k, t.point_type AS facility, t.limit_m AS walk_m,
       (SELECT count(*) FROM reach_sources s WHERE s.k = t.k) AS sources,
       (SELECT count(*) FROM assessment_points ap WHERE ap.point_type = t.point_type) AS facilities,
       coalesce(u.units, 0) AS units, coalesce(u.unreached, 0) AS unreached,
       coalesce(u.area_m2, 0) AS area_m2, coalesce(u.unreached_m2, 0) AS unreached_area_m2,
       total.m / 1000 AS street_km, coalesce(st.reached_m, 0) / 1000 AS reached_street_km
FROM reach_types t LEFT JOIN units u ON u.k = t.k LEFT JOIN reached st ON st.k = t.k, total
ORDER BY t.k
