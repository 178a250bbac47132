UPDATE network_nodes n SET osm_node_id = o.osm_id
FROM graph_new_nodes g CROSS JOIN LATERAL (
    SELECT osm_id FROM network_osm_nodes o WHERE ST_DWithin(o.geom_m, g.pt, :eps)
    ORDER BY ST_Distance(o.geom_m, g.pt), osm_id LIMIT 1) o
WHERE n.id = g.id AND n.osm_node_id IS DISTINCT FROM o.osm_id
