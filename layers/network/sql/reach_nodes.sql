CREATE TEMP TABLE reach_nodes ON COMMIT DROP AS
SELECT t.k, r.node, r.cost, t.limit_m FROM graph_reach r JOIN reach_types t ON t.super = r.start_vid
WHERE r.cost <= t.limit_m AND r.node <> t.super
