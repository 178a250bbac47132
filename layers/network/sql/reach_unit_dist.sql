-- Each unit's walk from the nearest facility of each type: onto the network at its centre's nearest edge
-- (network_access, or computed here for a unit changed since), then to a reached end of that edge, or along it to
-- a facility on the same edge. NULL: not reached at all.
CREATE TEMP TABLE reach_unit_dist ON COMMIT DROP AS
WITH joined AS (
    SELECT u.layer, u.id, a.edge_id, a.f, a.access_m
    FROM reach_units u JOIN network_access a ON a.layer = u.layer AND a.feature_id = u.id AND a.stamp = u.stamp
    UNION ALL
    SELECT u.layer, u.id, e.id, ST_LineLocatePoint(e.geom_m, p.pt), e.d
    FROM reach_units u
    CROSS JOIN LATERAL (SELECT ST_PointOnSurface(coalesce(
        (SELECT geom_m FROM grid_cells WHERE u.layer = 'grid_cells' AND id = u.id),
        (SELECT geom_m FROM regions WHERE u.layer = 'regions' AND id = u.id))) AS pt) p
    CROSS JOIN LATERAL (SELECT * FROM (SELECT id, geom_m, ST_Distance(geom_m, p.pt) AS d FROM network_edges
                                       ORDER BY geom_m <-> p.pt LIMIT 6) n ORDER BY d, id LIMIT 1) e
    WHERE NOT EXISTS (SELECT 1 FROM network_access a WHERE a.layer = u.layer AND a.feature_id = u.id
                      AND a.stamp = u.stamp)),
acc AS (
    SELECT j.*, e.source, e.target, e.length_m FROM joined j JOIN network_edges e ON e.id = j.edge_id
    WHERE j.access_m <= :access_max),
same AS (
    SELECT a.layer, a.id, s.k, min(s.access_m + abs(s.f - a.f) * s.length_m) AS d
    FROM acc a JOIN reach_sources s ON s.edge_id = a.edge_id GROUP BY a.layer, a.id, s.k)
SELECT u.layer, u.id, t.k,
       a.access_m + least(rs.cost + a.f * a.length_m, rt.cost + (1 - a.f) * a.length_m, same.d) AS dist
FROM reach_units u CROSS JOIN reach_types t
LEFT JOIN acc a ON a.layer = u.layer AND a.id = u.id
LEFT JOIN reach_nodes rs ON rs.k = t.k AND rs.node = a.source
LEFT JOIN reach_nodes rt ON rt.k = t.k AND rt.node = a.target
LEFT JOIN same ON same.layer = u.layer AND same.id = u.id AND same.k = t.k
