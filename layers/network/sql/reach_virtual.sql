-- One start node per facility type, joined to both ends of each of its facilities' edges at the cost of walking
-- there: one Dijkstra per type then measures from the nearest facility of that type.
CREATE TEMP TABLE reach_virtual ON COMMIT DROP AS
SELECT -(row_number() OVER ())::bigint AS id, t.super AS source, v.node AS target, min(v.cost) AS cost
FROM reach_sources s JOIN reach_types t ON t.k = s.k
CROSS JOIN LATERAL (VALUES (s.source, s.access_m + s.f * s.length_m),
                           (s.target, s.access_m + (1 - s.f) * s.length_m)) v(node, cost)
GROUP BY t.super, v.node
