-- Each unit's walk from the nearest facility of each type: onto the network at its centre's nearest edge, then to
-- a reached end of that edge (or along it to a facility on the same edge). NULL: not reached at all.
CREATE TEMP TABLE reach_unit_dist ON COMMIT DROP AS
WITH access AS (
    SELECT u.layer, u.id, e.id AS edge_id, e.source, e.target, e.length_m,
           ST_LineLocatePoint(e.geom_m, u.pt) AS f, e.d AS access_m
    FROM reach_units u
    CROSS JOIN LATERAL (
        SELECT e.id, e.source, e.target, e.length_m, e.geom_m, ST_Distance(e.geom_m, u.pt) AS d
        FROM network_edges e
        WHERE (SELECT env FROM reach_area) IS NULL OR e.geom_m && (SELECT env FROM reach_area)
        ORDER BY e.geom_m <-> u.pt LIMIT 1) e
    WHERE e.d <= :access_max)
SELECT u.layer, u.id, t.k,
       a.access_m + least(rs.cost + a.f * a.length_m, rt.cost + (1 - a.f) * a.length_m, same.d) AS dist
FROM reach_units u CROSS JOIN reach_types t
LEFT JOIN access a ON a.layer = u.layer AND a.id = u.id
LEFT JOIN reach_nodes rs ON rs.k = t.k AND rs.node = a.source
LEFT JOIN reach_nodes rt ON rt.k = t.k AND rt.node = a.target
LEFT JOIN LATERAL (SELECT min(s.access_m + abs(s.f - a.f) * s.length_m) AS d FROM reach_sources s
                   WHERE s.k = t.k AND s.edge_id = a.edge_id) same ON true
