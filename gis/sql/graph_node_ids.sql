-- One node per cluster: the existing node's id (the smallest, should two lie within eps), else a new one.
CREATE TEMP TABLE graph_new_nodes ON COMMIT DROP AS
WITH c AS (
    SELECT cid, min(node_id) AS node_id, (array_agg(pt ORDER BY node_id NULLS LAST, line_id, piece, at))[1] AS pt
    FROM graph_clusters GROUP BY cid)
SELECT cid, coalesce(node_id, nextval(CAST(:seq AS regclass))) AS id, pt, node_id IS NULL AS new FROM c
