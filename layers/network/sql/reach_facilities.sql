-- Per facility type: how many facilities it has, how many of them join the network, its streets reached.
SELECT t.k, t.point_type AS facility, t.limit_m AS walk_m,
       (SELECT count(*) FROM reach_sources s WHERE s.k = t.k) AS sources,
       (SELECT count(*) FROM assessment_points ap WHERE ap.point_type = t.point_type) AS facilities,
       coalesce((SELECT sum(m) FROM reach_streets WHERE k = 0), 0) / 1000 AS street_km,
       coalesce((SELECT sum(m) FROM reach_streets s WHERE s.k = t.k), 0) / 1000 AS reached_street_km
FROM reach_types t ORDER BY t.k
