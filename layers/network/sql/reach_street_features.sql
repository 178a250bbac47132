-- The reached stretches in view, nearest first: the street they are on, the walk to their near end and to their
-- middle (what the map colours by).
SELECT t.point_type AS facility, t.limit_m AS walk_m, e.street_id AS id, s.code, s.name, s.region_code,
       round(p.near_m::numeric, 1)::float AS distance_m,
       round(least(t.limit_m, p.near_m + (p.hi - p.lo) * e.length_m / 2)::numeric, 1)::float AS mid_m,
       round(((p.hi - p.lo) * e.length_m)::numeric, 1)::float AS length_m,
       ST_AsGeoJSON(ST_Transform(ST_LineSubstring(e.geom_m, p.lo, p.hi), 4490), 6, 0) AS g
FROM reach_pieces p JOIN reach_types t ON t.k = p.k JOIN network_edges e ON e.id = p.edge_id
JOIN streets s ON s.id = e.street_id
WHERE p.hi > p.lo AND coalesce(s.region_code, '') LIKE :scope || '%'
  AND ((SELECT view_m FROM reach_area) IS NULL OR e.geom_m && (SELECT view_m FROM reach_area))
ORDER BY p.near_m, e.id, t.k LIMIT :limit
