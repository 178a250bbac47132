INSERT INTO network_edges (street_id, piece, source, target, length_m, geom_m)
SELECT line_id, piece, source, target, ST_Length(geom), geom FROM graph_pieces ORDER BY line_id, piece
