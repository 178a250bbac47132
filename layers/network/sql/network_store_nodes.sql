-- The new junctions, and the OpenStreetMap node id of every junction this run touched that an OSM import had there.
INSERT INTO network_nodes (id, geom_m) SELECT id, pt FROM graph_new_nodes WHERE new
