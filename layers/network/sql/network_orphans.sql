-- Nodes no edge meets any more.
DELETE FROM network_nodes n WHERE n.id = ANY(:ids)
  AND NOT EXISTS (SELECT 1 FROM network_edges e WHERE e.source = n.id)
  AND NOT EXISTS (SELECT 1 FROM network_edges e WHERE e.target = n.id)
