-- Features that a stretch of street just written is nearer to than their edge: to be joined again.
DELETE FROM network_access a USING graph_pieces p
WHERE ST_DWithin(a.shape, p.geom, :access_max) AND ST_Distance(a.shape, p.geom) < a.access_m
