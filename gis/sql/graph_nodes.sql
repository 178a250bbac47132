-- The junctions: the pieces' ends clustered within eps, together with the existing nodes there (a cluster that
-- holds one keeps its id; the others get `new_id` from the sequence).
CREATE TEMP TABLE graph_clusters ON COMMIT DROP AS
WITH ends AS (
    SELECT line_id, piece, 0 AS at, ST_StartPoint(geom) AS pt FROM graph_pieces
    UNION ALL SELECT line_id, piece, 1, ST_EndPoint(geom) FROM graph_pieces),
pts AS (
    SELECT line_id, piece, at, NULL::bigint AS node_id, pt FROM ends
    UNION ALL
    SELECT NULL, NULL, NULL, n.id, n.geom FROM graph_nodes n
    WHERE EXISTS (SELECT 1 FROM ends e WHERE ST_DWithin(n.geom, e.pt, :eps)))
SELECT line_id, piece, at, node_id, pt, ST_ClusterDBSCAN(pt, :eps, 1) OVER () AS cid FROM pts
